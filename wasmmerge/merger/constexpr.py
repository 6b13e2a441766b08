"""Constant expressions in the merged module: remapped, and imports that became definitions substituted.

In 2.0 a constant expression may only read *imported* globals. When an input's imported
global is bound to another input's definition, `global.get` of it would read a defined
global, so the defining expression is substituted instead (recursively) and constant
arithmetic folded, so that extended constant expressions appear only where an input
already had one. A defining expression that allocates (struct.new, array.new...) is not
copied, since that would create a second object: its global is read instead, which 3.0
allows when that global comes earlier.
"""

from ..binary import leb
from ..binary.code import decode_instrs
from ..binary.model import Expr
from ..binary.opcodes import BY_NAME
from ..binary.types import GLOBAL_KIND
from ..errors import DecodeError, LinkError, Unsupported
from .resolve import Defined
from .rewrite import rewrite

_FOLDABLE = {
    "i32.add": (32, lambda a, b: a + b), "i32.sub": (32, lambda a, b: a - b), "i32.mul": (32, lambda a, b: a * b),
    "i64.add": (64, lambda a, b: a + b), "i64.sub": (64, lambda a, b: a - b), "i64.mul": (64, lambda a, b: a * b),
}
# Instructions whose value is the same however often they are evaluated.
_VALUE_OPS = frozenset(("i32.const", "i64.const", "f32.const", "f64.const", "v128.const", "ref.null",
                        "ref.func", "global.get", "end", "ref.i31", "any.convert_extern",
                        "extern.convert_any")) | frozenset(_FOLDABLE)
_GLOBAL_GET = BY_NAME["global.get"].code


