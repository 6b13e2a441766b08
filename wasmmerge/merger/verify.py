"""The merged module's bodies: rewritten and validated in one pass, and saying which input
is to blame when something is wrong."""

from ..binary.model import Code
from ..binary.types import FUNC_KIND
from ..errors import ValidationError, WasmError
from .rewrite import rewrite


def rewriter(remaps: list):
    """transform(i, code): body i with its input's indices rewritten (remaps[i] None: as is)."""
    def transform(i: int, code: Code) -> Code:
        remap = remaps[i]
        if remap is None:
            return code
        return Code(code.locals, rewrite(code.body, remap, code.offset), code.offset)
    return transform


def finish_codes(out, loaded, plan, remaps: list, validate: bool, inputs, jobs: int | None = None) -> None:
    """Rewrite every body of `out` and, with `validate`, validate the whole module.

    Both happen in one pass over the bodies, in worker processes for large modules. An
    error in a body names the input and its own function index.
    """
    from ..validator import check_codes
    transform = rewriter(remaps)
    imported = out.count(FUNC_KIND) - len(out.funcs)
    ctx = _check_module(out, inputs, loaded) if validate else None
    try:
        if validate:
            check_codes(ctx, jobs, transform=transform)
        else:
            for i, code in enumerate(out.codes):
                try:
                    out.codes[i] = transform(i, code)
                except WasmError as err:
                    err.func = imported + i
                    raise
    except WasmError as err:
        func = getattr(err, "func", None)
        where = _origin_of_function(func, loaded, plan) if func is not None else None
        if where:
            raise type(err)(f"{where}: {err.message}", err.offset) from None
        raise _internal(err) from None


def _check_module(out, inputs, loaded):
    from ..validator import check_module
    try:
        return check_module(out)
    except WasmError as err:
        _blame_input(inputs, loaded)
        raise _internal(err) from None


def _internal(err) -> ValidationError:
    return ValidationError(f"internal error: the merged module is invalid although every input is "
                           f"valid; please report it: {err}")


def _blame_input(inputs, loaded):
    """Raise the first input's own error, when the merged module is invalid because of it."""
    from ..binary.reader import decode_module
    from ..validator import validate_module
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
            return f"{inp.label}: function {func - base + plan.imported[k][FUNC_KIND]}"
    return None
