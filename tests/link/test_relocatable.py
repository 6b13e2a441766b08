"""`wasmmerge link -r`: objects linked into one object that wasm-ld (and we) can link
again; the final program must behave as the objects linked directly, and the object
itself is wasm-ld 14's byte for byte."""

import subprocess

import pytest

from wasmmerge.binary import leb
from wasmmerge.binary.reader import decode_module, iter_sections
from wasmmerge.custom import linking, reloc
from wasmmerge.linker.relocatable import REMOVED_SYMBOL

from .harness import (LINK_FIXTURES, call_exports, compile_sources, driver_link_args, link_both, make_archive,
                      require_tools, run_command, run_wasm_ld, run_wasmmerge_link)

PROGRAMS = {
    "calls": (["calls/main.c", "calls/util.c"], []),
    "weak": (["weak/main.c", "weak/strong.c"], []),
    "ctors": (["ctors/main.c", "ctors/other.c"], []),
    "pic": (["pic/main.c", "pic/lib.c"], ["-fPIC"]),
    "debug": (["calls/main.c", "calls/util.c"], ["-g"]),
    "tls": (["tls/main.c", "tls/other.c"], ["-ftls-model=local-exec"]),
    "mismatch": (["mismatch/impl.c", "mismatch/main.c"], []),
}


