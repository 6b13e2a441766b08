"""What every command shares: the table of commands, the one diagnostic format, reading an
input (a file, `-`, or `.wat` text through wabt), and the progress line shown on a terminal.

Every message a command prints about a problem has one form, on stderr, that editors and
build logs can parse:

    wasmmerge: error: FILE:0xOFFSET: message [in function N]
    wasmmerge: warning: message

(`FILE:` and `0xOFFSET:` only where they are known). `diagnostic` builds it from a
`WasmError`; `fail` prints it and exits.

A leaf (it imports only `errors.py` of ours, and not click): the command modules import it
instead of `cli.py`, so `cli.py` can load a command's module only when that command runs,
and `wasmmerge link`, which parses its own command line, runs without click at all.
"""

import atexit
import codecs
import gc
import importlib
import os
import sys
import time

from .errors import WasmError

PROG = "wasmmerge"
# Exit statuses (docs/cli.md): a user error (bad input, failed write) and a usage error
# (unknown option or command, options that exclude each other).
USER_ERROR = 1
USAGE_ERROR = 2
# What `-` means as an input: the module is read from standard input (named so in messages).
STDIN = "-"
STDIN_LABEL = "<stdin>"
WAT_HINT = "install wabt (`apt-get install wabt`, or `make test`), or assemble it first"
# The commands, each named by "module:attribute" and imported only when it runs (or
# `--help` lists it): `cli.main` dispatches, `cligroup` parses for click. Here, in the leaf
# both import, rather than in either of them.
COMMANDS = {
    "inspect": "wasmmerge.inspect_cmd:inspect_command",
    "validate": "wasmmerge.validator.command:validate_command",
    "merge": "wasmmerge.merger.command:merge_command",
    "run": "wasmmerge.runtime.command:run_command",
    "spec": "wasmmerge.spectest.command:spec_command",
    "verify": "wasmmerge.verify_cmd:verify_command",
    "link": "wasmmerge.linker.command:link_main",
}
# Commands named by a plain function of the argument list (after the command's name),
# which parses them itself: click (when it is the one parsing) only hands them over.
SELF_PARSING = {"link"}


def load_command(name: str, freeze: bool):
    """The object `COMMANDS[name]` names, its module imported now; with `freeze`, what the
    import made is frozen out of every later collection (it lives until the process ends)."""
    module_name, attribute = COMMANDS[name].split(":")
    # Imports make objects by the ten thousand and no garbage: the collections they
    # would trigger (a few ms of a small merge) find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # lazy: only the command being run (or listed by --help) is imported.
        command = getattr(importlib.import_module(module_name), attribute)
    finally:
        if collecting:
            gc.enable()
    if freeze:
        gc.freeze()
    return command


# What click.echo removes from text written to anything but a terminal: ANSI escape sequences.
ANSI_ESCAPE = r"\033\[[0-?]*[ -/]*[@-~]"


