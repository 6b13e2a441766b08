"""Decode a function body once into the engine's flat form.

Each instruction becomes a tuple `(KIND, operands...)`; structured control disappears:
`block`, `loop`, `nop` and most `end`s emit nothing, `if` and `br*` become jumps to
resolved indices. The operand stack height at every point is known statically (the
code is valid), so a branch carries the height of its label relative to the frame's
base, and a branch that leaves nothing to discard becomes a plain jump. Locals live on
the value stack at the frame base, so local index i is `stack[fp + i]`.

Everything an instruction names (functions, tables, memories, globals, segments) is
resolved to its instance here, so the engine never looks anything up by index.
"""

import struct
from functools import partial

from ..binary.code import decode_code
from ..binary.types import block_signature
from ..errors import Exhaustion, Unsupported
from . import ops
from .atomics import atomic_callout
from .kinds import (BINOP, BR, BR_IF, BR_ON_NON_NULL, BR_ON_NULL, BR_TABLE, CALL, CALL_INDIRECT,
                    CALL_REF, CALLOUT, CONST, CONST_BINOP, DROP, GLOBAL_GET, GLOBAL_SET, HANDLERS,
                    JUMP, JUMP_IF, JUMP_UNLESS, LOAD, LOCAL_BINOP, LOCAL_CONST_BINOP, LOCAL_GET,
                    LOCAL_LOCAL_BINOP, LOCAL_SET, LOCAL_TEE, RETURN, RETURN_CALL,
                    RETURN_CALL_INDIRECT, RETURN_CALL_REF, SELECT, STORE, TERNOP, UNOP, UNREACHABLE)
from .prepare_eh import ExceptionPreparer
from .prepare_gc import GcPreparer
from .values import default_value

# Stack effects (pops, pushes) of the instructions whose signature is not in the table.
EFFECTS = {
    "nop": (0, 0), "drop": (1, 0), "select": (3, 1), "select_t": (3, 1),
    "local.get": (0, 1), "local.set": (1, 0), "local.tee": (1, 1),
    "global.get": (0, 1), "global.set": (1, 0), "table.get": (1, 1), "table.set": (2, 0),
    "memory.init": (3, 0), "data.drop": (0, 0), "memory.copy": (3, 0), "memory.fill": (3, 0),
    "table.init": (3, 0), "elem.drop": (0, 0), "table.copy": (3, 0), "table.grow": (2, 1),
    "table.size": (0, 1), "table.fill": (3, 0), "ref.null": (0, 1), "ref.is_null": (1, 1),
    "ref.func": (0, 1), "unreachable": (0, 0), "br": (0, 0), "br_if": (1, 0), "br_table": (1, 0),
    "return": (0, 0), "throw_ref": (1, 0),
}

# Loads whose value struct can read directly: (format, mask turning signed into bits).
STRUCT_LOADS = {
    "i32.load": ("<I", None), "i64.load": ("<Q", None), "f32.load": ("<I", None),
    "f64.load": ("<Q", None), "i32.load8_s": ("<b", 0xFFFF_FFFF), "i32.load8_u": ("<B", None),
    "i32.load16_s": ("<h", 0xFFFF_FFFF), "i32.load16_u": ("<H", None),
    "i64.load8_s": ("<b", 0xFFFF_FFFF_FFFF_FFFF), "i64.load8_u": ("<B", None),
    "i64.load16_s": ("<h", 0xFFFF_FFFF_FFFF_FFFF), "i64.load16_u": ("<H", None),
    "i64.load32_s": ("<i", 0xFFFF_FFFF_FFFF_FFFF), "i64.load32_u": ("<I", None),
}
STRUCT_STORES = {
    "i32.store": ("<I", 0xFFFF_FFFF), "i64.store": ("<Q", 0xFFFF_FFFF_FFFF_FFFF),
    "f32.store": ("<I", 0xFFFF_FFFF), "f64.store": ("<Q", 0xFFFF_FFFF_FFFF_FFFF),
    "i32.store8": ("<B", 0xFF), "i32.store16": ("<H", 0xFFFF), "i64.store8": ("<B", 0xFF),
    "i64.store16": ("<H", 0xFFFF), "i64.store32": ("<I", 0xFFFF_FFFF),
}
# v128 loads that read fewer bytes and widen them (simd.LOADS converts the raw bits).
NARROW_V128_LOADS = {
    "v128.load8x8_s": 8, "v128.load8x8_u": 8, "v128.load16x4_s": 8, "v128.load16x4_u": 8,
    "v128.load32x2_s": 8, "v128.load32x2_u": 8, "v128.load8_splat": 1, "v128.load16_splat": 2,
    "v128.load32_splat": 4, "v128.load64_splat": 8, "v128.load32_zero": 4, "v128.load64_zero": 8,
}
LANE_BYTES = {"8": 1, "16": 2, "32": 4, "64": 8}


