"""`--emit-relocs`: the module with its own `linking` and `reloc.*` sections is wasm-ld
14's byte for byte (the symbol table in wasm-ld's order, so the same symbol indices in
every relocation). With debug info, the relocations naming functions and data that
--gc-sections removed are wasm-ld's too (symbol index 0xFFFFFFFF, the site holding the
tombstone)."""

import subprocess

import pytest

from wasmmerge.custom.linking import SYMTAB_DATA, SYMTAB_SECTION, UNDEFINED, VISIBILITY_HIDDEN
from wasmmerge.linker.relocatable import REMOVED_SYMBOL

from .harness import (LINK_FIXTURES, call_exports, compile_sources, driver_link_args, link_both, make_archive, require_tools,
                      run_wasm_ld, run_wasmmerge_link, validate_output)
from .test_relocatable import _reloc_counts, _same_bytes

# name: (sources, compiler flags, driver flags). wasm-ld 14 itself crashes on
# --emit-relocs where a linker-defined data symbol (__dso_handle) is used (the ctors and
# mismatch programs), so those have no reference.
IDENTICAL = {
    "calls": (["calls/main.c", "calls/util.c"], [], []),
    "weak": (["weak/main.c", "weak/strong.c"], [], []),
    "pic": (["pic/main.c", "pic/lib.c"], ["-fPIC"], []),
    "debug": (["calls/main.c", "calls/util.c"], ["-g"], []),
    "debug-O0": (["calls/main.c", "calls/util.c"], ["-g"], ["-Wl,-O0"]),
    "dwarf5": (["calls/main.c", "calls/util.c"], ["-gdwarf-5"], []),
    "strip-debug": (["calls/main.c", "calls/util.c"], ["-g"], ["-Wl,--strip-debug"]),
    "no-gc": (["calls/main.c", "calls/util.c"], [], ["-Wl,--no-gc-sections"]),
    # the table's symbol: visible when exported, an undefined one when imported
    "export-table": (["calls/main.c", "calls/util.c"], [], ["-Wl,--export-table"]),
    "import-table": (["calls/main.c", "calls/util.c"], [], ["-Wl,--import-table"]),
    "tls": (["tls/main.c", "tls/other.c"], ["-ftls-model=local-exec"], []),
    "reactor": (["calls/util.c"], [], ["-mexec-model=reactor"]),
    "cxx-debug": (["cxx/main.cc", "cxx/other.cc"], ["-g"], ["-nostartfiles", "-Wl,--no-entry", "-Wl,--export=run"]),
    "freestanding": (["freestanding/data.c", "freestanding/lib.c", "freestanding/pointers.c"], [],
                     ["-nostdlib", "-Wl,--no-entry", "-Wl,--export-all"]),
    "shared-memory": (["tls/freestanding.c"], ["-matomics", "-mbulk-memory", "-ftls-model=local-exec"],
                      ["-nostdlib", "-Wl,--shared-memory", "-Wl,--max-memory=1048576", "-Wl,--no-entry",
                       "-Wl,--export=bump"]),
    "tags": (["tags/thrower.s", "tags/catcher.s"], ["-mexception-handling"],
             ["-nostdlib", "-Wl,--no-entry", "-Wl,--export-all"]),
    "no-symbols": (["freestanding/only_static.c"], [], ["-nostdlib", "-Wl,--no-entry"]),
}


@pytest.mark.parametrize("name", sorted(IDENTICAL))
def test_emit_relocs_output_is_wasm_ld_s(name, tmp_path):
    sources, cflags, ldflags = IDENTICAL[name]
    objects = compile_sources(sources, tmp_path, cflags)
    ref, ours = link_both(driver_link_args(objects, [*ldflags, "-Wl,--emit-relocs"]), tmp_path)
    _same_bytes(ref, ours)


def test_emit_relocs_with_archive_members_is_wasm_ld_s(tmp_path):
    main, *members = compile_sources(["archive/main.c", "archive/used.c", "archive/helper.c", "archive/unused.c"],
                                     tmp_path)
    archive = make_archive(tmp_path / "lib.a", members)
    ref, ours = link_both(driver_link_args([main, archive], ["-Wl,--emit-relocs"]), tmp_path)
    _same_bytes(ref, ours)


def _described(path):
    """Per debug reloc section: (type, offset, what the symbol is, addend) of each entry."""
    sections, symbols = _reloc_counts(path)
    out = {}
    for name, entries in sections.items():
        if not name.startswith("reloc..debug"):
            continue
        rows = []
        for rtype, offset, index, addend in entries:
            if index == REMOVED_SYMBOL:
                target = "removed"
            else:
                sym = symbols[index]
                target = f"section {sym.index}" if sym.kind == SYMTAB_SECTION else sym.name
            # (an addend into .debug_str, merged at -O1, points into the merged section)
            rows.append((rtype, offset, target, addend))
        out[name] = rows
    return out