def echo(text: str, err: bool = False) -> None:
    """Write one line to stdout (stderr with `err`) and flush it, as `click.echo` does, so
    that a command writes the same bytes whether click is loaded or not (`link` runs
    without it): escape sequences are removed unless the stream is a terminal, and a
    stream set up for ASCII gets UTF-8 instead of an encoding error."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no standard stream to write to
        return
    line = text + "\n"
    if "\033" in line and not _isatty(stream):
        import re  # lazy: only for a line with an escape character in it
        line = re.sub(ANSI_ESCAPE, "", line)
    if _is_ascii(getattr(stream, "encoding", None) or "ascii") and hasattr(stream, "buffer"):
        stream.flush()
        stream.buffer.write(line.encode("utf-8", "replace"))
        stream.buffer.flush()
        return
    stream.write(line)
    stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except Exception:  # a closed or unusual stream, as click treats it: not a terminal
        return False


def _is_ascii(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "ascii"
    except LookupError:
        return False


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


def label(path: str) -> str:
    """How messages name an input path (`-` is standard input)."""
    return STDIN_LABEL if path == STDIN else path


def fail(problem: "WasmError | str", status: int = USER_ERROR):
    """Print the problem as one diagnostic line on stderr and exit: never a traceback."""
    if Progress.current is not None:
        Progress.current.close()
    echo(diagnostic(problem), err=True)
    sys.exit(status)


def warn(problem: "WasmError | str") -> None:
    Progress.erase()
    echo(diagnostic(problem, "warning"), err=True)


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
        return wat_to_wasm(data, STDIN_LABEL) if data.lstrip().startswith(b"(") else data
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
    """Assemble WebAssembly text with wabt's `wat2wasm` (every proposal enabled). Only
    parsed, not checked (`--no-check`): whether it is valid is ours to say, in our words."""
    # lazy: only text inputs run a tool; subprocess is a few ms of every command's start.
    import re
    import shutil
    import subprocess
    exe = shutil.which("wat2wasm")
    if exe is None:
        raise WasmError(f"text input needs wabt's wat2wasm, which is not installed: {WAT_HINT}", file=path)
    proc = subprocess.run([exe, "--enable-all", "--no-check", "-", "--output=-"], input=text, capture_output=True)
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
    # lazy: as in `wat_to_wasm`, only when text is asked for.
    import shutil
    import subprocess
    import tempfile
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


def _on_main_thread() -> bool:
    """Whether this is the main thread (the only one that receives signals)."""
    import threading  # lazy: only a progress line on a terminal asks; a link never starts a thread
    return threading.current_thread() is threading.main_thread()


def _interval_timer():
    """The `signal` module where it has interval timers (not on Windows), else None."""
    import signal  # lazy: only a progress line on a terminal needs it, not a build's merges.
    return signal if hasattr(signal, "setitimer") else None


class Progress:
    """A status line on a terminal for work that runs past a second: `wasmmerge: WHAT:
    STATUS (N.N s)`, redrawn in place twice a second and erased when the work ends.

    Only when stderr is a terminal: a log or a pipe gets nothing (`-v` prints phases as
    lines instead). Driven by SIGALRM rather than a thread, so worker processes forked
    meanwhile inherit no running thread (nor the timer: fork does not copy timers).
    `WASMMERGE_PROGRESS_AFTER` sets the delay in seconds (the tests use 0).
    """

    current: "Progress | None" = None  # the one being shown, for `erase`

    def __init__(self, what: str, status: str = "", enabled: bool = True):
        self.what = what
        self.status = status
        self.shown = False
        self.started = time.monotonic()
        stream = sys.stderr
        self.enabled = (enabled and stream.isatty() and os.environ.get("TERM") != "dumb"
                        and _on_main_thread() and _interval_timer() is not None)
        if self.enabled:
            signal = _interval_timer()
            Progress.current = self
            # However the command ends, the timer stops before the interpreter resets its
            # signal handlers (a SIGALRM then would kill the process).
            atexit.register(self.close)
            delay = float(os.environ.get("WASMMERGE_PROGRESS_AFTER", "1"))
            self.previous = signal.signal(signal.SIGALRM, self._draw)
            signal.setitimer(signal.ITIMER_REAL, max(delay, 0.001), 0.5)

    def update(self, status: str) -> None:
        self.status = status

    def _draw(self, signum=None, frame=None) -> None:
        elapsed = time.monotonic() - self.started
        status = f"{self.status} " if self.status else ""
        try:
            sys.stderr.write(f"\r\033[K{PROG}: {self.what}: {status}({elapsed:.1f} s)")
            sys.stderr.flush()
        except (OSError, RuntimeError):
            # RuntimeError: the tick came while stderr was being written (a reentrant
            # write); the next tick draws instead.
            return
        self.shown = True

    def close(self) -> None:
        if not self.enabled:
            return
        signal = _interval_timer()
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, self.previous)
        self.enabled = False
        Progress.current = None
        self._erase_line()

    def _erase_line(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False

    @classmethod
    def erase(cls) -> None:
        """Clear the status line (it is redrawn at the next tick) so a message starts at
        the beginning of a line."""
        if cls.current is not None:
            cls.current._erase_line()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
