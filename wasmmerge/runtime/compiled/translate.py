"""Translate one wasm function into the source of one Python function.

The operand stack disappears at translation time. Each stack entry is a Python
expression (`symbolic.Value`); an entry at height h that must live in a variable (its
value crosses a control-flow join, or it traps or calls) is assigned to the local
`s{h}`. Pure, non-trapping expressions (locals, constants, integer arithmetic,
comparisons) stay symbolic until consumed, so `local.get; i32.const; i32.add;
local.set` is one Python statement. Loads stay symbolic too, until the next statement
that writes, traps, calls or branches (`emitter.py`). An entry records the variables it
reads, and is assigned to its slot before any of them is overwritten.

Wasm locals are `l{i}` (parameters first). Structured control maps onto Python's
(`control.py`); a function making tail calls to itself is one `while True:` loop, and
one making other tail calls gets a trampoline (`calls.py`).

Calling convention: `f(d, *params)` where `d` counts the frames still allowed (0 is
"call stack exhausted"); the result is None, the value, or a tuple of the values. The
names the code uses (`F3` callee, `M0` memory bytes, `G1` global, `N_i32_div_s`
numeric helper...) are bound per instance by `engine.py`; the source depends only on the
module, so it is cached per module.

Modules: `symbolic` (entries, labels, names), `emitter` (lines and the symbolic stack),
`control`, `calls`, `variables` (locals, globals, tables, bulk memory), `numeric`
(arithmetic and memory access), and this driver.
"""

from bisect import bisect_right

from ...binary.code import decode_code
from ...binary.types import F64, NumType
from .calls import Calls
from .control import ControlFlow
from .fuel import fuel_charge, fuel_costs
from .numeric import Numeric
from .symbolic import Label, Untranslatable, Value, func_name, mangle, tail_body_name
from .variables import Variables

__all__ = ["Untranslatable", "func_name", "mangle", "tail_body_name", "translate"]

MAX_INSTRUCTIONS = 30_000   # larger bodies run on the reference engine (compile time)
UNTRANSLATED_FEATURES = {"gc": "garbage collection",
                         "exceptions": "exception handling",
                         "legacy-exceptions": "exception handling", "threads": "threads"}


def default_literal(t) -> str:
    if t is F64:
        return "0.0"
    return "0" if isinstance(t, NumType) else "None"


TABLES_ATTR = "_python_translation_tables"


def _module_tables(module) -> tuple[list, list]:
    """(every function's type, each memory's 64-bit flag), computed once per module."""
    tables = module.__dict__.get(TABLES_ATTR)
    if tables is None:
        tables = module.__dict__[TABLES_ATTR] = (
            [module.types[i].comp for i in module.func_type_indices()],
            [t.limits.address64 for t in module.memory_types()])
    return tables


class LocalTypes:
    """A function's local types (parameters first) by index, kept as run-length groups:
    a body may declare far more locals than it uses."""

    def __init__(self, params, groups):
        self.starts, self.types = [], []
        at = 0
        for count, t in [(1, p) for p in params] + list(groups):
            if count:
                self.starts.append(at)
                self.types.append(t)
                at += count
        self.count = at

    def __getitem__(self, index: int):
        return self.types[bisect_right(self.starts, index) - 1]

    def of_type(self, t) -> "TypedLocals":
        return TypedLocals(self, t)


class TypedLocals:
    """`index in this`: whether local `index` has type `t`."""

    def __init__(self, local_types: LocalTypes, t):
        self.local_types, self.type = local_types, t

    def __contains__(self, index: int) -> bool:
        return 0 <= index < self.local_types.count and self.local_types[index] is self.type


def translate(module, index: int, fuel: bool = False) -> str:
    """The Python source of function `index` (in the function index space) of `module`.

    With `fuel`, the code charges `FUEL[0]` (see `fuel_costs`) and raises "out of fuel"
    when it goes negative; without, it has no fuel code at all."""
    return Translator(module, index, fuel).run()


class Translator(ControlFlow, Calls, Variables, Numeric):
    """One function's translation: the instruction mixins' `op_*` methods, driven here."""

    def __init__(self, module, index, fuel=False):
        self.module = module
        self.index = index
        self.fuel = fuel
        self.call_cost, self.fuel_costs = 0, {}
        # Per module, not per function: translating each function of a large module
        # must not cost the module's size again.
        self.func_types, self.memory64 = _module_tables(module)
        nimported = len(self.func_types) - len(module.codes)
        self.code = module.codes[index - nimported]
        self.type = self.func_types[index]
        self.local_types = LocalTypes(self.type.params, self.code.locals)
        # f64 locals hold Python floats (parameters are converted on entry).
        self.float_locals = self.local_types.of_type(F64)
        # Declared locals the body reads or writes: only these are initialised, so the
        # translation costs the body's size, never the number of locals declared.
        self.used_locals: set[int] = set()
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

    # -- driver ----------------------------------------------------------------------------

    def run(self) -> str:
        instrs = decode_code(self.code, multi_memory=True)
        if len(instrs) > MAX_INSTRUCTIONS:
            raise Untranslatable(f"function too large ({len(instrs)} instructions)")
        self.targeted = self.scan(instrs)
        if self.fuel:
            self.call_cost, self.fuel_costs = fuel_costs(instrs, self.targeted)
        ft = self.type
        func = Label("func", 0, 0, len(ft.results), 0, self.self_tail)
        if self.self_tail:
            func.id = self.next_id
            self.next_id += 1
            self.indent += 1
            self.py_loops += 1
        self.labels.append(func)
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
        self.final_if = None
        for pos, instr in enumerate(instrs):
            op = instr.op
            feature = UNTRANSLATED_FEATURES.get(op.feature)
            if feature is not None:
                raise Untranslatable(f"{feature} ({op.name})")
            name = op.name
            if name in ("block", "loop", "if"):
                openers.append(pos)
            elif name == "end":
                opener = openers.pop()
                if pos == len(instrs) - 2 and instrs[opener].op.name == "if":
                    self.final_if = opener
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
        for i, t in enumerate(ft.params):
            if t is F64:
                head.append(f"    l{i} = DU(QP(l{i}))[0]")
        if self.uses_br:
            head.append("    _br = 0")
        indent = "    "
        if self.self_tail:
            head.append("    while True:")  # a self tail call assigns the parameters, continues
            indent += "    "
        if self.fuel:
            head += [indent + line for line in fuel_charge(max(1, self.call_cost))]
        by_default = {}
        for i in sorted(self.used_locals):
            if i >= nparams:
                by_default.setdefault(default_literal(self.local_types[i]), []).append(f"l{i}")
        for literal, names in by_default.items():
            for start in range(0, len(names), 200):
                head.append(indent + " = ".join(names[start:start + 200]) + f" = {literal}")
        return "\n".join(self.preamble + trampoline + head + self.lines) + "\n"
