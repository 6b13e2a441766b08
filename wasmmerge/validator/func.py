"""Function bodies and constant expressions: the spec's operand/control stack algorithm.

Operand types on the stack are canonical (`RefType` heaps are `TypeStore` ids); `None`
is the unknown type of unreachable code, and `BOT_REF` a reference of unknown heap type
(what `ref.as_non_null` leaves on a polymorphic stack). Instructions whose operand types
are fixed take them from the opcode table (`FIXED`/`ADDRESSED`); the rest have a handler
in `instructions.py`.
"""

from bisect import bisect_right

from ..binary.code import decode_code, decode_expr
from ..binary.opcodes import ALL_OPS
from ..binary.spaces import COMPOUND_KINDS, INDEX_KINDS, MEMORY, PLAIN_KINDS
from ..binary.types import F32, F64, I32, I64, V128, AbsHeap, RefType
from ..errors import ValidationError

BOT_HEAP = AbsHeap("bot", -1)
BOT_REF = RefType(False, BOT_HEAP)
# Expanding more locals than this into a list is wasteful: look them up by group instead.
_MAX_EXPANDED_LOCALS = 1 << 16


def _type_list(names, addr):
    table = {"i32": I32, "i64": I64, "f32": F32, "f64": F64, "v128": V128, "addr": addr}
    return [table[n] for n in names]


# What the validator checks of each immediate kind, once the decoder has read it:
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


class Frame:
    __slots__ = ("kind", "params", "results", "height", "unreachable", "init_height")

    def __init__(self, kind, params, results, height, init_height):
        self.kind, self.params, self.results = kind, params, results
        self.height, self.init_height = height, init_height
        self.unreachable = False

    @property
    def labels(self):
        return self.params if self.kind == "loop" else self.results


class Locals:
    """Local types by index: a list when small, a lookup by declaration group when huge."""

    def __init__(self, params, groups, canon):
        self.count = len(params) + sum(n for n, _ in groups)
        if self.count <= _MAX_EXPANDED_LOCALS:
            types = list(params)
            for n, t in groups:
                types.extend([canon(t)] * n)
            self.types = types
            self.ends = None
        else:
            self.types = list(params) + [canon(t) for _, t in groups]
            ends, total = [], len(params)
            for i in range(len(params)):
                ends.append(i + 1)
            for n, _ in groups:
                total += n
                ends.append(total)
            self.ends = ends

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        if self.ends is None:
            return self.types[index]
        return self.types[bisect_right(self.ends, index)]


def is_defaultable(t) -> bool:
    return not isinstance(t, RefType) or t.nullable


