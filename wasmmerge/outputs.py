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
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import WasmError

# `-` as an output path: standard output, written after every file has been renamed.
STDOUT = "-"
TEMP_PREFIX = ".wasmmerge-"


def check_paths(inputs: list[str], outputs: list[tuple[str, str | None]]) -> None:
    """Refuse an output (`(option, path)`, path None when not asked for) that is one of
    the `inputs` or another output, comparing resolved paths (so `./a.wasm`, `dir/../a.wasm`
    and symbolic or hard links count), and one that cannot be a file (a directory, a
    missing directory). Raises WasmError naming both paths."""
    by_path: dict[str, str] = {}
    by_inode: dict[tuple[int, int], str] = {}

    def claim(path: str, role: str, is_input: bool = False) -> None:
        key = os.path.realpath(path)
        previous = by_path.get(key)
        try:
            st = os.stat(path)
            inode = (st.st_dev, st.st_ino)
            previous = previous or by_inode.get(inode)
            by_inode.setdefault(inode, role)
        except OSError:
            pass
        if previous is not None:
            if is_input:  # one file may be read twice (under two names)
                return
            raise WasmError(f"{role} is the same file as {previous}: refusing to overwrite it")
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


@dataclass
class OutputSet:
    """The outputs of one command, written together by `commit` or not at all."""

    files: list[tuple[str, bytes | None]] = field(default_factory=list)
    stdout: bytes | None = None
    # Outputs already written to a temporary (by `stream`), by target path.
    streamed: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        """Add an output; add the primary output (the build target) first."""
        if path == STDOUT:
            self.stdout = data
        else:
            self.files.append((path, data))

    @contextmanager
    def stream(self, path: str):
        """Add the output `path`, written through the binary file this yields (a temporary
        beside it, so a large output is never held in memory); removed if the block fails."""
        temp, f = _open_temporary(path)
        try:
            with f:
                yield f
        except OSError as err:
            os.unlink(temp)
            raise _error(path, err) from None
        except BaseException:
            os.unlink(temp)
            raise
        self.streamed[path] = temp
        self.files.append((path, None))

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


def _open_temporary(path: str):
    """(name, binary file) of a new temporary beside `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    except OSError as err:
        raise _error(path, err) from None
    try:
        # mkstemp makes the file private (0600); an output is an ordinary file, readable
        # as the umask allows (a web server must be able to serve it).
        os.fchmod(fd, 0o666 & ~_umask())
    except OSError as err:
        os.close(fd)
        os.unlink(temp)
        raise _error(path, err) from None
    return temp, os.fdopen(fd, "wb")


def _write_temporary(path: str, data: bytes) -> str:
    temp, f = _open_temporary(path)
    try:
        with f:
            f.write(data)
    except OSError as err:
        os.unlink(temp)
        raise _error(path, err) from None
    return temp


def _error(path: str, err: OSError) -> WasmError:
    return WasmError(f"cannot write: {err.strerror or err}", file=path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
