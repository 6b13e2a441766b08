"""All-or-nothing outputs for the commands that write files (merge, and later link).

A build tool trusts a target's time stamp: a command that fails must leave no new output
behind, or the next `make` thinks the target is up to date. So a command first checks
its output paths (none may be an input or another output: a typo there would destroy a
source), then collects every output in an `OutputSet` and commits them at the end:
each is written to a temporary file in its target's directory, and only when all are
written are they renamed over their targets, the primary output last. A failure while
writing removes every temporary file and leaves every target as it was. Errors name the
user's path, never the temporary file.
"""

import os
import sys

from .binary.record import Record
from .errors import WasmError

# `-` as an output path: standard output, written after every file has been renamed.
STDOUT = "-"
TEMP_PREFIX = ".wasmmerge-"
# Tries at a free temporary name: each is 12 random hex digits, so a clash is a fluke.
TEMP_ATTEMPTS = 100
# Create only (never open what exists, nor follow a link placed there), as mkstemp does.
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class Deferred:
    """A piece of an output made while it is written, a window at a time, so that the
    whole of it is never held in memory (the linker's code section: most of a module).
    `write_to(write)` calls `write` with each window, bytes-like, in order; a window is
    the caller's only until `write` returns. It can be written once."""

    __slots__ = ()

    def write_to(self, write) -> None:
        raise NotImplementedError


def joined(pieces: list) -> bytes:
    """An output given as pieces (bytes-like or `Deferred`), in one piece."""
    if not any(isinstance(piece, Deferred) for piece in pieces):
        return b"".join(pieces)
    out = bytearray()
    for piece in pieces:
        if isinstance(piece, Deferred):
            piece.write_to(out.extend)
        else:
            out += piece
    return bytes(out)


def check_paths(inputs: list[str], outputs: list[tuple[str, str | None]]) -> None:
    """Refuse an output (`(option, path)`, path None when not asked for) that is one of
    the `inputs` or another output, comparing resolved paths (so `./a.wasm`, `dir/../a.wasm`
    and symbolic or hard links count), and one that cannot be a file (a directory, a
    missing directory). Raises WasmError naming both paths."""
    by_path: dict[str, str] = {}
    by_inode: dict[tuple[int, int], str] = {}

    def claim(path: str, role: str, is_input: bool = False) -> None:
        try:
            st = os.stat(path)
        except OSError:
            st = None
        # An existing input is known by its file (a stat: a link reads hundreds); a
        # resolved path is needed only to compare what does not exist yet.
        key = os.path.realpath(path) if not is_input or st is None else None
        previous = by_path.get(key) if key is not None else None
        if st is not None:
            inode = (st.st_dev, st.st_ino)
            previous = previous or by_inode.get(inode)
            by_inode.setdefault(inode, role)
        if previous is not None:
            if is_input:  # one file may be read twice (under two names)
                return
            raise WasmError(f"{role} is the same file as {previous}: refusing to overwrite it")
        if key is not None:
            by_path[key] = role

    for path in inputs:
        if path != "-":
            claim(path, f"input {path}", is_input=True)
    for option, path in outputs:
        if path is None or path == STDOUT:
            continue
        if os.path.isdir(path) or path.endswith(("/", os.sep)):
            raise WasmError(f"is a directory ({option} names the file to write)", file=path)
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            problem = "is not a directory" if os.path.exists(directory) else "does not exist"
            raise WasmError(f"cannot write: {directory} {problem} ({option})", file=path)
        claim(path, f"{option} {path}")


