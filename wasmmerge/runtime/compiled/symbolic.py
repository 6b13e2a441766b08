"""Symbolic stack entries and labels, and the names the generated code uses.

A wasm stack entry is a Python expression (`Value`); see `emitter.py` for when it is
stored in a variable, and `translate.py` for the whole scheme.
"""

import re

M32 = 0xFFFF_FFFF
M64 = 0xFFFF_FFFF_FFFF_FFFF
MAX_EXPRESSION = 24         # operators in one symbolic expression before it is stored
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
    """A block, loop, if or the function body, while it is open."""

    __slots__ = ("kind", "height", "nparams", "nresults", "id", "pyloop", "pending",
                 "snapshot", "reaches_end", "has_else", "arm_lines", "returns")

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
        self.returns = False     # if: each arm ends with `return` (it ends the function)

    @property
    def arity(self):
        return self.nparams if self.kind == "loop" else self.nresults

    @property
    def restarts(self) -> bool:
        """A jump here is `continue` (a loop, or a function looping for self tail calls)."""
        return self.kind in ("loop", "func")


def func_name(index: int) -> str:
    return f"f{index}"


def tail_body_name(index: int) -> str:
    return f"t{index}"


def mangle(name: str) -> str:
    return "N_" + name.replace(".", "_")