class FuncValidator:
    """Validates one instruction sequence against a module context (`module.Context`)."""

    def __init__(self, ctx, func_index=None):
        self.ctx = ctx
        self.store = ctx.store
        self.func_index = func_index
        self.stack = []
        self.ctrls: list[Frame] = []
        self.init_log = []
        self.initialized = set()  # non-defaultable locals set so far (undone at block ends)
        self.locals = None
        self.results = []
        self.at = None  # offset of the instruction being checked

    # -- errors ------------------------------------------------------------------------

    def fail(self, message, at=None):
        return ValidationError(message, self.at if at is None else at, func=self.func_index)

    # -- operand stack -----------------------------------------------------------------

    def matches(self, actual, expected) -> bool:
        if actual is expected or actual is None:
            return True
        if type(actual) is RefType:
            if type(expected) is not RefType:
                return False
            if actual.heap is BOT_HEAP:
                return expected.nullable or not actual.nullable
            return self.store.ref_matches(actual, expected)
        return False

    def pop(self):
        frame = self.ctrls[-1]
        if len(self.stack) == frame.height:
            if frame.unreachable:
                return None
            raise self.fail("type mismatch: value expected but the stack is empty")
        return self.stack.pop()

    def pop_expect(self, expected):
        frame = self.ctrls[-1]
        if len(self.stack) == frame.height:
            if frame.unreachable:
                return None
            raise self.fail(f"type mismatch: instruction requires [{self.ctx.show(expected)}] but stack has []")
        actual = self.stack.pop()
        if actual is not expected and not self.matches(actual, expected):
            raise self.fail(f"type mismatch: instruction requires [{self.ctx.show(expected)}] "
                            f"but stack has [{self.ctx.show(actual)}]")
        return actual

    def pop_vals(self, types) -> list:
        stack = self.stack
        n = len(types)
        if n and len(stack) - self.ctrls[-1].height >= n:
            top = stack[-n:]
            # Equal types match: the common case needs no per-value subtype check.
            if (top == types) if type(types) is list else (tuple(top) == types):
                del stack[-n:]
                return top
        popped = [self.pop_expect(t) for t in reversed(types)]
        popped.reverse()
        return popped

    def pop_ref(self):
        """Pop a reference of any type; `BOT_REF` when the stack is polymorphic."""
        actual = self.pop()
        if actual is None:
            return BOT_REF
        if type(actual) is not RefType:
            raise self.fail(f"type mismatch: reference expected but stack has [{self.ctx.show(actual)}]")
        return actual

    def push_ctrl(self, kind, params, results):
        self.ctrls.append(Frame(kind, params, results, len(self.stack), len(self.init_log)))
        self.stack.extend(params)

    def pop_ctrl(self) -> Frame:
        frame = self.ctrls[-1]
        self.pop_vals(frame.results)
        if len(self.stack) != frame.height:
            raise self.fail("type mismatch: values remain on the stack at the end of a block")
        self.ctrls.pop()
        log = self.init_log
        while len(log) > frame.init_height:
            self.initialized.discard(log.pop())
        return frame

    def unreachable(self):
        frame = self.ctrls[-1]
        del self.stack[frame.height:]
        frame.unreachable = True

    def label(self, depth) -> Frame:
        if depth >= len(self.ctrls):
            raise self.fail(f"unknown label {depth}")
        return self.ctrls[-1 - depth]

    # -- running -----------------------------------------------------------------------

    def check_function(self, type_id, code, instrs=None):
        """A function body: `code` is a `model.Code`, `type_id` its canonical type.

        `instrs` are its decoded instructions when the caller has them already.
        """
        ctx = self.ctx
        self.at = code.offset
        functype = self.store.comp(type_id)
        self.results = list(functype.results)
        try:
            self.locals = Locals(functype.params, code.locals, ctx.canon_valtype)
        except ValidationError as err:
            raise self.locate(err) from None
        self.first_local = len(functype.params)
        if instrs is None:
            instrs = decode_code(code, ctx.module.datacount is not None, ctx.multi_memory)
        self.push_ctrl("func", [], self.results)
        self.run(instrs)

    def check_const(self, expr, expected, globals_visible):
        """A constant expression of type `expected` that may read globals below `globals_visible`."""
        instrs = decode_expr(expr, True, self.ctx.multi_memory)
        self.locals = Locals((), (), None)
        self.first_local = 0
        self.at = expr.offset
        self.results = [expected]
        self.push_ctrl("func", [], self.results)
        ctx = self.ctx
        for ins in instrs[:-1]:
            self.at = ins.offset
            name = ins.op.name
            if name not in ctx.const_ops:
                raise self.fail("constant expression required")
            if name == "global.get":
                index = ins.args[0]
                if index >= globals_visible:
                    raise self.fail(f"unknown global {index}")
                if ctx.globals[index].mutable:
                    raise self.fail("constant expression required")
        self.run(instrs)

    def run(self, instrs):
        try:
            self._run(instrs, self.ctx.dispatch, self.stack, self.ctrls)
        except ValidationError as err:
            raise self.locate(err) from None

    def locate(self, err):
        """An error raised by a context lookup (which knows no place), at the place it happened."""
        if err.offset is not None and err.func is not None:
            return err
        return ValidationError(err.message, self.at if err.offset is None else err.offset, err.file,
                               func=self.func_index if err.func is None else err.func)

    def _run(self, instrs, dispatch, stack, ctrls):
        # The hot loop: fixed signatures and plain local accesses are checked inline;
        # everything else (and every mismatch, to word the error) goes to a handler.
        frame = ctrls[-1]
        local_types = self.locals.types if self.locals.ends is None else ()
        local_count = len(local_types)
        for ins in instrs:
            entry = dispatch.get(ins.op)
            if entry is None:
                op = ins.op
                raise self.fail(f"{op.name} requires the {op.feature} feature", ins.offset)
            kind = entry[0]
            if kind == FIXED_SIG:
                params = entry[1]
                n = entry[3]
                if n:
                    if len(stack) - frame.height >= n and stack[-n:] == params:
                        del stack[-n:]
                    else:
                        self.at = ins.offset
                        self.pop_vals(params)
                if entry[2]:
                    stack.extend(entry[2])
                continue
            if kind == LOCAL_GET:
                index = ins.args[0]
                if index < local_count:
                    t = local_types[index]
                    if t.__class__ is not RefType or t.nullable:
                        stack.append(t)
                        continue
            elif kind == LOCAL_SET or kind == LOCAL_TEE:
                index = ins.args[0]
                if index < local_count and len(stack) > frame.height:
                    t = local_types[index]
                    if stack[-1] is t and (t.__class__ is not RefType or t.nullable):
                        if kind == LOCAL_SET:
                            stack.pop()
                        continue
            self.at = ins.offset
            if kind == ADDRESSED_SIG:
                params, results = self.addressed(ins, entry[1])
                n = len(params)
                if n:
                    if len(stack) - frame.height >= n and stack[-n:] == params:
                        del stack[-n:]
                    else:
                        self.pop_vals(params)
                stack.extend(results)
                continue
            entry[1](self, ins)
            if not ctrls:
                return
            frame = ctrls[-1]

    def addressed(self, ins, sigs):
        """Check memory index, alignment, offset and lane immediates; the signature to use."""
        op = ins.op
        memory = None
        for kind, value in zip(op.imms, ins.args):
            if kind == "memarg":
                memory = value.memory
                self.memory_is64(memory)
                if op.feature == "threads":
                    if value.align != op.align:
                        raise self.fail("alignment must be exactly natural")
                elif value.align > op.align:
                    raise self.fail("alignment must not be larger than natural")
                if value.offset >= 1 << 32 and not self.ctx.mem64[memory]:
                    raise self.fail("offset out of range")
            elif kind == "memory":
                memory = value
                self.memory_is64(memory)
            elif kind == "lane":
                if value >= op.lanes:
                    raise self.fail("invalid lane index")
            elif kind == "shuffle":
                if max(value) >= 32:
                    raise self.fail("invalid lane index")
        if memory is not None and self.ctx.mem64[memory]:
            return sigs[1]
        return sigs[0]

    def memory_is64(self, memory) -> bool:
        mem64 = self.ctx.mem64
        if memory >= len(mem64):
            raise self.fail(f"unknown memory {memory}")
        return mem64[memory]
