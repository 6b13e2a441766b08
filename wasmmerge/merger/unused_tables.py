"""Tables nothing can observe, dropped from the merged module.

wasm-ld gives every module that may call indirectly a table, so a merge of two of them has
two tables and needs reference types (multiple tables) even where one of them is never
used. A table is dropped when it is defined (not imported), not exported, empty (no
element segment writes into it, and its slots start null: wasm-ld's reserved slot 0
counts as empty) and referenced by no instruction. Nothing can then read, write, grow or
export it, so dropping it changes nothing observable; its size is not looked at. The link
report lists what was dropped.

Only inputs with such a candidate have their bodies scanned, by one regular expression
over runs of instructions without a table immediate.
"""

import functools

from ..binary.opcodes import BY_NAME
from ..binary.scan import ops_outside_runs, run_pattern
from ..binary.types import TABLE_KIND
from ..errors import WasmError

REF_NULL = BY_NAME["ref.null"].code
END = BY_NAME["end"].code


@functools.cache
def _table_free_runs():
    return run_pattern(lambda op: "table" not in op.imms)


def _starts_null(table) -> bool:
    if table.init is None:
        return True
    code = table.init.code
    # `ref.null ht end`, ht one byte (an abstract heap type) or a LEB type index.
    return len(code) >= 3 and code[0] == REF_NULL and code[-1] == END and all(b & 0x80 for b in code[1:-2])


def _referenced_tables(module) -> set[int]:
    pattern = _table_free_runs()
    used = set()
    for code in module.codes:
        for op, args, _ in ops_outside_runs(code.body, pattern):
            used.update(arg for kind, arg in zip(op.imms, args) if kind == "table")
    return used


def droppable_tables(inputs) -> list[set[int]]:
    """Per input, the (module-relative) indices of the tables it defines that can go."""
    out = []
    for inp in inputs:
        m = inp.module
        imported = m.count(TABLE_KIND) - len(m.tables)
        candidates = {imported + n for n, t in enumerate(m.tables) if _starts_null(t)}
        candidates -= {e.index for e in m.exports if e.kind == TABLE_KIND}
        candidates -= {e.table for e in m.elems if e.mode == "active"}
        if candidates:
            try:
                candidates -= _referenced_tables(m)
            except WasmError as err:
                raise err.with_file(inp.label)
        out.append(candidates)
    return out
