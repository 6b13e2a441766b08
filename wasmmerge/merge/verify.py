"""Validating the merged module, and saying which input is to blame when it is invalid."""

from ..binary.types import FUNC_KIND
from ..errors import DecodeError, ValidationError, WasmError


def validate_output(out, loaded, plan, warnings, inputs):
    try:
        from ..validate import validate_module
    except ImportError:
        warnings.append("output not validated: wasmmerge.validate is not available")
        return
    try:
        validate_module(out)
    except (ValidationError, DecodeError) as err:
        func = getattr(err, "func", None)
        where = _origin_of_function(func, loaded, plan) if func is not None else None
        if where:
            raise type(err)(f"{where}: {err.message}", err.offset) from None
        _blame_input(inputs, loaded, validate_module)
        raise ValidationError(f"internal error: the merged module is invalid although every input is "
                              f"valid; please report it: {err}") from None


def _blame_input(inputs, loaded, validate_module):
    """Raise the first input's own error, when the merged module is invalid because of it."""
    from ..binary.reader import decode_module
    for (_, data), inp in zip(inputs, loaded):
        try:
            validate_module(decode_module(data))
        except WasmError as err:
            raise err.with_file(inp.label) from None


def _origin_of_function(func: int, loaded, plan) -> str | None:
    """`input: function N` for a merged function index, when an input defined it."""
    for k, inp in enumerate(loaded):
        base = plan.bases[k][FUNC_KIND]
        if base <= func < base + len(inp.module.funcs):
            imported = inp.module.count(FUNC_KIND) - len(inp.module.funcs)
            return f"{inp.label}: function {func - base + imported}"
    return None
