"""Running the real command line in a subprocess, and the small modules the CLI tests use."""

import os
import subprocess
import sys

from conftest import wat2wasm

LIB = '(module (func (export "five") (result i32) i32.const 5) (memory (export "mem") 1))'
APP = ('(module (import "lib" "five" (func $five (result i32))) (import "lib" "mem" (memory 1)) '
       '(func (export "run") (result i32) call $five))')


def wasmmerge(*args, cwd=None, input=None, env=None, text=True):
    """`python -m wasmmerge ARGS...` (the worktree's package: PYTHONPATH is inherited)."""
    return subprocess.run([sys.executable, "-m", "wasmmerge", *map(str, args)], capture_output=True,
                          text=text, cwd=cwd, input=input, env=env)


def write_modules(directory, **modules):
    """Assemble each `name=WAT` into `directory/name.wasm` (unchecked: some are invalid on purpose)."""
    for name, wat in modules.items():
        (directory / f"{name}.wasm").write_bytes(wat2wasm(wat, "--enable-all", "--no-check"))


def snapshot(directory) -> dict:
    """Every file under `directory` with its bytes: what a command left on disk."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file() or p.is_symlink() and p.exists()}


def env_without_tools(tmp_path) -> dict:
    """The environment with an empty PATH: no wabt (the Python is run by its full path)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {**os.environ, "PATH": str(empty)}
