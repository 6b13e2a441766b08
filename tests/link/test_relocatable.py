"""`wasmmerge link -r`: objects linked into one object that wasm-ld (and we) can link
again; the final program must behave as the objects linked directly."""

import subprocess

import pytest

from wasmmerge.binary import leb
from wasmmerge.binary.reader import iter_sections
from wasmmerge.custom import linking, reloc
from wasmmerge.linker.relocatable import REMOVED_SYMBOL

from .harness import (call_exports, compile_sources, driver_link_args, link_both, run_command, run_wasm_ld,
                      run_wasmmerge_link)

PROGRAMS = {
    "calls": (["calls/main.c", "calls/util.c"], []),
    "weak": (["weak/main.c", "weak/strong.c"], []),
    "ctors": (["ctors/main.c", "ctors/other.c"], []),
    "pic": (["pic/main.c", "pic/lib.c"], ["-fPIC"]),
    "debug": (["calls/main.c", "calls/util.c"], ["-g"]),
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
    # Code is laid out as wasm-ld lays it out: the same sites at the same offsets. Data
    # offsets differ (wasm-ld merges equal strings, we do not), so only the types match.
    assert [(t, o) for t, o, _, _ in ours_relocs["reloc.CODE"]] == [(t, o) for t, o, _, _ in ref_relocs["reloc.CODE"]]
    assert sorted(t for t, *_ in ours_relocs["reloc.DATA"]) == sorted(t for t, *_ in ref_relocs["reloc.DATA"])
    assert all(index < len(ours_symbols) for entries in ours_relocs.values() for t, _, index, _ in entries if t != 6
               if index != REMOVED_SYMBOL)
    # wasm-ld 14's "no symbol" index marks only debug info naming code or data gc removed
    assert all(index != REMOVED_SYMBOL for name in ("reloc.CODE", "reloc.DATA") for _, _, index, _ in ours_relocs[name])