def test_debug_relocations_to_removed_code_are_wasm_ld_s(tmp_path):
    objects = compile_sources(["calls/util.c"], tmp_path, ["-g", "-O1"])
    ref, ours = link_both(["--emit-relocs", "--no-entry", "--export=bump", *map(str, objects), "-o", "x"], tmp_path)
    theirs, mine = _described(ref), _described(ours)
    assert any(t == "removed" for rows in theirs.values() for _, _, t, _ in rows)  # what this test is about
    assert "reloc..debug_loc" in mine  # every entry of it names a removed function
    assert mine == theirs
    _same_bytes(ref, ours)  # and everything else


def test_emit_relocs_lists_a_linker_made_address_as_wasm_ld_14_s_tools_read_it(tmp_path):
    """wasm-ld 14 crashes on --emit-relocs when code uses __heap_base: we list it as an
    undefined hidden data symbol (LLVM 14's reader and wabt accept that, not the ABSOLUTE
    form later wasm-ld versions write), its relocation site holding the address."""
    source = tmp_path / "heap.c"
    source.write_text("extern unsigned char __heap_base;\n"
                      "unsigned long heap(void) { return (unsigned long)&__heap_base; }\n")
    require_tools()
    obj = tmp_path / "heap.o"
    subprocess.run(["clang", "--target=wasm32-wasi", "-O2", "-c", str(source), "-o", str(obj)], check=True)
    out = tmp_path / "out.wasm"
    done = run_wasmmerge_link(["--no-entry", "--export=heap", "--emit-relocs", str(obj), "-o", str(out)], out)
    assert done.returncode == 0, done.stderr
    validate_output(out)
    relocs, symbols = _reloc_counts(out)
    heap_base = next(s for s in symbols if s.name == "__heap_base")
    assert heap_base.kind == SYMTAB_DATA and heap_base.flags == UNDEFINED | VISIBILITY_HIDDEN
    assert call_exports(out, [("heap", ())]) == [65536 + 1024]  # the stack's end: wasm-ld's __heap_base here



@pytest.mark.parametrize("demangle", [[], ["--no-demangle"]], ids=["demangled", "mangled"])
def test_emit_relocs_names_a_weak_stub_as_the_name_section_does(demangle, tmp_path):
    """The stub of a weak C++ function nobody defines is `undefined_weak:` and its
    demangled name in the symbol table too, as wasm-ld names it (it was the mangled name)."""
    objects = compile_sources(["cxxnames/weak_hook.cc"], tmp_path, ["-std=c++17", "-nostdinc++"])
    ref, ours = link_both(["--no-entry", "--export=use", "--emit-relocs", *demangle, *map(str, objects),
                           "-o", "out.wasm"], tmp_path)
    _same_bytes(ref, ours)
    _, symbols = _reloc_counts(ours)
    assert any(s.name == ("undefined_weak:lib::hook(int)" if not demangle else "undefined_weak:_ZN3lib4hookEi")
               for s in symbols)


def test_emit_relocs_of_a_relocatable_output_defines_the_table_afresh(tmp_path):
    """A -r output refers to the table with NO_STRIP; linked again with --emit-relocs, the
    table the linker defines is listed without it, as wasm-ld defines it afresh."""
    objects = compile_sources(["freestanding/pointers.c", "freestanding/lib.c", "freestanding/data.c"], tmp_path)
    merged = tmp_path / "merged.o"
    assert run_wasm_ld(["-r", *map(str, objects), "-o", "x"], merged).returncode == 0
    ref, ours = link_both(["--no-entry", "--export-all", "--no-gc-sections", "--emit-relocs", str(merged),
                           "-o", "out.wasm"], tmp_path)
    _same_bytes(ref, ours)


def test_emit_relocs_lists_tls_base_where_wasm_ld_does_without_shared_memory(tmp_path):
    """Without shared memory wasm-ld 14 makes __tls_base after the inputs: the symbol table
    lists it where the object's reference put it, as the exports do (it came first). (The
    modules differ where wasm-ld 14 gets thread-locals wrong: the symbol tables are compared.)"""
    obj = tmp_path / "tls.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", "-matomics", "-mbulk-memory",
                    "-ftls-model=local-exec", "-c", str(LINK_FIXTURES / "tls/freestanding.c"), "-o", str(obj)],
                   check=True)
    args = ["--no-entry", "--export=bump", "--emit-relocs", str(obj), "-o", "out.wasm"]
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    assert run_wasm_ld(args, ref).returncode == 0 and run_wasmmerge_link(args, ours).returncode == 0
    names = [[s.name for s in _reloc_counts(path)[1]] for path in (ref, ours)]
    assert names[1] == names[0] and "__tls_base" in names[1][1:]

