"""What every command shares: the one diagnostic format, and reading an input.

Every message a command prints about a problem has one form, on stderr, that editors and
build logs can parse:

    wasmmerge: error: FILE:0xOFFSET: message [in function N]
    wasmmerge: warning: message

(`FILE:` and `0xOFFSET:` only where they are known). `diagnostic` builds it from a
`WasmError`; `fail` prints it and exits.

A leaf (it imports only `errors.py` of ours): the command modules import it instead of
`cli.py`, so `cli.py` can load a command's module only when that command runs.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import click

from .errors import WasmError

PROG = "wasmmerge"
# Exit statuses (docs/cli.md): a user error (bad input, failed write) and a usage error
# (unknown option or command, options that exclude each other).
USER_ERROR = 1
USAGE_ERROR = 2
# What `-` means as an input: the module is read from standard input.
STDIN = "-"
WAT_HINT = "install wabt (`apt-get install wabt`, or `make test`), or assemble it first"


def diagnostic(problem: "WasmError | str", severity: str = "error") -> str:
    """`wasmmerge: SEVERITY: FILE:0xOFFSET: message [in function N]` for a WasmError (or
    `wasmmerge: SEVERITY: text` for a plain message)."""
    if not isinstance(problem, WasmError):
        return f"{PROG}: {severity}: {problem}"
    where = ""
    if problem.file:
        where = f"{problem.file}:"
    if problem.offset is not None:
        where += f"{problem.offset:#x}:"
    text = f"{where} {problem.message}" if where else problem.message
    func = getattr(problem, "func", None)
    if func is not None:
        text += f" [in function {func}]"
    return f"{PROG}: {severity}: {text}"


def fail(problem: "WasmError | str", status: int = USER_ERROR):
    """Print the problem as one diagnostic line on stderr and exit: never a traceback."""
    click.echo(diagnostic(problem), err=True)
    sys.exit(status)


def warn(problem: "WasmError | str") -> None:
    click.echo(diagnostic(problem, "warning"), err=True)


def os_error(path: str, err: OSError) -> WasmError:
    """An OS error as a user error naming the user's path (not a temporary file's)."""
    return WasmError(err.strerror or str(err), file=path)


def read_input(path: str) -> bytes:
    """A module's bytes: from a file, from stdin for `-`, or assembled from a `.wat` file
    by wabt's `wat2wasm`. Every failure is a one-line user error."""
    try:
        return load_input(path)
    except WasmError as err:
        fail(err)


def load_input(path: str) -> bytes:
    """As `read_input`, raising WasmError instead of exiting (for commands that go on)."""
    if path == STDIN:
        data = sys.stdin.buffer.read()
        return wat_to_wasm(data, "<stdin>") if data.lstrip().startswith(b"(") else data
    try:
        if os.path.isdir(path):
            raise IsADirectoryError(21, "Is a directory", path)
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise os_error(path, err) from None
    if path.endswith(".wat"):
        return wat_to_wasm(data, path)
    return data


def wat_to_wasm(text: bytes, path: str) -> bytes:
    """Assemble WebAssembly text with wabt's `wat2wasm` (every proposal enabled)."""
    exe = shutil.which("wat2wasm")
    if exe is None:
        raise WasmError(f"text input needs wabt's wat2wasm, which is not installed: {WAT_HINT}", file=path)
    proc = subprocess.run([exe, "--enable-all", "-", "--output=-"], input=text, capture_output=True)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        # wat2wasm names its input "-"; its first line is `-:LINE:COL: error: MESSAGE`,
        # reported as `PATH:LINE:COL: MESSAGE` (the form editors jump to).
        match = re.match(r"-:(\d+):(\d+): error: (.*)", lines[0] if lines else "")
        if match:
            raise WasmError(match[3], file=f"{path}:{match[1]}:{match[2]}")
        raise WasmError(f"wat2wasm failed: {lines[0] if lines else proc.returncode}", file=path)
    return proc.stdout


def wasm_to_wat(data: bytes, path: str) -> bytes:
    """Disassemble a module with wabt's `wasm2wat` (which reads only named files)."""
    exe = shutil.which("wasm2wat")
    if exe is None:
        raise WasmError("--emit-text needs wabt's wasm2wat, which is not installed: install wabt "
                        "(`apt-get install wabt`, or `make test`)", file=path)
    with tempfile.TemporaryDirectory(prefix="wasmmerge-") as directory:
        binary = os.path.join(directory, "module.wasm")
        with open(binary, "wb") as f:
            f.write(data)
        proc = subprocess.run([exe, "--enable-all", binary], capture_output=True)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise WasmError(f"wasm2wat: {lines[0] if lines else proc.returncode}", file=path)
    return proc.stdout
