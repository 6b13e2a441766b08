"""One exception per phase, each able to say where it happened.

An error is created complete: message, offset from the start of the module, file, and
(for `ValidationError`) function index. It crosses process boundaries (the worker pool)
pickled whole, every field included.
"""


class WasmError(Exception):
    """Base of every error wasmmerge raises on purpose."""

    def __init__(self, message: str, offset: int | None = None, file: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.file = file

    def __reduce__(self):
        # Every field travels (offset, file and any a subclass adds), and the copy is made
        # without calling the subclass's constructor, whatever arguments it takes.
        return _restore, (type(self), self.__dict__.copy())

    def at_base(self, base: int) -> "WasmError":
        """The same error, complete, for bytes found at `base` in the module: a new error
        whose offset counts from the start of the module (this one's counted from `base`)."""
        moved = _restore(type(self), self.__dict__.copy())
        moved.offset = base + (self.offset or 0)
        return moved

    def with_file(self, file: str) -> "WasmError":
        if self.file is None:
            self.file = file
        return self

    def __str__(self) -> str:
        text = self.message
        if self.offset is not None:
            text = f"{text} (at offset {self.offset:#x})"
        if self.file:
            text = f"{self.file}: {text}"
        return text


class DecodeError(WasmError):
    """The bytes are not a well-formed module (the spec's 'malformed')."""


class ValidationError(WasmError):
    """The module is well-formed but not valid (the spec's 'invalid')."""

    def __init__(self, message, offset=None, file=None, func: int | None = None):
        super().__init__(message, offset, file)
        self.func = func

    def __str__(self) -> str:
        text = super().__str__()
        if self.func is not None:
            text = f"{text} [in function {self.func}]"
        return text


class Unsupported(WasmError):
    """A feature we recognise but do not implement yet."""


class LinkError(WasmError):
    """Imports cannot be bound (the spec's 'unlinkable'); also merge resolution errors."""


class Trap(WasmError):
    """Execution trapped; the message is the spec's."""


class Exhaustion(WasmError):
    """Execution ran out of a resource: call stack or fuel."""


def _restore(cls, fields: dict) -> WasmError:
    """An unpickled error: of class `cls`, with exactly the fields it was pickled with."""
    err = cls.__new__(cls)
    Exception.__init__(err, fields["message"])
    err.__dict__.update(fields)
    return err
