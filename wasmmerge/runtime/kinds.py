"""The reference engine's instruction kinds: the first entry of every prepared instruction.

A leaf shared by `prepare.py` (and its mixins `prepare_eh.py`, `prepare_gc.py`), which
emit instructions, and `engine.py`, which runs them; neither has to import the other
to agree on the numbering.
"""

# Small ints, tested by the engine in an order of its own (hot first).
(LOCAL_GET, CONST, BINOP, LOCAL_SET, JUMP_IF, LOAD, STORE, CALL, JUMP_UNLESS, JUMP, UNOP,
 LOCAL_TEE, GLOBAL_GET, GLOBAL_SET, RETURN, BR_IF, BR, DROP, SELECT, CALL_INDIRECT, BR_TABLE,
 TERNOP, RETURN_CALL, RETURN_CALL_INDIRECT, UNREACHABLE, CALLOUT,
 # Fused forms of `BINOP` with the operand pushes before it (see `prepare._Preparer.emit_binop`).
 LOCAL_CONST_BINOP, LOCAL_LOCAL_BINOP, CONST_BINOP, LOCAL_BINOP,
 CALL_REF, RETURN_CALL_REF, BR_ON_NULL, BR_ON_NON_NULL, THROW, THROW_REF, BR_ON_CAST,
 # Never run: the last entry of every code tuple, holding its exception handlers.
 HANDLERS) = range(38)
