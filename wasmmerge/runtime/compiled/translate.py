"""Translate one wasm function into the source of one Python function.

The operand stack disappears at translation time. Each stack entry is a Python
expression; an entry at height h that must live in a variable (its value crosses a
control-flow join, or it traps, reads memory or calls) is assigned to the local `s{h}`.
Pure, non-trapping expressions (locals, constants, integer arithmetic, comparisons)
stay symbolic until consumed, so `local.get; i32.const; i32.add; local.set` is one
Python statement. An entry records the variables it reads, and is assigned to its slot
before any of them is overwritten.

Wasm locals are `l{i}` (parameters first). Structured control maps onto Python's: a
block or loop that some branch targets is a `while True:` loop (`break` leaves a block,
`continue` restarts a loop, falling off the end `break`s); an `if` is an `if`/`else`
(inside such a loop when it is a branch target); untargeted blocks are inlined. A
branch across several Python loops sets `_br` to its label's id and breaks; after each
loop it crossed, a check breaks again or stops.

Calling convention: `f(d, *params)` where `d` counts the frames still allowed (0 is
"call stack exhausted"); the result is None, the value, or a tuple of the values. The
names the code uses (`F3` callee, `M0` memory bytes, `G1` global, `N_i32_div_s`
numeric helper...) are bound per instance by `engine.py`; the source depends only on the
module, so it is cached per module.
"""

import math
import re
import struct

from ...binary.code import decode_code
from ...binary.types import F64, FuncType, NumType

M32 = 0xFFFF_FFFF
M64 = 0xFFFF_FFFF_FFFF_FFFF
MAX_INSTRUCTIONS = 30_000   # larger bodies run on the reference engine (compile time)
MAX_EXPRESSION = 24         # operators in one symbolic expression before it is stored
MAX_PY_LOOPS = 18           # CPython: at most 20 statically nested blocks
# Pseudo-variable in the `deps` of an entry that reads memory: such an entry may stay
# symbolic, but is evaluated before anything that writes memory, traps, calls or
# branches (loads only ever trap with one message, so their order among themselves is
# free).
MEMORY = "@memory"
# `\x01inner\x02wrapped\x03` in a line: an address or stored value that is `wrapped`
# (an i32/i64 result), where `inner` is the same non-negative number before wrapping.
# Unwrapped, an access out of range raises struct.error, and so does one whose address
# wrapping would bring in range; a statement that can run twice (`retry`) runs with
# `inner` and again with `wrapped` on struct.error, others with `wrapped`.
UNWRAPPED = re.compile("[\x01\x02\x03]")


class Untranslatable(Exception):
    """Why a function runs on the reference engine instead."""


class Value:
    """One symbolic stack entry."""

    __slots__ = ("expr", "deps", "cond", "size", "const", "flt", "wide")

    def __init__(self, expr, deps=frozenset(), cond=False, size=0, const=None, flt=False,
                 wide=None):
        self.expr = expr      # Python expression (parenthesised unless atomic)
        self.deps = deps      # variable names it reads
        self.cond = cond      # a bool: the wasm value is 1 if it holds, else 0
        self.size = size      # operators in it
        self.const = const    # the integer value, when a constant
        self.flt = flt        # an f64 held as a Python float (not as its bits)
        self.wide = wide      # the non-negative expression `expr` wraps, if any

    def value(self) -> str:
        """The run-time value (bits for floats)."""
        if self.flt:
            return f"QU(DP({self.expr}))[0]"
        return f"(1 if {self.expr} else 0)" if self.cond else self.expr

    def float(self) -> str:
        """An f64 as a Python float."""
        if self.flt:
            return self.expr
        return f"DU(QP({self.value()}))[0]"

    def is_atomic(self) -> bool:
        return not self.size

    def unwrapped(self) -> str:
        """The value, marked as computable without wrapping (see UNWRAPPED)."""
        if self.wide is None:
            return self.value()
        return f"\x01{self.wide}\x02{self.value()}\x03"


def render(line: str, unwrapped: bool) -> str:
    """A line with the UNWRAPPED marks resolved one way or the other."""
    out = []
    kept = [True]  # per enclosing mark: whether the part being read is kept
    pos = 0
    for mark in UNWRAPPED.finditer(line):
        if kept[-1]:
            out.append(line[pos:mark.start()])
        pos = mark.end()
        if mark.group() == "\x01":
            kept.append(kept[-1] and unwrapped)
        elif mark.group() == "\x02":
            kept[-1] = kept[-2] and not unwrapped
        else:
            kept.pop()
    if kept[-1]:
        out.append(line[pos:])
    return "".join(out)


def const(v: int) -> Value:
    return Value(str(v) if v < 1024 else hex(v), const=v)