class Prepared:
    """A function ready to run: its code, and how to lay out its frame."""

    __slots__ = ("code", "nparams", "locals", "nresults", "func")

    def __init__(self, code, nparams, locals, nresults, func):
        self.code = code
        self.nparams = nparams
        self.locals = locals  # default values of the declared (non-parameter) locals
        self.nresults = nresults
        self.func = func


def _finish(instr: list) -> tuple:
    if instr[0] == BR_TABLE:
        targets = [tuple(t) for t in instr[1]]
        return (BR_TABLE, tuple(targets[:-1]), targets[-1])
    return tuple(instr)


class _Label:
    __slots__ = ("kind", "height", "nparams", "nresults", "start", "patches", "else_at", "handler",
                 "phase", "slot")

    def __init__(self, kind, height, nparams, nresults, start):
        self.kind = kind
        self.height = height      # frame-relative stack height below the block's params
        self.nparams = nparams
        self.nresults = nresults
        self.start = start        # loop: where a branch goes
        self.patches = []         # [instr list, position] awaiting the end's index
        self.else_at = None       # if: the JUMP_UNLESS awaiting the else's index
        self.handler = None       # try_table, try: its prepare_eh.Handler
        self.phase = None         # try: "body", then "catch" from its first catch on
        self.slot = None          # try: the hidden local holding the caught exception

    @property
    def arity(self):
        return self.nparams if self.kind == "loop" else self.nresults


# The most locals (parameters included) a function may have to run, in either engine:
# the limit V8 and wasmparser apply. Validation accepts the spec's 2^32-1; running such a
# function would allocate (or, compiled, initialise) every one of them.
MAX_FUNCTION_LOCALS = 50_000


def check_local_count(func) -> None:
    """Raise `Exhaustion` ("out of memory") for a function with too many locals to run."""
    total = len(func.type.params) + sum(count for count, _ in func.code.locals)
    if total > MAX_FUNCTION_LOCALS:
        raise Exhaustion(f"out of memory: function {func.index} has {total} locals; "
                         f"the engines run at most {MAX_FUNCTION_LOCALS} per function")


def prepare(func) -> Prepared:
    """The engine form of a wasm FuncInstance (cached on it)."""
    if func.prepared is None:
        check_local_count(func)
        func.prepared = _Preparer(func).run()
    return func.prepared


