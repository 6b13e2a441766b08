"""Standard streams as WASI descriptors: host files, byte buffers, or real file descriptors.

Output to a host file object is flushed after every write so a program's output
interleaves as it runs (the CLI streams stdout and stderr); a `bytearray` collects it.
"""

import io
import os


class InputStream:
    """stdin: `bytes` (read from a buffer) or a binary file object. A file with a real
    descriptor is read with os.read: no Python-level buffer may hold bytes that
    `poll_oneoff`'s select() on the descriptor could not see."""

    def __init__(self, source):
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(bytes(source))
        self.file = source
        try:
            self.fd = source.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None

    def read(self, size: int) -> bytes:
        if self.fd is not None:
            return os.read(self.fd, size)
        reader = getattr(self.file, "read1", None) or self.file.read
        return reader(size)

    def fileno(self):
        return self.fd

    def write(self, chunk: bytes) -> int:
        raise OSError(9, "stdin is not writable")  # EBADF


class OutputStream:
    """stdout or stderr: a `bytearray` to append to, or a binary file object."""

    def __init__(self, target):
        self.target = target
        self.buffer = target if isinstance(target, bytearray) else None

    def write(self, chunk: bytes) -> int:
        if self.buffer is not None:
            self.buffer += chunk
        else:
            self.target.write(chunk)
            self.target.flush()
        return len(chunk)

    def read(self, size: int) -> bytes:
        raise OSError(9, "output stream is not readable")

    def fileno(self):
        try:
            return self.target.fileno() if self.buffer is None else None
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None


def is_tty(stream) -> bool:
    fd = stream.fileno()
    return fd is not None and os.isatty(fd)


class ConsoleStream:
    """The CLI's stdout/stderr as a binary file: text already printed through the text
    layer (by host stubs, say) is flushed first, so output keeps its order."""

    def __init__(self, text_stream):
        self.text = text_stream

    def write(self, chunk: bytes):
        self.text.flush()
        self.text.buffer.write(chunk)

    def flush(self):
        self.text.buffer.flush()

    def fileno(self):
        return self.text.fileno()