class OutputSet(Record):
    """The outputs of one command, written together by `commit` or not at all."""

    __slots__ = ("files", "stdout", "streamed")

    def __init__(self, files: list[tuple[str, bytes | list | None]] | None = None, stdout: bytes | None = None,
                 streamed: dict[str, str] | None = None):
        self.files = [] if files is None else files
        self.stdout = stdout
        # Outputs already written to a temporary (by `stream`), by target path.
        self.streamed = {} if streamed is None else streamed

    def add(self, path: str, data) -> None:
        """Add an output (bytes, or a list of pieces, bytes-like or `Deferred`, written
        one after another); add the primary output (the build target) first."""
        if isinstance(data, list) and path == STDOUT:
            data = joined(data)
        if path == STDOUT:
            self.stdout = data
        else:
            self.files.append((path, data))

    def stream(self, path: str) -> "_Stream":
        """Add the output `path`, written through the binary file that `with` gives (a
        temporary beside it, so a large output is never held in memory); removed if the
        block fails."""
        return _Stream(self, path)

    def discard(self) -> None:
        """Remove what `stream` wrote and `commit` did not rename (a command that failed)."""
        for temp in self.streamed.values():
            if os.path.exists(temp):
                os.unlink(temp)
        self.streamed.clear()

    def commit(self) -> None:
        """Write every file to a temporary beside its target, then rename all of them
        (primary output last, so a failure between renames never leaves a new target with
        stale companions), then write standard output. Raises WasmError naming the target."""
        written: list[tuple[str, str]] = []
        try:
            for path, data in self.files:
                temp = self.streamed.pop(path) if data is None else _write_temporary(path, data)
                written.append((temp, path))
            for temp, path in reversed(written):
                try:
                    os.replace(temp, path)
                except OSError as err:
                    raise _error(path, err) from None
        finally:
            for temp in [t for t, _ in written] + list(self.streamed.values()):
                if os.path.exists(temp):
                    os.unlink(temp)
        if self.stdout is not None:
            sys.stdout.flush()
            sys.stdout.buffer.write(self.stdout)
            sys.stdout.buffer.flush()


class _Stream:
    """OutputSet.stream's context (a class: contextlib's import is a tenth of a small
    link's start, and the link path writes no stream)."""

    def __init__(self, outputs: OutputSet, path: str):
        self.outputs = outputs
        self.path = path
        self.temp = self.file = None

    def __enter__(self):
        self.temp, self.file = _open_temporary(self.path)
        return self.file

    def __exit__(self, kind, error, traceback):
        failure = error
        try:
            self.file.close()
        except OSError as close_error:  # the last writes failed (a full disk)
            failure = failure or close_error
        if failure is None:
            self.outputs.streamed[self.path] = self.temp
            self.outputs.files.append((self.path, None))
            return False
        os.unlink(self.temp)
        if isinstance(failure, OSError):
            raise _error(self.path, failure) from None
        return False  # the block's own exception goes on


def _open_temporary(path: str):
    """(name, binary file) of a new temporary beside `path`.

    Made as `tempfile.mkstemp` makes one (a new random name, created exclusively), by hand:
    tempfile's import (with shutil and random under it) was a tenth of a small link's
    start-up. Created with mode 0666 less the umask, the permissions of a plain write
    (a web server must be able to serve the output), where mkstemp's are private (0600)."""
    directory = os.path.dirname(os.path.abspath(path))
    for _ in range(TEMP_ATTEMPTS):
        temp = os.path.join(directory, f"{TEMP_PREFIX}{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(temp, _TEMP_FLAGS, 0o666)
        except FileExistsError:
            continue
        except OSError as err:
            raise _error(path, err) from None
        return temp, os.fdopen(fd, "wb")
    raise _error(path, FileExistsError(17, "no free temporary file name", directory))


def _write_temporary(path: str, data) -> str:
    temp, f = _open_temporary(path)
    try:
        with f:
            if isinstance(data, list):
                for piece in data:
                    if isinstance(piece, Deferred):
                        piece.write_to(f.write)
                    else:
                        f.write(piece)
            else:
                f.write(data)
    except OSError as err:
        os.unlink(temp)
        raise _error(path, err) from None
    except BaseException:  # a deferred piece failed while being made: no output
        os.unlink(temp)
        raise
    return temp


def _error(path: str, err: OSError) -> WasmError:
    return WasmError(f"cannot write: {err.strerror or err}", file=path)
