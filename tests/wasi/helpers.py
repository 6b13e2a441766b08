"""Building our C fixtures with clang + wasi-libc, and running them in wasmtime (the oracle)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "wasi"
NO_CLANG = ("clang with --target=wasm32-wasi (and wasi-libc) not found: install clang, lld and "
            "wasi-libc (Debian: apt-get install clang lld wasi-libc) to run the WASI tests")
_built: dict = {}


def build(name: str, directory: Path, *flags: str) -> Path:
    """Compile fixtures/wasi/NAME.c into `directory` (once per session and directory);
    `flags` such as `-mexec-model=reactor` go to clang."""
    key = (name, str(directory))
    if key in _built:
        return _built[key]
    clang = shutil.which("clang")
    if clang is None:
        pytest.skip(NO_CLANG)
    out = directory / f"{name}.wasm"
    proc = subprocess.run([clang, "--target=wasm32-wasi", "-O2", *flags, str(FIXTURES / f"{name}.c"),
                           "-o", str(out), "-lm"], capture_output=True, text=True)
    if proc.returncode != 0:
        if "wasi" in proc.stderr and ("not found" in proc.stderr or "No such file" in proc.stderr):
            pytest.skip(NO_CLANG)
        raise AssertionError(f"clang failed on {name}.c:\n{proc.stderr}")
    _built[key] = out
    return out


def run_wasmtime(wasm: Path, argv: list, env: dict, preopens: list, scratch: Path, stdin: bytes = b""):
    """(stdout, stderr, exit status) of the command in wasmtime with the same WASI setup.
    `preopens`: [(host dir, guest name)]."""
    wasmtime = pytest.importorskip("wasmtime", reason="the wasmtime package (make test installs it)")
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.argv = list(argv)
    config.env = list(env.items())
    for host, guest in preopens:
        config.preopen_dir(str(host), guest)
    out, err = scratch / "wasmtime.stdout", scratch / "wasmtime.stderr"
    stdin_path = scratch / "wasmtime.stdin"
    stdin_path.write_bytes(stdin)
    config.stdin_file = str(stdin_path)
    config.stdout_file = str(out)
    config.stderr_file = str(err)
    store.set_wasi(config)
    module = wasmtime.Module.from_file(engine, str(wasm))
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
        status = 0
    except wasmtime.ExitTrap as exit_:
        status = exit_.code
    return out.read_bytes(), err.read_bytes(), status


def fresh_dir(base: Path, name: str) -> Path:
    path = base / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


__all__ = ["build", "run_wasmtime", "fresh_dir", "os"]
