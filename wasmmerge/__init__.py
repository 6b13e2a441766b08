"""wasmmerge: a static WebAssembly module merger, with a codec, validator and interpreter."""

from .binary.model import Module
from .errors import DecodeError, Exhaustion, LinkError, Trap, Unsupported, ValidationError, WasmError

__all__ = ["decode", "encode", "Module", "WasmError", "DecodeError", "ValidationError",
           "LinkError", "Trap", "Exhaustion", "Unsupported", "validate"]
__version__ = "0.1.0"


def decode(data: bytes, lazy: bool = False, name: str | None = None, features=None) -> Module:
    """Decode a binary module.

    With `lazy`, function bodies are split off but decoded (and checked) only when used.
    `features` (see `wasmmerge.features`) defaults to everything we read.
    """
    from .binary.reader import decode_module
    from .features import ALL
    try:
        return decode_module(data, lazy=lazy, features=ALL if features is None else features)
    except WasmError as err:
        raise err.with_file(name) if name else err


def encode(module: Module) -> bytes:
    """Encode a module; `encode(decode(b)) == b` for every minimally encoded module."""
    from .binary.writer import encode_module
    return encode_module(module)


from . import validate  # noqa: E402  (a callable package: wasmmerge.validate(module, features=None))
from . import merge  # noqa: E402  (a callable package: wasmmerge.merge(inputs, options=None))