def _wrap(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


class ConstExprs:
    """Converts the constant expressions of every input into merged terms."""

    def __init__(self, inputs, plan):
        self.inputs = inputs
        self.plan = plan
        self.remaps = [plan.remap(k) for k in range(len(inputs))]
        self._imported_globals = [m.module.count(GLOBAL_KIND) - len(m.module.globals) for m in inputs]
        self._global_inits: dict[tuple, tuple] = {}  # (input, defined index) -> (bytes, pure)
        self._busy: list = []  # the initialisers being converted, outermost first

    def convert(self, k: int, expr: Expr | None, reader_global: int | None = None) -> Expr | None:
        """`expr` of input k in merged terms; `reader_global` is the merged index of the
        global it initialises, if it does (a read must refer to an earlier global)."""
        if expr is None:
            return None
        return Expr(self._convert_bytes(k, expr, reader_global), expr.offset)

    def global_init(self, k: int, index: int) -> bytes:
        """The converted initialiser of input k's global `index` (module-relative, defined)."""
        return self._definition(k, index)[0]

    def _definition(self, k: int, index: int) -> tuple:
        key = (k, index)
        found = self._global_inits.get(key)
        if found is not None:
            return found
        if key in self._busy:
            chain = self._busy[self._busy.index(key):] + [key]
            raise LinkError("global initialisers form a cycle: "
                            + " -> ".join(f"{self.inputs[i].name} global {g}" for i, g in chain))
        self._busy.append(key)
        try:
            defined = index - self._imported_globals[k]
            merged = self.plan.merged(k, "global", index)
            code = self._convert_bytes(k, self.inputs[k].module.globals[defined].init, merged)
            result = (code, self._pure_quick(code))
        finally:
            self._busy.pop()
        self._global_inits[key] = result
        return result

    def _convert_bytes(self, k: int, expr: Expr, reader_global) -> bytes:
        code = expr.code
        if _GLOBAL_GET not in code:
            return rewrite(code, self.remaps[k], expr.offset)
        instrs, _ = decode_instrs(code, 0, len(code))
        pieces = []  # (name, bytes)
        targets = self.plan.resolution.targets[k]
        for n, instr in enumerate(instrs):
            start = instr.offset
            stop = instrs[n + 1].offset if n + 1 < len(instrs) else len(code)
            name = instr.op.name
            if name == "global.get" and instr.args[0] < self._imported_globals[k]:
                target = targets[self._import_position(k, instr.args[0])]
                if isinstance(target, Defined):
                    body, target_pure = self._definition(target.module, target.index)
                    merged = self.plan.merged(k, "global", instr.args[0])
                    if target_pure:
                        pieces.extend(_split(body[:-1]))
                        continue
                    if reader_global is not None and merged >= reader_global:
                        raise Unsupported(f"unsupported: {self.inputs[k].name} reads global {merged} "
                                          "whose allocating initialiser comes later in the merged module")
            pieces.append((name, rewrite(code[start:stop], self.remaps[k])))
        return _fold(pieces)

    def _import_position(self, k: int, global_index: int) -> int:
        cache = getattr(self, "_positions", None)
        if cache is None:
            cache = self._positions = {}
        positions = cache.get(k)
        if positions is None:
            positions = cache[k] = [j for j, imp in enumerate(self.inputs[k].module.imports)
                                    if imp.kind == GLOBAL_KIND]
        return positions[global_index]

    @staticmethod
    def _pure_quick(code: bytes) -> bool:
        instrs, _ = decode_instrs(code, 0, len(code))
        return all(i.op.name in _VALUE_OPS for i in instrs)


def _split(code: bytes) -> list[tuple]:
    """Already-converted instruction bytes, back into (name, bytes) pieces."""
    if not code:
        return []
    instrs, _ = decode_instrs(code + b"\x0b", 0, len(code) + 1)
    out = []
    for n, instr in enumerate(instrs[:-1]):
        stop = instrs[n + 1].offset
        out.append((instr.op.name, code[instr.offset:stop]))
    return out


def _const_value(name: str, raw: bytes):
    if name == "i32.const":
        return leb.read_s32(raw, 1)[0]
    if name == "i64.const":
        return leb.read_s64(raw, 1)[0]
    return None


def _fold(pieces: list[tuple]) -> bytes:
    """Concatenate, folding i32/i64 add/sub/mul whose operands are both constants."""
    if not any(name in _FOLDABLE for name, _ in pieces) or not all(n in _VALUE_OPS for n, _ in pieces):
        return b"".join(raw for _, raw in pieces)
    stack = []  # (bytes, constant value or None)
    for name, raw in pieces:
        if name == "end":
            continue
        if name in _FOLDABLE:
            (b_raw, b_val), (a_raw, a_val) = stack.pop(), stack.pop()
            bits, fn = _FOLDABLE[name]
            if a_val is not None and b_val is not None:
                value = _wrap(fn(a_val, b_val), bits)
                op = "i32.const" if bits == 32 else "i64.const"
                stack.append((BY_NAME[op].encoding + leb.write_signed(value), value))
            else:
                stack.append((a_raw + b_raw + raw, None))
        else:
            stack.append((raw, _const_value(name, raw)))
    return b"".join(raw for raw, _ in stack) + b"\x0b"


# Opcode byte -> LEB width in bits, for the one-instruction expressions read from bytes.
_CONST_BITS = {0x41: 32, 0x42: 64}  # i32.const, i64.const


def constant_value(expr: Expr) -> int | None:
    """The integer an `i32.const`/`i64.const` expression yields, else None."""
    code = expr.code
    bits = _CONST_BITS.get(code[0]) if code else None
    if bits is not None:
        # The usual segment offset or global initialiser: `const N end`, read from the bytes
        # (real modules have ~10^5 of them; decoding each into instructions showed in profiles).
        try:
            value, pos = leb.read_signed(code, 1, bits)
        except DecodeError:
            pass
        else:
            if pos == len(code) - 1 and code[pos] == 0x0B:
                return value
    instrs, _ = decode_instrs(expr.code, 0, len(expr.code))
    if len(instrs) == 2 and instrs[0].op.name in ("i32.const", "i64.const"):
        return instrs[0].args[0]
    return None