class Label:
    __slots__ = ("kind", "height", "nparams", "nresults", "id", "pyloop", "pending",
                 "snapshot", "reaches_end", "has_else", "arm_lines")

    def __init__(self, kind, height, nparams, nresults, id, pyloop):
        self.kind = kind
        self.height = height
        self.nparams = nparams
        self.nresults = nresults
        self.id = id
        self.pyloop = pyloop
        self.pending = set()     # ids of outer labels branched to across this loop
        self.snapshot = None     # if: the stack at the start of the then-arm
        self.reaches_end = False
        self.has_else = False
        self.arm_lines = 0

    @property
    def arity(self):
        return self.nparams if self.kind == "loop" else self.nresults

    @property
    def restarts(self) -> bool:
        """A jump here is `continue` (a loop, or a function looping for self tail calls)."""
        return self.kind in ("loop", "func")


def float_literal(bits: int) -> str | None:
    """Python source for the double with these bits, when a literal can say it."""
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if x != x or x in (math.inf, -math.inf):
        return None
    return f"({x!r})"


def func_name(index: int) -> str:
    return f"f{index}"


def tail_body_name(index: int) -> str:
    return f"t{index}"


def mangle(name: str) -> str:
    return "N_" + name.replace(".", "_")


# Integer instructions written inline: (template, commutes). `a`, `b` are the operands.
def _int_templates(w: int) -> dict:
    m = hex((1 << w) - 1)
    r = hex(1 << w)
    s = hex(1 << (w - 1))
    p = f"i{w}."
    # `% 2**w` wraps a sum or difference faster than `& mask`: CPython returns a dividend
    # with fewer digits than the divisor as it is, and `&` with a multi-digit mask always
    # builds a new int. Products can be far wider than the divisor, where `&` is faster.
    return {
        p + "add": f"(({{a}} + {{b}}) % {r})",
        p + "sub": f"(({{a}} - {{b}}) % {r})",
        p + "mul": f"(({{a}} * {{b}}) & {m})",
        p + "and": "({a} & {b})",
        p + "or": "({a} | {b})",
        p + "xor": "({a} ^ {b})",
        p + "shl": f"(({{a}} << ({{b}} & {w - 1})) & {m})",
        p + "shr_u": f"({{a}} >> ({{b}} & {w - 1}))",
        p + "shr_s": f"(((({{a}} ^ {s}) - {s}) >> ({{b}} & {w - 1})) & {m})",
    }


INT_BINARY = {**_int_templates(32), **_int_templates(64)}
INT_COMPARE = {}
for _w in (32, 64):
    _s = hex(1 << (_w - 1))
    for _name, _op in (("eq", "=="), ("ne", "!="), ("lt_u", "<"), ("gt_u", ">"),
                       ("le_u", "<="), ("ge_u", ">=")):
        INT_COMPARE[f"i{_w}.{_name}"] = (_op, None)
    for _name, _op in (("lt_s", "<"), ("gt_s", ">"), ("le_s", "<="), ("ge_s", ">=")):
        INT_COMPARE[f"i{_w}.{_name}"] = (_op, 1 << (_w - 1))
INT_UNARY = {
    "i32.clz": "(32 - ({a}).bit_length())", "i64.clz": "(64 - ({a}).bit_length())",
    "i32.popcnt": "({a}).bit_count()", "i64.popcnt": "({a}).bit_count()",
    "i32.wrap_i64": f"({{a}} & {hex(M32)})", "i64.extend_i32_u": "{a}",
    "i64.extend_i32_s": f"((({{a}} ^ 0x80000000) - 0x80000000) % {hex(M64 + 1)})",
    "i32.reinterpret_f32": "{a}", "f32.reinterpret_i32": "{a}",
    "i64.reinterpret_f64": "{a}", "f64.reinterpret_i64": "{a}",
}
STRUCT_LOADS = {
    "i32.load": ("I", None), "i64.load": ("Q", None), "f32.load": ("I", None),
    "f64.load": ("Q", None), "i32.load8_s": ("b", M32), "i32.load8_u": ("B", None),
    "i32.load16_s": ("h", M32), "i32.load16_u": ("H", None), "i64.load8_s": ("b", M64),
    "i64.load8_u": ("B", None), "i64.load16_s": ("h", M64), "i64.load16_u": ("H", None),
    "i64.load32_s": ("i", M64), "i64.load32_u": ("I", None),
}
STRUCT_STORES = {
    "i32.store": ("I", None), "i64.store": ("Q", None), "f32.store": ("I", None),
    "f64.store": ("Q", None), "i32.store8": ("B", 0xFF), "i32.store16": ("H", 0xFFFF),
    "i64.store8": ("B", 0xFF), "i64.store16": ("H", 0xFFFF), "i64.store32": ("I", M32),
}
# Instructions run by a helper of `ops.py` on a small list standing for the value stack:
# name -> (pops, pushes, immediate kinds in order).
CALLOUTS = {
    "table.grow": (2, 1), "table.fill": (3, 0), "table.copy": (3, 0), "table.init": (3, 0),
    "elem.drop": (0, 0), "memory.init": (3, 0), "data.drop": (0, 0), "memory.copy": (3, 0),
    "memory.fill": (3, 0),
}
# f64 instructions computed on Python floats (see `Value.flt`); others go through bits.
F64_BINARY = {"f64.add": "+", "f64.sub": "-", "f64.mul": "*"}
F64_COMPARE = {"f64.eq": "==", "f64.ne": "!=", "f64.lt": "<", "f64.gt": ">", "f64.le": "<=",
               "f64.ge": ">="}
