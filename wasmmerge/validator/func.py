"""Function bodies and constant expressions: the spec's operand/control stack algorithm.

Operand types on the stack are canonical (`RefType` heaps are `TypeStore` ids); `None`
is the unknown type of unreachable code, and `BOT_REF` a reference of unknown heap type
(what `ref.as_non_null` leaves on a polymorphic stack). Bodies are read from their bytes
by the loop in `stream.py`; instructions whose operand types are fixed take them from the
opcode table (`FIXED`/`ADDRESSED`), the rest have a handler in `instructions.py`.
"""

from bisect import bisect_right

from ..binary.code import decode_code, decode_expr
from ..binary.leb import read_signed
from ..binary.types import I32, I64, AbsHeap, RefType
from ..errors import DecodeError, ValidationError
# Re-exported: the classification of the opcode table's rows and their immediates.
from .stream import Frame, run_bytes
from .table import (ADDRESSED, CHECK_ADDRESSED, CHECK_LOOKUP, CHECK_NONE, FIXED,  # noqa: F401
                    IMMEDIATE_CHECKS)

BOT_HEAP = AbsHeap("bot", -1)
BOT_REF = RefType(False, BOT_HEAP)
# Expanding more locals than this into a list is wasteful: look them up by group instead.
_MAX_EXPANDED_LOCALS = 1 << 16
_CONST_OPCODES = {0x41: I32, 0x42: I64}  # i32.const, i64.const: the type each makes
_CONST_SIZES = {I32: 5, I64: 10}  # the longest LEB128 of each


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


def is_plain_const(code, expected) -> bool:
    """Whether `code` is the commonest constant expression, one `i32.const` or `i64.const`
    of type `expected` followed by `end`, and well-formed (a data segment's offset, mostly).
    False means: check it the long way."""
    if len(code) < 3 or code[-1] != 0x0B or _CONST_OPCODES.get(code[0]) is not expected:
        return False
    size = len(code) - 2  # of the LEB128 between opcode and `end`
    if code[-2] < 0x80 and (size == 1 or min(code[1:-2]) >= 0x80) and size < _CONST_SIZES[expected]:
        return True  # shorter than its longest form: well-formed whatever its bits
    try:
        return read_signed(code, 1, 32 if expected is I32 else 64)[1] == len(code) - 1
    except DecodeError:
        return False


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
        self.forget_inits(frame.init_height)
        return frame

    def forget_inits(self, height):
        """Locals set inside a block that has ended are uninitialised again."""
        log = self.init_log
        while len(log) > height:
            self.initialized.discard(log.pop())

    def unreachable(self):
        frame = self.ctrls[-1]
        del self.stack[frame.height:]
        frame.unreachable = True

    def label(self, depth) -> Frame:
        if depth >= len(self.ctrls):
            raise self.fail(f"unknown label {depth}")
        return self.ctrls[-1 - depth]

    # -- running -----------------------------------------------------------------------

    def check_function(self, type_id, code):
        """A function body: `code` is a `model.Code`, `type_id` its canonical type."""
        ctx = self.ctx
        self.at = code.offset
        functype = self.store.comp(type_id)
        self.results = list(functype.results)
        try:
            self.locals = Locals(functype.params, code.locals, ctx.canon_valtype)
        except ValidationError as err:
            raise self.locate(err) from None
        self.first_local = len(functype.params)
        self.push_ctrl("func", [], self.results)
        body = code.body
        try:
            end = self.run(body, 0, code.offset)
            if end != len(body):
                raise DecodeError("section size mismatch", code.offset + end)
        except ValidationError:
            # The body might be malformed further on; the decoder's verdict comes first,
            # as when bodies were decoded whole before checking.
            self.decode(code)
            raise
        except (DecodeError, IndexError):
            # Malformed: the decoder words the error (and says where), as it always has.
            self.decode(code)
            raise

    def decode(self, code):
        """Decode `code` for its errors (only when the check failed: this is the slow path)."""
        ctx = self.ctx
        decode_code(code, ctx.module.datacount is not None, ctx.multi_memory)

    def check_const(self, expr, expected, globals_visible):
        """A constant expression of type `expected` that may read globals below `globals_visible`."""
        if is_plain_const(expr.code, expected):
            return
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
        self.run(expr.code, 0, expr.offset)

    def run(self, data, pos, base) -> int:
        """Check the instructions of `data` from `pos` to the end of the outermost frame;
        the position after it. Offsets in errors are `base + position`."""
        try:
            return run_bytes(self, data, pos, base)
        except ValidationError as err:
            raise self.locate(err) from None

    def locate(self, err):
        """An error raised by a context lookup (which knows no place), at the place it happened."""
        if err.offset is not None and err.func is not None:
            return err
        return ValidationError(err.message, self.at if err.offset is None else err.offset, err.file,
                               func=self.func_index if err.func is None else err.func)

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
