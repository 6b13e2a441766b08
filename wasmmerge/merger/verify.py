"""The merged module's bodies: rewritten and validated in one pass, and saying which input
is to blame when something is wrong.

The merger owns this job: each body is rewritten into merged indices and, when validating,
checked at once with the validator's per-function check (`check_body`), in the process
that rewrote it; `workers.run_chunks` spreads the job over forked workers for large
modules. An error is created complete where it happens, naming the input and its own
function index, and reaches the caller unchanged (pickled whole from a worker).
"""

import os
import shutil
import tempfile

from ..binary.model import Code
from ..binary.reader import decode_module
from ..binary.spaces import MEMORY
from ..binary.types import FUNC_KIND
from ..binary.writer import CodeSection, code_entry_writer
from ..errors import ValidationError, WasmError
from ..validator.module import check_body, check_module, validate_module
from ..workers import plan_chunks, run_chunks, split_by_cost
from .rewrite import rewrite


def finish_codes(out, loaded, plan, remaps: list, validate: bool, inputs, jobs: int | None = None,
                 stream: bool = False) -> CodeSection | None:
    """Rewrite every body of `out` (`remaps[i]`: body i's input's Remap, None: keep it as
    it is) and, with `validate`, validate the whole module.

    Both happen in one pass over the bodies, in worker processes for large modules when
    validating or streaming (rewriting alone into bodies that must be pickled back is
    cheaper in one process). An error in a body
    names the input and its own function index.

    With `stream`, the rewritten bodies are not kept: each chunk's code entries go to a
    temporary file of its own as they are made, and the returned `CodeSection` copies
    them into the output. Neither the main process nor a worker then holds the rewritten
    code (the real-world merge's largest object) at once, and workers send back a size
    instead of pickled bodies. Without it the bodies replace those of `out.codes`.
    """
    ctx = _check_module(out, inputs, loaded) if validate else None
    imported = out.count(FUNC_KIND) - len(out.funcs)
    if not stream:  # the rewritten bodies replace those of the Code objects
        out.codes = list(out.codes)
    codes = out.codes
    # Rewriting alone is worth workers only when they send back sizes, not bodies (stream).
    workers, bounds = plan_chunks(codes, jobs if validate or stream else 1)
    if ctx is None and len(bounds) > 1:
        bounds = _rewrite_chunks(codes, remaps, len(bounds))
    # Made before the fork, so a worker writes to the file its chunk owns.
    spills = {start: tempfile.TemporaryFile() for start, _ in bounds} if stream else None
    entry = code_entry_writer()
    use_skipper = _worth_a_skipper(codes)

    def rewrite_and_check(start: int, stop: int):
        bodies, pending, written = [], bytearray(), 0
        for i in range(start, stop):
            code, remap = codes[i], remaps[i]
            if ctx is not None or remap is not None or spills is None:
                # A view into the input (see load.py) becomes bytes where it is worked on.
                code = _with_bytes(code)
            try:
                if remap is not None:
                    code = Code(code.locals, rewrite(code.body, remap, code.offset, use_skipper), code.offset)
                if ctx is not None:
                    check_body(ctx, imported + i, code)
            except WasmError as err:
                raise _blamed(err, imported + i, loaded, plan) from None
            if spills is None:
                bodies.append(code.body)
                continue
            if isinstance(codes, list):
                codes[i] = None  # the input's copy of the body is no longer needed
            head, raw_locals = entry(code)
            pending += head
            pending += raw_locals
            pending += code.body
            if len(pending) >= SPILL_BLOCK:
                written += _write_all(spills[start].fileno(), pending)
        if spills is None:
            return bodies
        return written + _write_all(spills[start].fileno(), pending)

    results = run_chunks(rewrite_and_check, workers, bounds)
    if spills is not None:
        files = [spills[start] for start, _ in bounds]
        return CodeSection(len(codes), sum(results), lambda output: _copy_spills(files, output))
    i = 0
    for bodies in results:
        for body in bodies:
            codes[i].body = body
            i += 1
    return None


def _rewrite_chunks(codes, remaps, parts: int) -> list[tuple[int, int]]:
    """(start, stop) of `parts` contiguous ranges of about equal rewriting cost. Without
    validation, the cost is not the code size: a body kept as it is costs next to nothing,
    and one whose memory moved (every load and store patched) about twice one where only
    calls change (measured on swc + esbuild)."""
    def cost(code, remap) -> int:
        per_byte = 0 if remap is None else 2 if MEMORY in remap.active else 1
        return _REWRITE_COST_PER_BODY + len(code.body) * per_byte

    return split_by_cost([cost(code, remap) for code, remap in zip(codes, remaps)], parts)


# A body's fixed cost (its entry and the loop around it), in bytes of rewritten code.
_REWRITE_COST_PER_BODY = 100


def _with_bytes(code: Code) -> Code:
    if isinstance(code.body, bytes):
        return code
    return Code(code.locals, bytes(code.body), code.offset)


# Bytes of code entries gathered before a write to a chunk's spill file.
SPILL_BLOCK = 1 << 18
# The rewriter's skipper (a regular expression over runs of instructions needing no patch)
# takes 4 ms to compile and saves ~55 ns a byte: below this much code, scanning in Python
# costs less than compiling it (a small merge's largest single cost).
SKIPPER_WORTH = 32 * 1024


def _worth_a_skipper(codes) -> bool:
    total = 0
    for code in codes:
        total += len(code.body)
        if total >= SKIPPER_WORTH:
            return True
    return False


def _write_all(fd: int, data: bytearray) -> int:
    """Write `data` to `fd` (unbuffered: a worker's file object would not be flushed) and
    empty it; the bytes written."""
    view, size = memoryview(data), len(data)
    while view:
        view = view[os.write(fd, view):]
    view.release()
    data.clear()
    return size


def _copy_spills(files, output) -> None:
    """Append each spill file to `output`, closing (and so deleting) it."""
    for f in files:
        with f:
            f.seek(0)
            shutil.copyfileobj(f, output, SPILL_BLOCK)


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
