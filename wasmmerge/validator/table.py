"""What the byte-driven check does per opcode: one precomputed entry per opcode-table row.

`FIXED`/`ADDRESSED` classify the rows with a signature in the opcode table (operand
types fixed, or fixed once the memory's address type is known). `byte_table` turns a
feature set's dispatch table (row -> typing rule, built in `module.py`) into what the hot
loop in `stream.py` indexes by the first byte of an instruction: a tuple whose first item
says how to check it and whose others are precomputed (signature lists, how to skip the
immediates, alignment bound, handler). Nothing is built per instruction.
"""

from ..binary.code import NEEDS_DATACOUNT, profile
from ..binary.leb import read_u32, read_u64
from ..binary.opcodes import ALL_OPS
from ..binary.spaces import COMPOUND_KINDS, INDEX_KINDS, KINDS, MEMORY, PLAIN_KINDS, S32, S64, U32
from ..binary.types import F32, F64, I32, I64, V128
from ..features import ALL


def _type_list(names, addr):
    table = {"i32": I32, "i64": I64, "f32": F32, "f64": F64, "v128": V128, "addr": addr}
    return [table[n] for n in names]


# What the validator checks of each immediate kind, once it is read:
CHECK_ADDRESSED = "addressed"  # by `FuncValidator.addressed`, before the signature is chosen
CHECK_LOOKUP = "lookup"  # names an index: the instruction's handler looks it up ("unknown <space>")
CHECK_NONE = "none"      # any value the decoder accepts is valid
IMMEDIATE_CHECKS = {kind: CHECK_LOOKUP for kind in INDEX_KINDS + COMPOUND_KINDS}
IMMEDIATE_CHECKS.update({kind: CHECK_NONE for kind in PLAIN_KINDS})
# A memory index of an instruction with a fixed signature (memory.size, memory.grow)
# decides its address type, as a memarg's does; a lane index has a bound per instruction.
IMMEDIATE_CHECKS.update(dict.fromkeys(("memarg", MEMORY, "lane", "shuffle"), CHECK_ADDRESSED))
_CHECKED_IMMS = frozenset(kind for kind, check in IMMEDIATE_CHECKS.items() if check == CHECK_ADDRESSED)


def _classify():
    fixed, addressed = {}, {}
    for op in ALL_OPS:
        if op.params is None:
            continue
        uses_addr = "addr" in op.params or "addr" in op.results
        if uses_addr or _CHECKED_IMMS.intersection(op.imms):
            addressed[op] = (
                (_type_list(op.params, I32), _type_list(op.results, I32)),
                (_type_list(op.params, I64), _type_list(op.results, I64)),
            )
        else:
            fixed[op] = (_type_list(op.params, I32), _type_list(op.results, I32))
    return fixed, addressed


# Instructions with a fixed signature and nothing to check in their immediates, and
# those whose immediates (memory, alignment, lanes) need checking first.
FIXED, ADDRESSED = _classify()

# Kinds of entries in a context's dispatch table (opcode-table row -> entry):
# (FIXED_SIG, params, results, len(params)), (ADDRESSED_SIG, (sig32, sig64)), (kind, handler) otherwise.
FIXED_SIG, ADDRESSED_SIG, LOCAL_GET, LOCAL_SET, LOCAL_TEE, HANDLED = range(6)

# Kinds of byte-table entries (the first item of each; the hot loop tests them in order
# of frequency in compiled code):
#   (B_FIXED, params, results, n, skip, readers, result, last, before_last)  fixed
#       signature (`last`, `before_last`: its last two parameters, or None); `skip` says how
#       to pass the immediates: 0 none, > 0 that many bytes, -N one LEB128 of at most N
#       bytes (`readers[0]`), -1 every reader in turn; `result` is the only result, or None.
#       B_BINARY (two operands, one result, no immediates: `i32.add`) and B_UNARY (one
#       operand) are laid out alike, and so is B_CONST (`i32.const`, `i64.const`).
#   (B_LOCAL_GET | B_LOCAL_SET | B_LOCAL_TEE | B_GLOBAL_GET | B_GLOBAL_SET | B_CALL, op, handler)
#       one u32 index, checked inline in the common case
#   (B_LOAD | B_STORE | B_MEMORY, op, sigs, align, exact, readers, offset_reader)  a load,
#       store (one-byte opcode, one operand or two and no result) or other memory access
#       (atomics, SIMD lanes): inline when the memarg names memory 0 (flags up to
#       `align`, or exactly it)
#   (B_ADDRESSED, op, sigs, readers)  memory.size/grow, lanes, shuffles
#   (B_HANDLED, op, handler, readers, needs_datacount)  everything else, by its handler
#   (B_END | B_BLOCK | B_IF | B_BR | B_BR_IF | B_UNREACHABLE | B_NOP | B_DROP | B_SELECT |
#    B_RETURN, op, handler, readers, False, name)  control and parametric instructions,
#       inline in the common case (block types empty or one number type, operands of
#       exactly the label's types, `select` of two equal non-reference types), by their
#       handler otherwise
#   (B_OFF, op)  an instruction of a proposal the feature set leaves out
#   (B_PREFIX,)  in the table by first byte only: look the opcode up by row
# The numbering is relied on: the kinds the hot loop tests quickly come first, in order
# of frequency in compiled code (swc and esbuild), the first twelve in three groups of
# four that it tells apart by range (kind < B_LOCAL_SET, < B_LOCAL_TEE, < B_GLOBAL_GET).
# The general code after the quick tests goes by FIXED_KINDS, INDEX_KINDS, MEMORY_KINDS.
(B_BINARY, B_UNARY, B_CONST, B_LOAD,
 B_LOCAL_SET, B_STORE, B_END, B_BLOCK,
 B_LOCAL_TEE, B_BR_IF, B_CALL, B_BR,
 B_GLOBAL_GET, B_GLOBAL_SET, B_IF, B_UNREACHABLE, B_SELECT, B_DROP, B_RETURN, B_NOP,  # tested one by one
 B_FIXED, B_LOCAL_GET, B_MEMORY, B_ADDRESSED, B_OFF, B_HANDLED, B_PREFIX) = range(27)
