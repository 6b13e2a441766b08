"""`-Map`: the map `wasmmerge link` writes is, line for line, the one wasm-ld 14 writes for
the same command line (sections, every function in output order with its symbols, the
linker's own functions with their offsets and sizes, data segments with their symbols'
addresses, globals)."""

import subprocess

import pytest

from .harness import LINK_FIXTURES, compile_sources, driver_link_args, run_wasm_ld, run_wasmmerge_link
from .test_link_options import SHARED_FLAGS
from .test_programs import COMMANDS

CXX_FLAGS = ["-std=c++17", "-fno-exceptions", "-nostdinc++", "-O0", "-fno-rtti"]


def _maps(args, tmp_path) -> tuple[str, str]:
    ref_map, our_map = tmp_path / "ref.map", tmp_path / "ours.map"
    done = run_wasm_ld([*args, f"-Map={ref_map}"], tmp_path / "ref.wasm")
    assert done.returncode == 0, done.stderr
    done = run_wasmmerge_link([*args, f"-Map={our_map}"], tmp_path / "ours.wasm")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()
    return our_map.read_text(), ref_map.read_text()


@pytest.mark.parametrize("name", ["calls", "weak", "ctors", "pic", "tls-lowered", "calls-no-gc", "calls-debug"])
def test_map_of_a_wasi_command_is_wasm_ld_s(name, tmp_path):
    sources, cflags, ldflags = COMMANDS[name]
    args = driver_link_args(compile_sources(sources, tmp_path, cflags), ldflags)
    ours, ref = _maps(args, tmp_path)
    assert "<internal>:(_start.command_export)" in ours or "<internal>:(__wasm_call_ctors)" in ours
    assert ours == ref


@pytest.mark.parametrize("extra", [[], ["--no-demangle"]])
def test_map_of_a_cxx_program_is_wasm_ld_s(extra, tmp_path):
    objects = compile_sources(["cxxnames/names.cc"], tmp_path, CXX_FLAGS)
    ours, ref = _maps([*extra, "--no-entry", "--export=run", *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert ("geo::Point::operator+(geo::Point const&) const" in ours) == (extra != ["--no-demangle"])
    assert ours == ref


def test_map_with_shared_memory_lists_init_memory(tmp_path):
    obj = tmp_path / "counter.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-c",
                    str(LINK_FIXTURES / "shared/counter.c"), "-o", str(obj)], check=True)
    ours, ref = _maps(["--no-entry", "--shared-memory", "--max-memory=1048576", str(obj), "-o", "out.wasm"], tmp_path)
    assert "<internal>:(__wasm_init_memory)" in ours
    assert ours == ref


def test_map_lists_the_functions_an_undefined_stub_stands_for(tmp_path):
    """With --unresolved-symbols=ignore-all, wasm-ld lists under each `undefined_stub`
    the functions it stands for; the mismatch's and the weak function's stubs list none."""
    objects = compile_sources(["order/stub_kinds.c", "mismatch/impl.c"], tmp_path, ["-w"])
    ours, ref = _maps(["--no-entry", "--export=use_all", "--export=compute_ok", "--unresolved-symbols=ignore-all",
                       *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert "<internal>:(undefined_stub)" in ours and "                missing" in ours
    assert ours == ref