class _Preparer(GcPreparer, ExceptionPreparer):
    def __init__(self, func):
        self.func = func
        self.module = func.module
        self.nparams = len(func.type.params)
        self.nresults = len(func.type.results)
        self.local_types = func.code.local_types()
        self.code = []
        self.height = self.nparams + len(self.local_types)
        # Index of the latest jump target: instructions before it may not be fused with
        # ones after it.
        self.barrier = 0

    def run(self) -> Prepared:
        module = self.module
        instrs = decode_code(self.func.code, multi_memory=module.multi_memory)
        self.init_exceptions(instrs)
        self.height += self.hidden_locals
        labels = [_Label("func", self.height, 0, self.nresults, 0)]
        self.labels = labels
        code = self.code
        for instr in instrs:
            op = instr.op
            name = op.name
            args = instr.args
            if op.params is not None:
                self.height += len(op.results) - len(op.params)
                self.emit_fixed(op, name, args)
                continue
            effect = EFFECTS.get(name) or self.GC_EFFECTS.get(name)
            if effect is not None:
                self.height += effect[1] - effect[0]
            handler = getattr(self, "op_" + name.replace(".", "_"), None)
            if handler is None:
                raise Unsupported(f"unsupported: instruction {name}")
            handler(*args)
        # A function ends with RETURN, so this last entry is data, never run: the
        # exception handlers (innermost first), found by `code[-1][1]` when unwinding.
        self.emit(HANDLERS, self.handler_table())
        final = tuple(_finish(i) for i in code)
        locals_ = [default_value(t) for t in self.local_types] + [None] * self.hidden_locals
        return Prepared(final, self.nparams, locals_, self.nresults, self.func)

    # -- helpers -----------------------------------------------------------------------

    def emit(self, *parts) -> list:
        instr = list(parts)
        self.code.append(instr)
        return instr

    def branch_target(self, depth: int, instr: list, slot: int):
        """Fill instr[slot] with the label's target now (loop) or at its end (block)."""
        label = self.labels[-1 - depth]
        if label.kind == "loop":
            instr[slot] = label.start
        else:
            label.patches.append((instr, slot))
        return label

    def dead(self):
        # After an unconditional transfer the stack is polymorphic; the code up to the
        # next `end`/`else` never runs, so any consistent height will do.
        self.height = self.labels[-1].height + self.labels[-1].nparams

    # -- control -------------------------------------------------------------------------

    def op_unreachable(self):
        self.emit(UNREACHABLE)
        self.dead()

    def op_nop(self):
        pass

    def _open(self, kind, blocktype):
        signature = block_signature(blocktype, self.module.types)
        if signature is None:
            raise Unsupported("unsupported: non-function block type")
        nparams, nresults = signature
        label = _Label(kind, self.height - nparams, nparams, nresults, len(self.code))
        self.labels.append(label)
        if kind == "loop":
            self.barrier = len(self.code)
        return label

    def op_block(self, blocktype):
        self._open("block", blocktype)

    def op_loop(self, blocktype):
        self._open("loop", blocktype)

    def op_if(self, blocktype):
        self.height -= 1
        label = self._open("if", blocktype)
        label.else_at = self.emit(JUMP_UNLESS, None)

    def op_else(self):
        label = self.labels[-1]
        jump = self.emit(JUMP, None)
        label.patches.append((jump, 1))
        label.else_at[1] = self.barrier = len(self.code)
        label.else_at = None
        self.height = label.height + label.nparams

    def op_end(self):
        label = self.labels.pop()
        here = self.barrier = len(self.code)
        if label.else_at is not None:
            label.else_at[1] = here
        for instr, slot in label.patches:
            instr[slot] = here
        if label.kind == "try_table":
            self.end_try_table(label, here)
        elif label.kind == "try":
            self.end_try(label, here)
        self.height = label.height + label.nresults
        if label.kind == "func":
            self.emit(RETURN)

    def _branch(self, depth, conditional):
        label = self.labels[-1 - depth]
        arity = label.arity
        if label.kind == "func" and not conditional:
            self.emit(RETURN)
            return
        pure = self.height - arity == label.height
        if pure:
            instr = self.emit(JUMP_IF if conditional else JUMP, None)
        else:
            instr = self.emit(BR_IF if conditional else BR, None, arity, label.height)
        self.branch_target(depth, instr, 1)

    def op_br(self, depth):
        self._branch(depth, False)
        self.dead()

    def op_br_if(self, depth):
        self._branch(depth, True)

    def op_br_table(self, depths):
        targets = []
        for depth in depths:
            label = self.labels[-1 - depth]
            entry = [None, label.arity, label.height]
            self.branch_target(depth, entry, 0)
            targets.append(entry)
        self.emit(BR_TABLE, targets)
        self.dead()

    def op_return(self):
        self.emit(RETURN)
        self.dead()

    def op_call(self, index):
        callee = self.module.funcs[index]
        self.height += len(callee.type.results) - len(callee.type.params)
        self.emit(CALL, callee)

    def op_call_indirect(self, typeidx, table):
        ft = self.module.types[typeidx]
        self.height += len(ft.results) - len(ft.params) - 1
        self.emit(CALL_INDIRECT, self.module.tables[table], self.module.type_ids[typeidx],
                  self.module.type_store)

    def op_return_call(self, index):
        self.emit(RETURN_CALL, self.module.funcs[index])
        self.dead()

    def op_call_ref(self, typeidx):
        ft = self.module.types[typeidx]
        self.height += len(ft.results) - len(ft.params) - 1
        self.emit(CALL_REF)

    def op_return_call_ref(self, typeidx):
        self.emit(RETURN_CALL_REF)
        self.dead()

    def op_ref_as_non_null(self):
        self.emit(UNOP, ops.ref_as_non_null)

    def op_br_on_null(self, depth):
        # Branches without the reference, falls through with it.
        label = self.labels[-1 - depth]
        self.branch_target(depth, self.emit(BR_ON_NULL, None, label.arity, label.height), 1)

    def op_br_on_non_null(self, depth):
        # Branches with the reference (the label's last value), falls through without it.
        label = self.labels[-1 - depth]
        self.branch_target(depth, self.emit(BR_ON_NON_NULL, None, label.arity, label.height), 1)
        self.height -= 1

    def op_return_call_indirect(self, typeidx, table):
        self.emit(RETURN_CALL_INDIRECT, self.module.tables[table], self.module.type_ids[typeidx],
                  self.module.type_store)
        self.dead()

    # -- parametric and variables ------------------------------------------------------------

    def op_drop(self):
        self.emit(DROP)

    def op_select(self):
        self.emit(SELECT)

    def op_select_t(self, types):
        self.emit(SELECT)

    def op_local_get(self, index):
        self.emit(LOCAL_GET, index)

    def op_local_set(self, index):
        self.emit(LOCAL_SET, index)

    def op_local_tee(self, index):
        self.emit(LOCAL_TEE, index)

    def op_global_get(self, index):
        glob = self.module.globals[index]
        if glob.type.mutable:
            self.emit(GLOBAL_GET, glob)
        else:
            self.emit(CONST, glob.value)

    def op_global_set(self, index):
        self.emit(GLOBAL_SET, self.module.globals[index])

    # -- references and tables ---------------------------------------------------------------

    def op_ref_null(self, heap):
        self.emit(CONST, None)

    def op_ref_is_null(self):
        self.emit(UNOP, ops.ref_is_null)

    def op_ref_func(self, index):
        self.emit(CONST, self.module.funcs[index])

    def _callout(self, fn, *args):
        self.emit(CALLOUT, partial(fn, *args) if args else fn)

    def op_table_get(self, table):
        self._callout(ops.table_get, self.module.tables[table])

    def op_table_set(self, table):
        self._callout(ops.table_set, self.module.tables[table])

    def op_table_size(self, table):
        self._callout(ops.table_size, self.module.tables[table])

    def op_table_grow(self, table):
        self._callout(ops.table_grow, self.module.tables[table])

    def op_table_fill(self, table):
        self._callout(ops.table_fill, self.module.tables[table])

    def op_table_copy(self, dst, src):
        self._callout(ops.table_copy, self.module.tables[dst], self.module.tables[src])

    def op_table_init(self, elem, table):
        self._callout(ops.table_init, self.module.tables[table], self.module.elems[elem])

    def op_elem_drop(self, elem):
        self._callout(ops.elem_drop, self.module.elems[elem])

    # -- bulk memory --------------------------------------------------------------------------

    def op_memory_init(self, data, memory):
        self._callout(ops.memory_init, self.module.memories[memory], self.module.datas[data])

    def op_data_drop(self, data):
        self._callout(ops.data_drop, self.module.datas[data])

    def op_memory_copy(self, dst, src):
        self._callout(ops.memory_copy, self.module.memories[dst], self.module.memories[src])

    def op_memory_fill(self, memory):
        self._callout(ops.memory_fill, self.module.memories[memory])

    # -- instructions with a fixed signature --------------------------------------------------

    def emit_fixed(self, op, name, args):
        if op.feature == "threads":
            memarg = args[0] if op.align is not None else None
            mem = self.module.memories[memarg.memory] if memarg else None
            self.emit(CALLOUT, atomic_callout(name, mem, memarg.offset if memarg else 0))
        elif name.endswith(".const"):
            value = args[0]
            if name in ("i32.const", "i64.const"):
                value &= MASKS_BY_PREFIX[name[:3]]
            self.emit(CONST, value)
        elif op.align is not None:
            self.emit_memory_access(op, name, args)
        elif name == "memory.size":
            self._callout(ops.memory_size, self.module.memories[args[0]])
        elif name == "memory.grow":
            self._callout(ops.memory_grow, self.module.memories[args[0]])
        else:
            fn = ops.numeric(name)
            if args:
                fn = partial(fn, *args)
            kind = {1: UNOP, 2: BINOP, 3: TERNOP}.get(len(op.params))
            if kind is None or len(op.results) != 1:
                raise Unsupported(f"unsupported: instruction {name}")
            if kind == BINOP:
                self.emit_binop(fn)
            else:
                self.emit(kind, fn)

    def emit_binop(self, fn):
        """BINOP, fused with the local.get / const instructions pushing its operands."""
        code = self.code
        n = len(code) - self.barrier  # instructions since the last jump target
        last = code[-1][0] if n >= 1 else None
        before = code[-2][0] if n >= 2 else None
        if last == CONST and before == LOCAL_GET:
            code[-2:] = [[LOCAL_CONST_BINOP, code[-2][1], code[-1][1], fn]]
        elif last == LOCAL_GET and before == LOCAL_GET:
            code[-2:] = [[LOCAL_LOCAL_BINOP, code[-2][1], code[-1][1], fn]]
        elif last == CONST:
            code[-1] = [CONST_BINOP, code[-1][1], fn]
        elif last == LOCAL_GET:
            code[-1] = [LOCAL_BINOP, code[-1][1], fn]
        else:
            self.emit(BINOP, fn)

    def emit_memory_access(self, op, name, args):
        memarg = args[0]
        mem = self.module.memories[memarg.memory]
        offset = memarg.offset
        if name in STRUCT_LOADS:
            fmt, mask = STRUCT_LOADS[name]
            self.emit(LOAD, mem.data, offset, struct.Struct(fmt).unpack_from, mask)
        elif name in STRUCT_STORES:
            fmt, mask = STRUCT_STORES[name]
            self.emit(STORE, mem.data, offset, struct.Struct(fmt).pack_into, mask)
        elif name == "v128.load":
            self._callout(ops.v128_load, mem, offset, 16, None)
        elif name in NARROW_V128_LOADS:
            self._callout(ops.v128_load, mem, offset, NARROW_V128_LOADS[name], ops.simd_load(name))
        elif name == "v128.store":
            self._callout(ops.v128_store, mem, offset)
        elif name.endswith("_lane"):
            size = LANE_BYTES[name.split("_")[0].removeprefix("v128.load").removeprefix("v128.store")]
            lane = args[1]
            fn = ops.v128_load_lane if name.startswith("v128.load") else ops.v128_store_lane
            self._callout(fn, mem, offset, size, lane)
        else:
            raise Unsupported(f"unsupported: instruction {name}")


MASKS_BY_PREFIX = {"i32": 0xFFFF_FFFF, "i64": 0xFFFF_FFFF_FFFF_FFFF}