FIXED_KINDS = frozenset((B_BINARY, B_UNARY, B_FIXED))
INDEX_KINDS = frozenset((B_LOCAL_GET, B_LOCAL_SET, B_LOCAL_TEE, B_GLOBAL_GET, B_GLOBAL_SET, B_CALL))
MEMORY_KINDS = frozenset((B_LOAD, B_STORE, B_MEMORY))
# The entry of a first byte that is no one-byte opcode (a prefix, or nothing): the opcode
# is read whole (`read_op`, which reports an unknown one) and looked up by row.
_PREFIX_ENTRY = (B_PREFIX,)
_CONTROL_KINDS = {"end": B_END, "block": B_BLOCK, "loop": B_BLOCK, "if": B_IF, "br": B_BR, "br_if": B_BR_IF,
                  "unreachable": B_UNREACHABLE, "nop": B_NOP, "drop": B_DROP, "select": B_SELECT,
                  "return": B_RETURN}
# Block types the hot loop handles itself: the empty one and single number types, by byte.
SIMPLE_BLOCK_TYPES = {0x40: [], 0x7F: [I32], 0x7E: [I64], 0x7D: [F32], 0x7C: [F64], 0x7B: [V128]}
# The most bytes a LEB128 of each layout may take; shorter ones need no range check.
_LEB_MAX_BYTES = {U32: 5, S32: 5, S64: 10}

_INDEX_KINDS = {"local.get": B_LOCAL_GET, "local.set": B_LOCAL_SET, "local.tee": B_LOCAL_TEE,
                "global.get": B_GLOBAL_GET, "global.set": B_GLOBAL_SET, "call": B_CALL}
_LEB_LAYOUTS = (U32, S32, S64)


def _skip(op, readers):
    """How the hot loop passes a fixed-signature instruction's immediates (see B_FIXED)."""
    if not op.imms:
        return 0
    if len(op.imms) == 1:
        kind = KINDS[op.imms[0]]
        if kind.layout in _LEB_LAYOUTS:
            return -_LEB_MAX_BYTES[kind.layout]
        if kind.size is not None and kind.name not in ("castflags", "zero"):
            return kind.size
    return -1


def _entry(op, dispatched, readers, offset_reader):
    if dispatched is None:
        return (B_OFF, op)
    kind = dispatched[0]
    if kind == FIXED_SIG:
        params, results = dispatched[1], dispatched[2]
        skip = _skip(op, readers)
        kind = B_FIXED
        if len(results) == 1:
            if skip < -1 and not params:
                kind = B_CONST
            elif not skip and len(params) == 2:
                kind = B_BINARY
            elif not skip and len(params) == 1:
                kind = B_UNARY
        return (kind, params, results, len(params), skip, readers,
                results[0] if len(results) == 1 else None,
                params[-1] if params else None, params[-2] if len(params) > 1 else None)
    if kind == ADDRESSED_SIG:
        if op.imms == ("memarg",):
            kind = B_MEMORY
            sig32 = dispatched[1][0]
            if op.prefix is None and op.feature != "threads":
                if len(sig32[0]) == 1 and len(sig32[1]) == 1:
                    kind = B_LOAD
                elif len(sig32[0]) == 2 and not sig32[1]:
                    kind = B_STORE
            return (kind, op, dispatched[1], op.align, op.feature == "threads", readers, offset_reader)
        return (B_ADDRESSED, op, dispatched[1], readers)
    handler = dispatched[1]
    inline = _INDEX_KINDS.get(op.name)
    if inline is not None:
        return (inline, op, handler)
    return (_CONTROL_KINDS.get(op.name, B_HANDLED), op, handler, readers, op.name in NEEDS_DATACOUNT, op.name)


def byte_table(dispatch, features):
    """(entry by first byte, entry by row, decoding profile) for a feature set.

    Every instruction the codec reads is decoded (as `decode_code` does: all features,
    multi-memory deciding how memory indices are read), so an instruction of a proposal
    left out is reported by the validator (`B_OFF`), after a malformed one.
    """
    multi_memory = "multi-memory" in features
    prof = profile(ALL if multi_memory else ALL - {"multi-memory"})
    offset_reader = read_u64 if multi_memory else read_u32
    by_op = {op: _entry(op, dispatch.get(op), prof.readers[op], offset_reader) for op in ALL_OPS}
    by_byte = [by_op[prof.single[b]] if b in prof.single else _PREFIX_ENTRY for b in range(256)]
    return by_byte, by_op, prof