def _combine(objects, out, *extra):
    done = run_wasmmerge_link(["-r", *extra, *map(str, objects), "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_relinked_by_wasm_ld_and_by_us(name, tmp_path):
    sources, cflags = PROGRAMS[name]
    objects = compile_sources(sources, tmp_path, cflags)
    direct = tmp_path / "direct.wasm"
    assert run_wasm_ld(driver_link_args(objects), direct).returncode == 0
    combined = _combine(objects, tmp_path / "combined.o")
    ref, ours = link_both(driver_link_args([combined]), tmp_path)
    expected = run_command(direct, tmp_path)
    assert run_command(ref, tmp_path) == expected
    assert run_command(ours, tmp_path) == expected


# name: (sources, compiler flags, -r link flags). Together they cover: memory defined or
# imported, the table imported and slots given (data and code), same-named segments
# merged, strings merged (or not at -O0), COMDATs, TLS, PIC, weak definitions,
# constructors by priority, debug sections, signature-mismatch stubs, data only, tags.
IDENTICAL = {
    "calls": (["calls/main.c", "calls/util.c"], [], []),
    "weak": (["weak/main.c", "weak/strong.c"], [], []),
    "ctors": (["ctors/main.c", "ctors/other.c"], [], []),
    "pic": (["pic/main.c", "pic/lib.c"], ["-fPIC"], []),
    "debug": (["calls/main.c", "calls/util.c"], ["-g"], []),
    "debug-O0": (["calls/main.c", "calls/util.c"], ["-g"], ["-O0"]),
    # DWARF 5: file names in .debug_line_str, merged like .debug_str (or not at -O0)
    "dwarf5": (["calls/main.c", "calls/util.c"], ["-gdwarf-5"], []),
    "dwarf5-O0": (["calls/main.c", "calls/util.c"], ["-gdwarf-5"], ["-O0"]),
    "strip-debug": (["calls/main.c", "calls/util.c"], ["-g"], ["--strip-debug"]),
    "strip-all": (["calls/main.c", "calls/util.c"], ["-g"], ["--strip-all"]),
    "cxx": (["cxx/main.cc", "cxx/other.cc", "cxx/globals.cc"], ["-fno-exceptions", "-fno-rtti"], []),
    "cxx-debug": (["cxx/main.cc", "cxx/other.cc", "cxx/globals.cc"], ["-g"], []),
    "tls": (["tls/main.c", "tls/other.c"], ["-matomics", "-mbulk-memory", "-ftls-model=local-exec"], []),
    "freestanding": (["freestanding/data.c", "freestanding/lib.c", "freestanding/pointers.c"], [], []),
    "data-only": (["freestanding/only_data.c"], [], []),
    "mismatch": (["mismatch/impl.c", "mismatch/main.c"], [], []),
    "import-memory": (["calls/main.c", "calls/util.c"], [], ["--import-memory"]),
    "memory-limits": (["calls/main.c", "calls/util.c"], [], ["--initial-memory=131072", "--max-memory=262144"]),
    "tags": (["tags/thrower.s", "tags/catcher.s"], ["-mexception-handling"], []),
    "no-symbols": (["freestanding/only_static.c"], [], []),
}


def _same_bytes(ref, ours):
    expected, got = ref.read_bytes(), ours.read_bytes()
    if got != expected:
        at = next((k for k, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
        section = next((f"{info.name or info.id}" for info in iter_sections(expected)
                        if info.offset <= at < info.start + info.size), "?")
        pytest.fail(f"{ours.name} differs from wasm-ld's {ref.name} at byte {at:#x} (section {section}); "
                    f"sizes {len(got)} and {len(expected)}: compare `wasm-objdump -x` of both")


@pytest.mark.parametrize("name", sorted(IDENTICAL))
def test_relocatable_output_is_wasm_ld_s(name, tmp_path):
    sources, cflags, flags = IDENTICAL[name]
    objects = compile_sources(sources, tmp_path, cflags)
    args = ["-r", *flags, *map(str, objects), "-o", "x.o"]
    ref, ours = tmp_path / "ref.o", tmp_path / "ours.o"
    done = run_wasm_ld(args, ref)
    assert done.returncode == 0, done.stderr
    done = run_wasmmerge_link(args, ours)
    assert done.returncode == 0, done.stderr
    _same_bytes(ref, ours)


def test_relocatable_archive_members_and_relinking_are_wasm_ld_s(tmp_path):
    main, *members = compile_sources(["archive/main.c", "archive/used.c", "archive/helper.c", "archive/unused.c"],
                                     tmp_path)
    archive = make_archive(tmp_path / "lib.a", members)
    ref, ours = tmp_path / "ref.o", tmp_path / "ours.o"
    assert run_wasm_ld(["-r", str(main), str(archive), "-o", "x"], ref).returncode == 0
    assert run_wasmmerge_link(["-r", str(main), str(archive), "-o", "x"], ours).returncode == 0
    _same_bytes(ref, ours)
    # -r of an -r output: our object read back gives wasm-ld's second object
    again_ref, again_ours = tmp_path / "again-ref.o", tmp_path / "again-ours.o"
    assert run_wasm_ld(["-r", str(ref), "-o", "x"], again_ref).returncode == 0
    assert run_wasmmerge_link(["-r", str(ours), "-o", "x"], again_ours).returncode == 0
    _same_bytes(again_ref, again_ours)


def test_relocatable_wasm64_is_wasm_ld_s(tmp_path):
    require_tools()
    objects = [tmp_path / "main.o", tmp_path / "other.o"]
    for src, obj in zip(("wasm64/main.c", "wasm64/other.c"), objects):
        subprocess.run(["clang", "--target=wasm64-unknown-unknown", "-O2", "-c", str(LINK_FIXTURES / src),
                        "-o", str(obj)], check=True)
    args = ["-r", "-m", "wasm64", *map(str, objects), "-o", "x.o"]
    ref, ours = tmp_path / "ref.o", tmp_path / "ours.o"
    assert run_wasm_ld(args, ref).returncode == 0
    assert run_wasmmerge_link(args, ours).returncode == 0
    _same_bytes(ref, ours)


def test_relocatable_refuses_shared_memory_as_wasm_ld(tmp_path):
    objects = compile_sources(["calls/util.c"], tmp_path, ["-matomics", "-mbulk-memory"])
    args = ["-r", "--shared-memory", *map(str, objects), "-o", "x.o"]
    theirs, ours = run_wasm_ld(args, tmp_path / "ref.o"), run_wasmmerge_link(args, tmp_path / "ours.o")
    assert theirs.returncode == 1 and ours.returncode == 1
    assert "-r and --shared-memory may not be used together" in theirs.stderr
    assert "-r and --shared-memory may not be used together" in ours.stderr
    assert not (tmp_path / "ours.o").exists()


def test_cxx_comdats_survive_a_relocatable_link(tmp_path):
    flags = ["-fno-exceptions", "-fno-rtti"]
    main, other = compile_sources(["cxx/main.cc", "cxx/other.cc"], tmp_path, flags)
    combined = _combine([main], tmp_path / "main-r.o")
    args = ["--no-entry", "--export=run", str(combined), str(other), "-o", "x.wasm"]
    ref, ours = link_both(args, tmp_path)
    calls = [("run", (n,)) for n in (0, 3, 11)]
    assert call_exports(ours, calls) == call_exports(ref, calls)
    direct = tmp_path / "direct.wasm"
    assert run_wasm_ld(["--no-entry", "--export=run", str(main), str(other), "-o", "x"], direct).returncode == 0
    assert call_exports(ref, calls) == call_exports(direct, calls)


def test_relocatable_output_passes_wasm_objdump(tmp_path):
    objects = compile_sources(["calls/main.c", "calls/util.c"], tmp_path, ["-g"])
    combined = _combine(objects, tmp_path / "combined.o")
    done = subprocess.run(["llvm-objdump", "-r", str(combined)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "R_WASM_FUNCTION_INDEX_LEB" in done.stdout and "R_WASM_MEMORY_ADDR_I32" in done.stdout


def _reloc_counts(path):
    data = path.read_bytes()
    counts, symbols = {}, None
    for info in iter_sections(data):
        if info.name and (info.name.startswith("reloc.") or info.name == "linking"):
            length, start = leb.read_u32(data, info.start)
            start += length
            payload = data[start:info.start + info.size]
            if info.name == "linking":
                symbols = linking.parse(payload, start).symbols
            else:
                entries = reloc.parse(payload, start, info.name).entries
                counts[info.name] = entries
    return counts, symbols


def test_emit_relocs_keeps_the_code_and_data_relocations_wasm_ld_keeps(tmp_path):
    objects = compile_sources(["calls/main.c", "calls/util.c"], tmp_path)
    args = driver_link_args(objects, ["-Wl,--emit-relocs"])
    ref, ours = link_both(args, tmp_path)
    assert run_command(ours, tmp_path) == run_command(ref, tmp_path)
    ours_relocs, ours_symbols = _reloc_counts(ours)
    ref_relocs, _ = _reloc_counts(ref)
    # The same sites at the same offsets, naming the same symbols (the whole file is
    # compared in test_emit_relocs.py)
    assert ours_relocs["reloc.CODE"] == ref_relocs["reloc.CODE"]
    assert ours_relocs["reloc.DATA"] == ref_relocs["reloc.DATA"]
    assert all(index < len(ours_symbols) for entries in ours_relocs.values() for t, _, index, _ in entries if t != 6
               if index != REMOVED_SYMBOL)
    # wasm-ld 14's "no symbol" index marks only debug info naming code or data gc removed
    assert all(index != REMOVED_SYMBOL for name in ("reloc.CODE", "reloc.DATA") for _, _, index, _ in ours_relocs[name])


def test_relocatable_keeps_a_weak_reference_to_an_archive_member(tmp_path):
    """A weak reference to a function only an archive member defines extracts nothing:
    the -r output imports it and keeps its relocations, so the object linked again with
    the definition calls it. wasm-ld 14 drops the symbol (it stays lazy) and its
    relocations, leaving the call site as `call 0`, and writes a symbol table that it then
    refuses to link again ("section symbols must have local binding"); we do not copy that."""
    user, definition = compile_sources(["weak/lazy_user.c", "weak/lazy_def.c"], tmp_path)
    archive = make_archive(tmp_path / "lib.a", [definition])
    ours = _combine([user, archive], tmp_path / "ours.o")
    assert "maybe_defined" in {i.name for i in decode_module(ours.read_bytes()).imports}
    alone, ref = tmp_path / "alone.o", tmp_path / "ref.o"  # (the member not extracted: -r of the user alone)
    assert run_wasm_ld(["-r", str(user), "-o", "x"], alone).returncode == 0
    assert ours.read_bytes() == alone.read_bytes()
    assert run_wasm_ld(["-r", str(user), str(archive), "-o", "x"], ref).returncode == 0
    refused = run_wasm_ld(["--no-entry", "--export=use_maybe", str(ref), "-o", "x"], tmp_path / "ref.wasm")
    assert refused.returncode == 1 and "section symbols must have local binding" in refused.stderr
    direct, again = tmp_path / "direct.wasm", tmp_path / "again.wasm"
    export = ["--no-entry", "--export=use_maybe"]
    assert run_wasm_ld([*export, str(user), str(definition), "-o", "x"], direct).returncode == 0
    assert run_wasm_ld([*export, str(ours), str(definition), "-o", "x"], again).returncode == 0
    calls = [("use_maybe", (5,)), ("use_maybe", (-3,))]
    assert call_exports(again, calls) == call_exports(direct, calls) == [6, -2]


@pytest.mark.parametrize("export", ["--export=maybe_defined", "--export-if-defined=maybe_defined"])
def test_relocatable_export_extracts_the_archive_member(export, tmp_path):
    """-r exports nothing, but --export and --export-if-defined extract the archive member
    that defines the name, as in a full link: the object is wasm-ld's byte for byte (we
    left the member out, and the function imported)."""
    user, definition = compile_sources(["weak/lazy_user.c", "weak/lazy_def.c"], tmp_path)
    archive = make_archive(tmp_path / "lib.a", [definition])
    args = ["-r", export, str(user), str(archive), "-o", "x"]
    ref, ours = tmp_path / "ref.o", tmp_path / "ours.o"
    assert run_wasm_ld(args, ref).returncode == 0
    assert run_wasmmerge_link(args, ours).returncode == 0
    _same_bytes(ref, ours)
    assert "maybe_defined" not in {i.name for i in decode_module(ours.read_bytes()).imports}