UNTRANSLATED_FEATURES = {"gc": "garbage collection",
                         "exceptions": "exception handling",
                         "legacy-exceptions": "exception handling", "threads": "threads"}


def traps(name: str) -> bool:
    """Whether the numeric instruction `name` can trap (so it is not reordered)."""
    op = name.split(".", 1)[1] if "." in name else name
    if name[:1] == "i" and "x" not in name.split(".")[0]:
        return op.startswith(("div_", "rem_")) or (op.startswith("trunc_") and "_sat" not in op)
    return False


def block_signature(module, blocktype) -> tuple[int, int]:
    if blocktype is None:
        return 0, 0
    if isinstance(blocktype, int):
        comp = module.types[blocktype].comp
        if not isinstance(comp, FuncType):
            raise Untranslatable("non-function block type")
        return len(comp.params), len(comp.results)
    return 0, 1


def default_literal(t) -> str:
    if t is F64:
        return "0.0"
    return "0" if isinstance(t, NumType) else "None"


def translate(module, index: int) -> str:
    """The Python source of function `index` (in the function index space) of `module`."""
    return _Translator(module, index).run()


class _Translator:
    def __init__(self, module, index):
        self.module = module
        self.index = index
        nimported = len(module.func_type_indices()) - len(module.codes)
        self.code = module.codes[index - nimported]
        self.func_types = [module.types[i].comp for i in module.func_type_indices()]
        self.type = self.func_types[index]
        self.memory64 = [t.limits.address64 for t in module.memory_types()]
        local_types = list(self.type.params) + self.code.local_types()
        # f64 locals hold Python floats (parameters are converted on entry).
        self.float_locals = {i for i, t in enumerate(local_types) if t is F64}
        self.lines = []
        self.preamble = []
        self.indent = 1
        self.stack: list[Value] = []
        self.labels: list[Label] = []
        self.dead = False
        self.dead_depth = 0
        self.next_id = 1
        self.uses_br = False
        self.calls = False
        self.py_loops = 0
        self.last_result = None  # (line count, slot) after `s{h} = ...` of one value
        self.loads_pending = False  # some stack entry may read memory (see MEMORY)
        self.self_tail = False  # `return_call` to itself: the body is a `while True:` loop
        self.tail = False       # other tail calls: `t{index}` may return a TailCall

    # -- output --------------------------------------------------------------------------

    def emit(self, line: str, pure: bool = False, retry: bool = False):
        """Add a line; unless it is `pure` (assigns a local), pending loads go first.

        `retry`: the line is a simple statement whose only effect comes last (a store, an
        assignment), so it may run again with wrapped addresses (see UNWRAPPED).
        """
        if self.loads_pending and not pure:
            self.flush_loads()
        indent = "    " * self.indent
        if "\x01" not in line:
            self.lines.append(indent + line)
        elif retry:
            self.lines += [indent + "try:", indent + "    " + render(line, True),
                           indent + "except StructError:",
                           indent + "    " + render(line, False)]
        else:
            self.lines.append(indent + render(line, False))

    def flush_loads(self):
        self.loads_pending = False
        for h, v in enumerate(self.stack):
            if MEMORY in v.deps:
                self.materialize(h)

    def open_suite(self, header: str):
        self.emit(header)
        self.indent += 1
        return len(self.lines)

    def close_suite(self, start: int):
        if len(self.lines) == start:
            self.emit("pass", pure=True)
        self.indent -= 1

    # -- the symbolic stack ------------------------------------------------------------------

    def push(self, v: Value):
        if v.size > MAX_EXPRESSION:
            self.stack.append(v)
            self.materialize(len(self.stack) - 1)
        else:
            self.stack.append(v)

    def pop(self) -> Value:
        return self.stack.pop()

    def slot(self, h: int) -> Value:
        name = f"s{h}"
        return Value(name, frozenset((name,)))

    def protect(self, name: str, skip=None):
        """Store every entry reading `name` (but `skip`) before `name` is overwritten."""
        for h, v in enumerate(self.stack):
            if h != skip and name in v.deps and v.expr != f"s{h}":
                self.materialize(h)

    def materialize(self, h: int):
        v = self.stack[h]
        name = f"s{h}"
        if v.expr == name:
            return
        self.protect(name, skip=h)
        self.emit(f"{name} = {v.value()}", pure=True, retry=True)
        self.stack[h] = self.slot(h)

    def materialize_all(self, force_from: int):
        """Entries in variables: constants may stay below `force_from`, not above."""
        for h, v in enumerate(self.stack):
            if v.const is None or h >= force_from:
                if v.const is not None or v.flt or v.expr != f"s{h}":
                    name = f"s{h}"
                    self.protect(name, skip=h)
                    self.emit(f"{name} = {v.value()}", pure=True, retry=True)
                    self.stack[h] = self.slot(h)

    def assign_result(self, expr: str, count: int = 1):
        """`s{h}[, ...] = expr` for values pushed now (a call, a load...)."""
        base = len(self.stack)
        names = [f"s{base + i}" for i in range(count)]
        for name in names:
            self.protect(name)
        self.emit(f"{', '.join(names)} = {expr}")
        self.last_result = (len(self.lines), names[0])
        for i in range(count):
            self.stack.append(self.slot(base + i))

    def pop_values(self, n: int) -> list[Value]:
        if not n:
            return []
        values = self.stack[-n:]
        del self.stack[-n:]
        return values

    # -- driver ----------------------------------------------------------------------------

    def run(self) -> str:
        instrs = decode_code(self.code, multi_memory=True)
        if len(instrs) > MAX_INSTRUCTIONS:
            raise Untranslatable(f"function too large ({len(instrs)} instructions)")
        self.targeted = self.scan(instrs)
        ft = self.type
        func = Label("func", 0, 0, len(ft.results), 0, self.self_tail)
        if self.self_tail:
            func.id = self.next_id
            self.next_id += 1
            self.indent += 1
            self.py_loops += 1
        self.labels.append(func)
        self.label_index = {}
        for pos, instr in enumerate(instrs):
            name = instr.op.name
            if self.dead:
                if name in ("block", "loop", "if"):
                    self.dead_depth += 1
                    continue
                if name == "end" and self.dead_depth:
                    self.dead_depth -= 1
                    continue
                if name not in ("end", "else") or self.dead_depth:
                    continue
            self.pos = pos
            handler = getattr(self, "op_" + name.replace(".", "_"), None)
            if handler is not None:
                handler(*instr.args)
            elif instr.op.params is not None:
                self.numeric(instr.op, name, instr.args)
            else:
                raise Untranslatable(f"instruction {name}")
        return self.assemble()

    def scan(self, instrs) -> set:
        """Positions of the block/loop/if instructions some branch targets."""
        openers = [-1]
        targeted = set()
        for pos, instr in enumerate(instrs):
            op = instr.op
            feature = UNTRANSLATED_FEATURES.get(op.feature)
            if feature is not None:
                raise Untranslatable(f"{feature} ({op.name})")
            name = op.name
            if name in ("block", "loop", "if"):
                openers.append(pos)
            elif name == "end":
                openers.pop()
            elif name in ("br", "br_if"):
                targeted.add(openers[-1 - instr.args[0]])
            elif name == "br_table":
                for depth in instr.args[0]:
                    targeted.add(openers[-1 - depth])
            elif name == "return_call" and instr.args[0] == self.index:
                self.self_tail = True
            elif name.startswith("return_call"):
                self.tail = True
        return targeted

    def assemble(self) -> str:
        ft = self.type
        nparams = len(ft.params)
        params = "".join(f", l{i}" for i in range(nparams))
        trampoline = []
        name = func_name(self.index)
        if self.tail:
            # `t{index}` returns a TailCall instead of making one; the trampoline runs it
            # (and the tail calls it makes in turn) in one Python frame.
            trampoline = [f"def {name}(d{params}):",
                          f"    r = {tail_body_name(self.index)}(d{params})",
                          "    if r.__class__ is TailCall:",
                          "        return RUN_TAIL(d, r)",
                          "    return r"]
            name = tail_body_name(self.index)
        head = [f"def {name}(d{params}):",
                "    if not d:",
                "        raise Exhaustion('call stack exhausted')"]
        if self.calls:
            head.append("    d -= 1")
        for i in sorted(self.float_locals):
            if i < nparams:
                head.append(f"    l{i} = DU(QP(l{i}))[0]")
        if self.uses_br:
            head.append("    _br = 0")
        indent = "    "
        if self.self_tail:
            head.append("    while True:")  # a self tail call assigns the parameters, continues
            indent += "    "
        by_default = {}
        for i, t in enumerate(self.code.local_types()):
            by_default.setdefault(default_literal(t), []).append(f"l{nparams + i}")
        for literal, names in by_default.items():
            for start in range(0, len(names), 200):
                head.append(indent + " = ".join(names[start:start + 200]) + f" = {literal}")
        return "\n".join(self.preamble + trampoline + head + self.lines) + "\n"

    # -- control -------------------------------------------------------------------------------

    def innermost_loop(self):
        for label in reversed(self.labels):
            if label.pyloop:
                return label
        return None

    def open_label(self, kind, blocktype, pyloop):
        nparams, nresults = block_signature(self.module, blocktype)
        height = len(self.stack) - nparams
        if pyloop:
            self.materialize_all(height)
        label = Label(kind, height, nparams, nresults, self.next_id, pyloop)
        self.next_id += 1
        self.labels.append(label)
        if pyloop:
            self.py_loops += 1
            if self.py_loops > MAX_PY_LOOPS:
                raise Untranslatable("too many statically nested blocks")
            label.arm_lines = self.open_suite("while True:")
        return label

    def op_block(self, blocktype):
        self.open_label("block", blocktype, self.pos in self.targeted)

    def op_loop(self, blocktype):
        self.open_label("loop", blocktype, self.pos in self.targeted)

    def op_if(self, blocktype):
        cond = self.pop()
        pyloop = self.pos in self.targeted
        nparams, _ = block_signature(self.module, blocktype)
        self.materialize_all(len(self.stack) - nparams)
        label = self.open_label("if", blocktype, pyloop)
        label.snapshot = list(self.stack)
        label.arm_lines = self.open_suite(f"if {cond.expr}:")

    def store_results(self, label):
        """Fall-through to a join: the label's results into its slots."""
        self.flush_loads()
        values = self.stack[len(self.stack) - label.nresults:]
        self.assign_slots(label.height, values)
        del self.stack[label.height:]
        for i in range(label.nresults):
            self.stack.append(self.slot(label.height + i))

    def assign_slots(self, height, values):
        names, exprs = [], []
        for i, v in enumerate(values):
            name = f"s{height + i}"
            if v.expr != name or v.flt:
                names.append(name)
                exprs.append(v.value())
        if names:
            self.emit(f"{', '.join(names)} = {', '.join(exprs)}", retry=True)

    def op_else(self):
        label = self.labels[-1]
        if not self.dead:
            self.store_results(label)
            label.reaches_end = True
        self.close_suite(label.arm_lines)
        label.arm_lines = self.open_suite("else:")
        label.has_else = True
        self.stack = list(label.snapshot)
        self.dead = False

    def op_end(self):
        label = self.labels.pop()
        if label.kind == "func":
            if not self.dead:
                self.emit_return()
            return
        if not self.dead:
            label.reaches_end = True
            if label.pyloop or label.kind == "if":
                self.store_results(label)
        if label.kind == "if":
            self.close_suite(label.arm_lines)
            if not label.has_else:
                label.reaches_end = True
        if label.pyloop:
            self.emit("break")
            self.indent -= 1
            self.py_loops -= 1
            self.check_pending(label)
        reachable = label.reaches_end or (label.pyloop and label.kind != "loop")
        if reachable and (label.pyloop or label.kind == "if" or self.dead):
            del self.stack[label.height:]
            for i in range(label.nresults):
                self.stack.append(self.slot(label.height + i))
        self.dead = not reachable
        self.dead_depth = 0

    def check_pending(self, label):
        if not label.pending:
            return
        outer = self.innermost_loop()
        if outer is None:
            raise Untranslatable("branch past every loop")
        leave = "continue" if outer.restarts else "break"
        start = self.open_suite("if _br:")
        if outer.id in label.pending:
            if label.pending == {outer.id}:
                self.emit("_br = 0")
                self.emit(leave)
            else:
                inner = self.open_suite(f"if _br == {outer.id}:")
                self.emit("_br = 0")
                self.emit(leave)
                self.close_suite(inner)
                self.emit("break")
        else:
            self.emit("break")
        self.close_suite(start)

    def transfer(self, label):
        """Jump to `label` once its values are in place."""
        inner = self.innermost_loop()
        if inner is label:
            self.emit("continue" if label.restarts else "break")
            return
        self.uses_br = True
        self.emit(f"_br = {label.id}")
        self.emit("break")
        for outer in reversed(self.labels):
            if outer is label:
                break
            if outer.pyloop:
                outer.pending.add(label.id)

    def branch(self, depth: int):
        label = self.labels[-1 - depth]
        if label.kind == "func":
            self.emit_return()
            return
        self.flush_loads()
        n = label.arity
        self.assign_slots(label.height, self.stack[len(self.stack) - n:] if n else [])
        self.transfer(label)

    def emit_return(self):
        self.flush_loads()
        n = len(self.type.results)
        values = self.stack[len(self.stack) - n:] if n else []
        if not values:
            self.emit("return")
        elif len(values) == 1:
            self.emit(f"return {values[0].value()}", retry=True)
        else:
            self.emit(f"return ({', '.join(v.value() for v in values)})", retry=True)

    def op_br(self, depth):
        self.branch(depth)
        self.dead = True

    def op_br_if(self, depth):
        cond = self.pop()
        start = self.open_suite(f"if {cond.expr}:")
        self.branch(depth)
        self.close_suite(start)

    def op_br_table(self, depths):
        index = self.pop()
        if len(set(depths)) == 1:
            self.branch(depths[0])
            self.dead = True
            return
        if not index.is_atomic():
            self.protect("_i")
            self.emit(f"_i = {index.value()}")
            index = Value("_i")
        groups = {}
        for i, depth in enumerate(depths[:-1]):
            groups.setdefault(depth, []).append(i)
        default = depths[-1]
        groups.pop(default, None)
        if len(depths) > 8:
            table = f"BT{self.index}_{self.pos}"
            numbering = {depth: k for k, depth in enumerate(groups)}
            entries = ", ".join(f"{i}: {numbering[d]}" for d, idx in groups.items() for i in idx)
            self.preamble.append(f"{table} = {{{entries}}}")
            self.emit(f"_k = {table}.get({index.expr}, -1)")
            tests = [f"_k == {numbering[d]}" for d in groups]
        else:
            tests = []
            for d, idx in groups.items():
                tests.append(" or ".join(f"{index.expr} == {i}" for i in idx))
        keyword = "if"
        for test, depth in zip(tests, groups):
            start = self.open_suite(f"{keyword} {test}:")
            self.branch(depth)
            self.close_suite(start)
            keyword = "elif"
        start = self.open_suite("else:")
        self.branch(default)
        self.close_suite(start)
        self.dead = True

    def op_return(self):
        self.emit_return()
        self.dead = True

    def op_unreachable(self):
        self.emit("raise Trap('unreachable')")
        self.dead = True

    def op_nop(self):
        pass

    # -- calls -------------------------------------------------------------------------------

    def call_with(self, callee: str, ft):
        args = self.pop_values(len(ft.params))
        self.calls = True
        text = f"{callee}(d{''.join(', ' + a.value() for a in args)})"
        n = len(ft.results)
        if n == 0:
            self.emit(text)
        else:
            self.assign_result(text, n)

    def op_call(self, index):
        self.call_with(f"F{index}", self.func_types[index])

    def op_call_indirect(self, typeidx, table):
        ft = self.module.types[typeidx].comp
        index = self.pop()
        i = index.value()
        if not index.is_atomic():
            self.emit(f"_i = {i}")
            i = "_i"
        # CT{typeidx}: callables of the functions of exactly this type (a miss is resolved,
        # checked for subtyping, and traps if it must, by CALLEE).
        self.emit(f"_e = CT{typeidx}.get(T{table}.elems[{i}] if {i} < len(T{table}.elems) "
                  f"else None) or CALLEE(T{table}, TID{typeidx}, {i})")
        self.call_with("_e", ft)

    # -- tail calls: the caller's frame is replaced, so Python's stack must not grow ---------

    def op_return_call(self, index):
        ft = self.func_types[index]
        if index != self.index:
            return self.tail_call(f"FI{index}", ft)
        args = self.pop_values(len(ft.params))
        if args:
            # One parallel assignment: every argument is read before any parameter changes.
            values = [a.float() if i in self.float_locals else a.value()
                      for i, a in enumerate(args)]
            self.emit(f"{', '.join(f'l{i}' for i in range(len(args)))} = {', '.join(values)}")
        else:
            self.flush_loads()
        self.transfer(self.labels[0])
        self.dead = True

    def op_return_call_indirect(self, typeidx, table):
        index = self.pop()
        self.emit(f"_e = RESOLVE(T{table}, TID{typeidx}, {index.value()})")
        self.tail_call("_e", self.module.types[typeidx].comp)

    def op_return_call_ref(self, typeidx):
        ref = self.pop()
        self.emit(f"_e = FUNC_REF({ref.value()})")
        self.tail_call("_e", self.module.types[typeidx].comp)

    def tail_call(self, func: str, ft):
        """Return a TailCall of function instance `func`: the trampoline of `f{index}` runs it."""
        args = self.pop_values(len(ft.params))
        self.flush_loads()
        values = "".join(a.value() + ", " for a in args)
        self.emit(f"return TailCall({func}, ({values}))")
        self.dead = True

    def op_call_ref(self, typeidx):
        ft = self.module.types[typeidx].comp
        ref = self.pop()
        self.protect("_e")
        self.emit(f"_e = CALLEE_REF({ref.value()})")
        self.call_with("_e", ft)

    # -- parametric, variables ---------------------------------------------------------------

    def op_drop(self):
        v = self.pop()
        if MEMORY in v.deps:  # still evaluated: it may trap
            self.emit(v.expr, pure=True, retry=True)

    def op_select(self, types=None):
        for h in (len(self.stack) - 3, len(self.stack) - 2):  # both arms are evaluated
            if MEMORY in self.stack[h].deps:
                self.materialize(h)
        cond = self.pop()
        b = self.pop()
        a = self.pop()
        self.push(Value(f"({a.value()} if {cond.expr} else {b.value()})",
                        a.deps | b.deps | cond.deps, size=a.size + b.size + cond.size + 1))

    op_select_t = op_select

    def op_local_get(self, index):
        name = f"l{index}"
        self.push(Value(name, frozenset((name,)), flt=index in self.float_locals))

    def op_local_set(self, index):
        v = self.pop()
        name = f"l{index}"
        lines = len(self.lines)
        self.protect(name)
        if (self.last_result == (lines, v.expr) == (len(self.lines), f"s{len(self.stack)}")
                and not v.flt and index not in self.float_locals):
            # `s3 = call(...)` then `l1 = s3`: assign the local directly.
            target, _, expr = self.lines[-1].partition(" = ")
            self.lines[-1] = target[:len(target) - len(v.expr)] + name + " = " + expr
            return
        if v.expr != name:
            self.emit(f"{name} = {v.float() if index in self.float_locals else v.value()}",
                      pure=True, retry=True)

    def op_local_tee(self, index):
        self.op_local_set(index)
        self.op_local_get(index)

    def op_global_get(self, index):
        if self.module_global_mutable(index):
            self.assign_result(f"G{index}.value")
        else:
            self.push(Value(f"g{index}"))

    def module_global_mutable(self, index) -> bool:
        return self.module.global_types()[index].mutable

    def op_global_set(self, index):
        v = self.pop()
        self.emit(f"G{index}.value = {v.value()}", retry=True)

    # -- references, tables, bulk memory -----------------------------------------------------

    def op_ref_null(self, heap):
        self.push(Value("None", const=None))

    def op_ref_is_null(self):
        v = self.pop()
        self.push(Value(f"({v.value()} is None)", v.deps, cond=True, size=v.size + 1))

    def op_ref_func(self, index):
        self.push(Value(f"FI{index}"))

    def op_ref_as_non_null(self):
        v = self.pop()
        self.assign_result(f"NON_NULL({v.value()})")

    def op_table_get(self, table):
        index = self.pop()
        self.assign_result(f"T{table}.get({index.value()})")

    def op_table_set(self, table):
        value = self.pop()
        index = self.pop()
        self.emit(f"T{table}.set({index.value()}, {value.value()})")

    def op_table_size(self, table):
        self.assign_result(f"len(T{table}.elems)")

    def op_memory_size(self, memory):
        self.assign_result(f"(len(M{memory}) >> 16)")

    def op_memory_grow(self, memory):
        delta = self.pop()
        self.assign_result(f"GROW(MEM{memory}, {delta.value()})")

    def callout(self, name, instances):
        pops, pushes = CALLOUTS[name]
        args = self.pop_values(pops)
        self.protect("_k")
        self.emit(f"_k = [{', '.join(a.value() for a in args)}]")
        self.emit(f"OP_{name.replace('.', '_')}({''.join(i + ', ' for i in instances)}_k)")
        if pushes:
            self.assign_result("_k[-1]")

    def op_table_grow(self, table):
        self.callout("table.grow", [f"T{table}"])

    def op_table_fill(self, table):
        self.callout("table.fill", [f"T{table}"])

    def op_table_copy(self, dst, src):
        self.callout("table.copy", [f"T{dst}", f"T{src}"])

    def op_table_init(self, elem, table):
        self.callout("table.init", [f"T{table}", f"E{elem}"])

    def op_elem_drop(self, elem):
        self.callout("elem.drop", [f"E{elem}"])

    def op_memory_init(self, data, memory):
        self.callout("memory.init", [f"MEM{memory}", f"D{data}"])

    def op_data_drop(self, data):
        self.callout("data.drop", [f"D{data}"])

    def op_memory_copy(self, dst, src):
        self.callout("memory.copy", [f"MEM{dst}", f"MEM{src}"])

    def op_memory_fill(self, memory):
        self.callout("memory.fill", [f"MEM{memory}"])

    # -- numeric and memory instructions with a fixed signature -------------------------------

    def numeric(self, op, name, args):
        if op.align is not None:
            return self.memory_access(name, args)
        if name == "f64.const" and float_literal(args[0]) is not None:
            return self.push(Value(float_literal(args[0]), flt=True))
        if name.endswith(".const"):
            value = args[0]
            if name in ("i32.const", "i64.const"):
                value &= M32 if name[1] == "3" else M64
            return self.push(const(value))
        nparams = len(op.params)
        if len(op.results) != 1:
            raise Untranslatable(f"instruction {name}")
        operands = self.pop_values(nparams)
        deps = frozenset().union(*(v.deps for v in operands))
        size = sum(v.size for v in operands) + 1
        if name in F64_BINARY:
            a, b = operands
            return self.push(Value(f"({a.float()} {F64_BINARY[name]} {b.float()})", deps,
                                   size=size, flt=True))
        if name in F64_COMPARE:
            a, b = operands
            return self.push(Value(f"({a.float()} {F64_COMPARE[name]} {b.float()})", deps,
                                   cond=True, size=size))
        if name in ("f64.div", "f64.sqrt"):
            return self.push(Value(self.float_special(name, operands), deps, size=size, flt=True))
        if name == "f64.convert_i32_u":
            return self.push(Value(f"float({operands[0].value()})", deps, size=size, flt=True))
        if name == "f64.convert_i32_s":
            text = f"float(({operands[0].value()} ^ 0x80000000) - 0x80000000)"
            return self.push(Value(text, deps, size=size, flt=True))
        if name in INT_BINARY:
            a, b = operands
            text, wide = self.int_binary(name, a, b)
            return self.push(Value(text, deps, size=size, wide=wide))
        if name in INT_COMPARE:
            symbol, sign = INT_COMPARE[name]
            a, b = operands
            x, y = a.value(), b.value()
            if sign is not None:
                x = f"({x} ^ {hex(sign)})"
                y = hex(b.const ^ sign) if b.const is not None else f"({y} ^ {hex(sign)})"
            return self.push(Value(f"({x} {symbol} {y})", deps, cond=True, size=size))
        if name in ("i32.eqz", "i64.eqz"):
            (a,) = operands
            text = f"(not {a.expr})" if a.cond else f"({a.expr} == 0)"
            return self.push(Value(text, deps, cond=True, size=size))
        if name in INT_UNARY:
            (a,) = operands
            return self.push(Value(INT_UNARY[name].format(a=a.value()), deps, size=size))
        call = f"{mangle(name)}({', '.join([repr(x) for x in args] + [v.value() for v in operands])})"
        if traps(name):
            self.assign_result(call)
        else:
            self.push(Value(call, deps, size=size))

    @staticmethod
    def float_special(name, operands) -> str:
        """Division and square root, inline where the operand needs no temporary."""
        if name == "f64.sqrt":
            (a,) = operands
            x = a.float()
            if a.flt and a.is_atomic():
                return f"(SQRT({x}) if {x} >= 0 else NAN)"
            return f"FSQRT({x})"
        a, b = operands
        x, y = a.float(), b.float()
        if b.flt and b.is_atomic():
            if y.startswith("(") and float(y[1:-1]) != 0:  # a non-zero literal
                return f"({x} / {y})"
            if not y.startswith("("):
                return f"({x} / {y} if {y} else FDIV({x}, {y}))"
        return f"FDIV({x}, {y})"

    def int_binary(self, name, a, b) -> tuple[str, str | None]:
        """The expression, and the non-negative one it wraps (add, mul, shl) if any."""
        x, y = a.value(), b.value()
        op = name.split(".")[1]
        bits = 32 if name[1] == "3" else 64
        mask = hex((1 << bits) - 1)
        if b.const is not None and op in ("shl", "shr_u", "shr_s"):
            k = b.const & (bits - 1)
            if op == "shr_u":
                return f"({x} >> {k})", None
            if op == "shl":
                if bits == 32 and k <= 28:
                    # Below 2**60: `%` is faster than `&`, and CPython specialises `*` for
                    # ints but not `<<`.
                    return self.wrapped(f"({x} * {1 << k})", "% 0x100000000")
                return self.wrapped(f"({x} << {k})", "& " + mask)
        if op == "mul" and bits == 32 and (a.const or b.const or M32) < 1 << 26:
            return self.wrapped(f"({x} * {y})", "% 0x100000000")  # a small factor: < 2**60
        text = INT_BINARY[name].format(a=x, b=y)
        if op in ("add", "mul", "shl"):
            # Operands are non-negative: so is the result before its final wrap (the
            # templates read `(inner % modulus)` / `(inner & mask)`).
            return text, text[1:-1].rsplit(" ", 2)[0]
        return text, None

    @staticmethod
    def wrapped(inner: str, wrap: str) -> tuple[str, str]:
        return f"({inner} {wrap})", inner

    def memory_access(self, name, args):
        memarg = args[0]
        mem = memarg.memory
        offset = memarg.offset
        checked = self.memory64[mem]
        if name in STRUCT_LOADS:
            code, mask = STRUCT_LOADS[name]
            if name == "f64.load":
                code = "d"
            addr = self.pop()
            if checked:
                text = f"LOAD64(U_{code}, M{mem}, {self.address(addr, offset)})"
            else:
                text = f"U_{code}(M{mem}, {self.address(addr, offset, unwrapped=True)})[0]"
            if mask is not None:
                text = f"({text} % {hex(mask + 1)})"
            self.loads_pending = True
            self.push(Value(text, addr.deps | {MEMORY}, size=addr.size + 1, flt=code == "d"))
        elif name in STRUCT_STORES:
            code, mask = STRUCT_STORES[name]
            value = self.pop()
            addr = self.pop()
            v = value.value()
            if value.flt and name == "f64.store":
                code, v = "d", value.expr
            if mask is not None:
                # The low bits are the same before the operation's wrap.
                v = f"({value.wide or v} & {hex(mask)})"
            elif not value.flt and not checked:
                v = value.unwrapped()
            at = self.address(addr, offset, unwrapped=not checked)
            if checked:
                self.emit(f"STORE64(P_{code}, M{mem}, {at}, {v})")
            else:
                self.emit(f"P_{code}(M{mem}, {at}, {v})", retry=True)
        elif name.startswith("v128.load") and name.endswith("_lane"):
            vector = self.pop()
            addr = self.pop()
            self.assign_result(f"V128_LOAD_LANE(MEM{mem}, {offset}, {self.lane_size(name)}, "
                               f"{args[1]}, {addr.value()}, {vector.value()})")
        elif name.startswith("v128.store") and name.endswith("_lane"):
            vector = self.pop()
            addr = self.pop()
            self.emit(f"V128_STORE_LANE(MEM{mem}, {offset}, {self.lane_size(name)}, {args[1]}, "
                      f"{addr.value()}, {vector.value()})")
        elif name == "v128.store":
            value = self.pop()
            addr = self.pop()
            self.emit(f"V128_STORE(MEM{mem}, {offset}, {addr.value()}, {value.value()})")
        elif name.startswith("v128.load"):
            addr = self.pop()
            self.assign_result(f"V128_LOAD(MEM{mem}, {offset}, {name!r}, {addr.value()})")
        else:
            raise Untranslatable(f"instruction {name}")

    @staticmethod
    def lane_size(name: str) -> int:
        return int(name.split("_")[0].removeprefix("v128.load").removeprefix("v128.store")) // 8

    @staticmethod
    def address(addr: Value, offset: int, unwrapped=False) -> str:
        if addr.const is not None:
            return str(addr.const + offset)
        text = addr.unwrapped() if unwrapped else addr.value()
        return f"{text} + {offset}" if offset else text
