"""`wasmmerge link -r`: objects linked into one object that wasm-ld (and we) can link
again; the final program must behave as the objects linked directly."""

import subprocess

import pytest

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
