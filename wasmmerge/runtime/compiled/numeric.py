"""Numeric instructions and memory accesses with a fixed signature.

Integers are unsigned Python ints, wrapped only where an operation can leave the range;
f64 values may be Python floats (`Value.flt`). What is not inline calls the reference
engine's own `numerics.OPS` / `simd.OPS` functions, so results match bit for bit.
"""

import math
import struct

from .emitter import Emitter
from .symbolic import M32, M64, MEMORY, Untranslatable, Value, const, mangle


# Integer instructions written inline. `a`, `b` are the operands.
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
# f64 instructions computed on Python floats (see `Value.flt`); others go through bits.
F64_BINARY = {"f64.add": "+", "f64.sub": "-", "f64.mul": "*"}
F64_COMPARE = {"f64.eq": "==", "f64.ne": "!=", "f64.lt": "<", "f64.gt": ">", "f64.le": "<=",
               "f64.ge": ">="}


def traps(name: str) -> bool:
    """Whether the numeric instruction `name` can trap (so it is not reordered)."""
    op = name.split(".", 1)[1] if "." in name else name
    if name[:1] == "i" and "x" not in name.split(".")[0]:
        return op.startswith(("div_", "rem_")) or (op.startswith("trunc_") and "_sat" not in op)
    return False


def float_literal(bits: int) -> str | None:
    """Python source for the double with these bits, when a literal can say it."""
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if x != x or x in (math.inf, -math.inf):
        return None
    return f"({x!r})"


class Numeric(Emitter):
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
            elif not value.flt and not checked and MEMORY not in value.deps and MEMORY not in addr.deps:
                # Only a store that reads no memory is tried with its value unwrapped:
                # struct's pack_into zeroes the field before refusing an out-of-range value,
                # so the retry would read the zeroes of a value loaded from where it stores
                # (`p->n -= 16`), or of an address loaded from there (a pointer to itself).
                # An out-of-range address is refused before any write.
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
