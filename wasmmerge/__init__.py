"""wasmmerge: a static WebAssembly module merger, with a codec, validator and interpreter.

The public verbs are plain functions that import their package on first use, so
`import wasmmerge` costs only the errors (`wasmmerge --version` loads nothing more):

    module = wasmmerge.decode(data)             # bytes -> Module
    data = wasmmerge.encode(module)             # Module -> bytes
    wasmmerge.validate(module)                  # raises ValidationError
    result = wasmmerge.merge([("lib", lib), ("app", app)], wasmmerge.MergeOptions())
"""

from .errors import DecodeError, Exhaustion, LinkError, Trap, Unsupported, ValidationError, WasmError

__all__ = ["decode", "encode", "validate", "merge", "Module", "MergeOptions", "MergeResult", "WasmError",
           "DecodeError", "ValidationError", "LinkError", "Trap", "Exhaustion", "Unsupported"]
__version__ = "0.1.0"

# Each verb imports its package inside the call, on purpose: a user who only decodes
# must not pay for the validator, the merger or multiprocessing.


def decode(data: bytes, lazy: bool = False, name: str | None = None, features=None) -> "Module":
    """Decode a binary module.

    With `lazy`, function bodies are split off but decoded (and checked) only when used.
    `features` (see `wasmmerge.features`) defaults to everything we read.
    """
    # lazy: `import wasmmerge` must not load the codec (see above).
    from .binary.reader import decode_module
    from .features import ALL
    try:
        return decode_module(data, lazy=lazy, features=ALL if features is None else features)
    except WasmError as err:
        raise err.with_file(name) if name else err


def encode(module: "Module") -> bytes:
    """Encode a module; `encode(decode(b)) == b` for every minimally encoded module."""
    # lazy: `import wasmmerge` must not load the encoder.
    from .binary.writer import encode_module
    return encode_module(module)


def validate(module, features=None):
    """Validate a `Module` (or the bytes of one); raise `ValidationError` if it is invalid.

    Returns the validation context (canonical types of the module's index spaces).
    """
    # lazy: only a caller who validates pays for the validator.
    from .validator import validate_module
    if isinstance(module, (bytes, bytearray, memoryview)):
        module = decode(bytes(module), features=features)
    return validate_module(module, features)


def merge(inputs, options=None, files=None):
    """Merge `[(name, bytes), ...]`, given in instantiation order, into one module.

    Returns a `MergeResult` (`.data`, `.module`, `.warnings`, `.report`).
    """
    # lazy: only a caller who merges pays for the merger (and multiprocessing).
    from .merger import merge as merge_modules
    return merge_modules(inputs, options, files)


def __getattr__(name):
    # The model and the option and result classes load only when asked.
    if name == "Module":
        # lazy: as the verbs: the model is the codec's first import.
        from .binary.model import Module
        return Module
    if name in ("MergeOptions", "MergeResult"):
        # lazy: as in merge(): the merger loads on first use.
        from . import merger
        return getattr(merger, name)
    raise AttributeError(f"module 'wasmmerge' has no attribute {name!r}")
