"""The merged module's bodies: rewritten and validated in one pass, and saying which input
is to blame when something is wrong.

The merger owns this job: each body is rewritten into merged indices and, when validating,
checked at once with the validator's per-function check (`check_body`), in the process
that rewrote it; `workers.map_chunks` spreads the job over forked workers for large
modules. An error is created complete where it happens, naming the input and its own
function index, and reaches the caller unchanged (pickled whole from a worker).
"""

from ..binary.model import Code
from ..binary.reader import decode_module
from ..binary.types import FUNC_KIND
from ..errors import ValidationError, WasmError
from ..validator.module import check_body, check_module, validate_module
from ..workers import map_chunks
from .rewrite import rewrite


def finish_codes(out, loaded, plan, remaps: list, validate: bool, inputs, jobs: int | None = None) -> None:
    """Rewrite every body of `out` (`remaps[i]`: body i's input's Remap, None: keep it as
    it is) and, with `validate`, validate the whole module.

    Both happen in one pass over the bodies, in worker processes for large modules (only
    when validating: rewriting alone is cheaper than a worker's start). An error in a body
    names the input and its own function index.
    """
    ctx = _check_module(out, inputs, loaded) if validate else None
    imported = out.count(FUNC_KIND) - len(out.funcs)
    codes = out.codes

    def rewrite_and_check(start: int, stop: int) -> list[bytes]:
        bodies = []
        for i in range(start, stop):
            code, remap = codes[i], remaps[i]
            try:
                if remap is not None:
                    code = Code(code.locals, rewrite(code.body, remap, code.offset), code.offset)
                if ctx is not None:
                    check_body(ctx, imported + i, code)
            except WasmError as err:
                raise _blamed(err, imported + i, loaded, plan) from None
            bodies.append(code.body)
        return bodies

    chunks = map_chunks(rewrite_and_check, codes, jobs if validate else 1)
    i = 0
    for bodies in chunks:
        for body in bodies:
            codes[i].body = body
            i += 1


def _blamed(err: WasmError, func: int, loaded, plan) -> WasmError:
    """The error to report for `err`, raised in merged function `func`."""
    where = _origin_of_function(func, loaded, plan)
    if where:
        return type(err)(f"{where}: {err.message}", err.offset)
    return _internal(err)


def _check_module(out, inputs, loaded):
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
