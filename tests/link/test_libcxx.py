"""C++ programs on libc++ (in the wasi-libc sysroot once `libc++-dev-wasm32` is
installed): the module `wasmmerge link` makes from clang++'s link command is wasm-ld
14's byte for byte, with its -Map, and runs the same under WASI."""

from pathlib import Path

import pytest

from .harness import (compile_sources, driver_link_args, link_both, run_command, run_command_here, run_wasm_ld,
                      run_wasmmerge_link)

LIBCXX = Path("/usr/lib/wasm32-wasi/libc++.a")
SOURCES = ["libcxx/main.cc", "libcxx/registry.cc"]
FLAGS = ["-std=c++17", "-fno-exceptions"]
EXPECTED = "meow\nwoof\n1 3 5 7 9 \none=1\ntwo=2\n"

# name: (compiler flags, driver flags). (--emit-relocs has no reference: wasm-ld 14
# crashes on it here.) --no-gc-sections keeps the functions and data of the COMDAT
# groups that lost to another object's, as wasm-ld 14 does.
LINKS = {
    "command": ([], []),
    "debug": (["-g"], []),
    "strip-debug": (["-g"], ["-Wl,--strip-debug"]),
    "export-all": ([], ["-Wl,--export-all"]),
    "export-all-debug": (["-g"], ["-Wl,--export-all"]),
    "export-dynamic": ([], ["-Wl,--export-dynamic"]),
    "O0": ([], ["-Wl,-O0"]),
    "no-gc": ([], ["-Wl,--no-gc-sections"]),
    "no-gc-debug": (["-g"], ["-Wl,--no-gc-sections"]),
}


def _args(tmp_path, cflags, ldflags):
    if not LIBCXX.exists():
        pytest.skip(f"{LIBCXX} not found: `apt-get install libc++-dev-wasm32` "
                    "(`make test` installs them)")
    objects = compile_sources(SOURCES, tmp_path, [*FLAGS, *cflags])
    return driver_link_args(objects, ["--driver-mode=g++", *ldflags])  # (as clang++ links)


@pytest.mark.parametrize("name", sorted(LINKS))
def test_libcxx_program_is_wasm_ld_s(name, tmp_path):
    ref, ours = link_both(_args(tmp_path, *LINKS[name]), tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    if "export-all" not in name:  # (--export-all: no command wrappers, so crt1's _start
        # never runs the constructors and std::cout is used unconstructed, in both)
        assert run_command(ours, tmp_path) == (EXPECTED, None)  # (main's 0: _start returns)
        assert run_command_here(ours) == (EXPECTED, 0)  # and under our own WASI host


@pytest.mark.parametrize("cflags", [[], ["-g"]], ids=["plain", "debug"])
def test_libcxx_map_is_wasm_ld_s(cflags, tmp_path):
    args = _args(tmp_path, cflags, [])
    ref_map, our_map = tmp_path / "ref.map", tmp_path / "ours.map"
    assert run_wasm_ld([*args, f"-Map={ref_map}"], tmp_path / "ref.wasm").returncode == 0
    done = run_wasmmerge_link([*args, f"-Map={our_map}"], tmp_path / "ours.wasm")
    assert done.returncode == 0, done.stderr
    assert our_map.read_text() == ref_map.read_text()
