"""Scalar numeric instructions, bit-exact to the spec.

Contract with the engine: i32/i64 are ints holding the unsigned bit pattern, f32/f64
ints holding the IEEE bits. `OPS[name](*operands)` takes the operands in push order and
returns the one result; traps raise `Trap` with the spec's message.

NaN results: every operation that may produce a NaN returns the positive canonical NaN,
which the spec always allows (it is arithmetic as well). The exceptions are f64 + - * /,
which return what the host's IEEE-754 arithmetic gives: a NaN operand quieted with its
payload kept, or the default NaN (canonical) - the very choices the spec allows - so the
hot f64 path needs no NaN test. abs, neg and copysign act on the bits and so keep every
payload.
"""

import math
import operator

from ..errors import Trap
from .float_bits import (F32, F32_NAN, F32_SIGN, F64, F64_NAN, F64_SIGN, M32, M64, f32_bits,
                         f32_value, f64_bits, f64_value, int_to_f32, int_to_f64)

DIVIDE_BY_ZERO = "integer divide by zero"
OVERFLOW = "integer overflow"
INVALID_CONVERSION = "invalid conversion to integer"

_INF = math.inf
_copysign = math.copysign


# -- integers ------------------------------------------------------------------------------

def _signed32(a):
    return (a ^ 0x80000000) - 0x80000000


def _signed64(a):
    return (a ^ 0x8000000000000000) - 0x8000000000000000


def _clz(width):
    return lambda a: width - a.bit_length()


def _ctz(width):
    return lambda a: (a & -a).bit_length() - 1 if a else width


def _div_s(width):
    sign = 1 << (width - 1)
    mask = (1 << width) - 1

    def div_s(a, b):
        if not b:
            raise Trap(DIVIDE_BY_ZERO)
        if a == sign and b == mask:
            raise Trap(OVERFLOW)
        x, y = (a ^ sign) - sign, (b ^ sign) - sign
        q = abs(x) // abs(y)
        return (-q if (x < 0) != (y < 0) else q) & mask
    return div_s


def _div_u(a, b):
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    return a // b


def _rem_s(width):
    sign = 1 << (width - 1)
    mask = (1 << width) - 1

    def rem_s(a, b):
        if not b:
            raise Trap(DIVIDE_BY_ZERO)
        x, y = (a ^ sign) - sign, (b ^ sign) - sign
        r = abs(x) % abs(y)  # the remainder takes the dividend's sign
        return (-r if x < 0 else r) & mask
    return rem_s


def _rem_u(a, b):
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    return a % b


def _rotl(width):
    mask, bits = (1 << width) - 1, width - 1

    def rotl(a, b):
        k = b & bits
        return ((a << k) | (a >> (width - k))) & mask
    return rotl


def _rotr(width):
    mask, bits = (1 << width) - 1, width - 1

    def rotr(a, b):
        k = b & bits
        return ((a >> k) | (a << (width - k))) & mask
    return rotr


def _integer_ops(prefix, width):
    mask, sign, bits = (1 << width) - 1, 1 << (width - 1), width - 1
    return {
        f"{prefix}.eqz": lambda a: 0 if a else 1,
        f"{prefix}.eq": lambda a, b: 1 if a == b else 0,
        f"{prefix}.ne": lambda a, b: 1 if a != b else 0,
        # Flipping the sign bit maps signed order onto unsigned order.
        f"{prefix}.lt_s": lambda a, b: 1 if (a ^ sign) < (b ^ sign) else 0,
        f"{prefix}.lt_u": lambda a, b: 1 if a < b else 0,
        f"{prefix}.gt_s": lambda a, b: 1 if (a ^ sign) > (b ^ sign) else 0,
        f"{prefix}.gt_u": lambda a, b: 1 if a > b else 0,
        f"{prefix}.le_s": lambda a, b: 1 if (a ^ sign) <= (b ^ sign) else 0,
        f"{prefix}.le_u": lambda a, b: 1 if a <= b else 0,
        f"{prefix}.ge_s": lambda a, b: 1 if (a ^ sign) >= (b ^ sign) else 0,
        f"{prefix}.ge_u": lambda a, b: 1 if a >= b else 0,
        f"{prefix}.clz": _clz(width),
        f"{prefix}.ctz": _ctz(width),
        f"{prefix}.popcnt": int.bit_count,
        f"{prefix}.add": lambda a, b: (a + b) & mask,
        f"{prefix}.sub": lambda a, b: (a - b) & mask,
        f"{prefix}.mul": lambda a, b: (a * b) & mask,
        f"{prefix}.div_s": _div_s(width),
        f"{prefix}.div_u": _div_u,
        f"{prefix}.rem_s": _rem_s(width),
        f"{prefix}.rem_u": _rem_u,
        f"{prefix}.and": int.__and__,
        f"{prefix}.or": int.__or__,
        f"{prefix}.xor": int.__xor__,
        f"{prefix}.shl": lambda a, b: (a << (b & bits)) & mask,
        f"{prefix}.shr_s": lambda a, b: (((a ^ sign) - sign) >> (b & bits)) & mask,
        f"{prefix}.shr_u": lambda a, b: a >> (b & bits),
        f"{prefix}.rotl": _rotl(width),
        f"{prefix}.rotr": _rotr(width),
        f"{prefix}.extend8_s": lambda a: (((a & 0xFF) ^ 0x80) - 0x80) & mask,
        f"{prefix}.extend16_s": lambda a: (((a & 0xFFFF) ^ 0x8000) - 0x8000) & mask,
    }


# -- f64: Python floats are IEEE doubles ---------------------------------------------------

# The hot f64 operations reinterpret through one scratch buffer seen as two u64 and as two
# doubles: a few item accesses cost less than struct calls. (Not reentrant across threads,
# which the engine does not use.)
_scratch = bytearray(16)
_as_u64 = memoryview(_scratch).cast("Q")
_as_f64 = memoryview(_scratch).cast("d")


def f64_add(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    _as_f64[0] = _as_f64[0] + _as_f64[1]
    return _as_u64[0]


def f64_sub(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    _as_f64[0] = _as_f64[0] - _as_f64[1]
    return _as_u64[0]


def f64_mul(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    _as_f64[0] = _as_f64[0] * _as_f64[1]
    return _as_u64[0]


def f64_eq(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    return 1 if _as_f64[0] == _as_f64[1] else 0


def f64_ne(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    return 1 if _as_f64[0] != _as_f64[1] else 0


def f64_lt(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    return 1 if _as_f64[0] < _as_f64[1] else 0


def f64_gt(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    return 1 if _as_f64[0] > _as_f64[1] else 0


def f64_le(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    return 1 if _as_f64[0] <= _as_f64[1] else 0


def f64_ge(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    return 1 if _as_f64[0] >= _as_f64[1] else 0


def _divide(x, y):
    """x / y on doubles with IEEE division by zero (Python raises instead)."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0:
            return math.nan
        return _copysign(_INF, x) * _copysign(1.0, y)


def f64_div(a, b):
    _as_u64[0] = a
    _as_u64[1] = b
    x, y = _as_f64[0], _as_f64[1]
    _as_f64[0] = x / y if y else _divide(x, y)
    return _as_u64[0]


def _sqrt(x):
    if x < 0:
        return math.nan
    return math.sqrt(x)  # keeps -0, inf, and NaN operands


def _min(x, y):
    """IEEE/wasm minimum on doubles: NaN wins, -0 < +0."""
    if x < y:
        return x
    if y < x:
        return y
    if x == y:  # equal, possibly zeros of different signs
        return y if _copysign(1.0, y) < 0 else x
    return math.nan


def _max(x, y):
    if x > y:
        return x
    if y > x:
        return y
    if x == y:
        return x if _copysign(1.0, y) < 0 else y
    return math.nan


def _rounding(fn):
    """ceil/floor/trunc on doubles: integral results keep the operand's sign (-0.5 -> -0)."""
    def apply(x):
        if x != x or x in (_INF, -_INF) or x == 0:
            return x
        return _copysign(float(fn(x)), x)
    return apply


def _nearest(x):
    if x != x or x in (_INF, -_INF) or x == 0:
        return x
    return _copysign(float(round(x)), x)  # round() on a float is ties-to-even


def _f64_unary(fn):
    def apply(a):
        _as_u64[0] = a
        return f64_bits(fn(_as_f64[0]))
    return apply


def _f64_binary(fn):
    def apply(a, b):
        _as_u64[0] = a
        _as_u64[1] = b
        return f64_bits(fn(_as_f64[0], _as_f64[1]))
    return apply


# -- f32: computed in double, rounded once (exact for + - * / sqrt, rounding is integral) --

# Operands widen through a scratch buffer too (exact but for NaN payloads, which every
# f32 operation here decides itself); results round through f32_bits.
_scratch32 = bytearray(8)
_as_u32 = memoryview(_scratch32).cast("I")
_as_f32 = memoryview(_scratch32).cast("f")


def _f32_unary(fn):
    def apply(a):
        _as_u32[0] = a
        return f32_bits(fn(_as_f32[0]))
    return apply


def _f32_binary(fn):
    def apply(a, b):
        _as_u32[0] = a
        _as_u32[1] = b
        return f32_bits(fn(_as_f32[0], _as_f32[1]))
    return apply


def _f32_compare(fn):
    def apply(a, b):
        _as_u32[0] = a
        _as_u32[1] = b
        return 1 if fn(_as_f32[0], _as_f32[1]) else 0
    return apply


def _float_ops(prefix, unary, binary, compare, sign, magnitude):
    ops = {
        f"{prefix}.abs": lambda a: a & magnitude,
        f"{prefix}.neg": lambda a: a ^ sign,
        f"{prefix}.copysign": lambda a, b: (a & magnitude) | (b & sign),
        f"{prefix}.ceil": unary(_rounding(math.ceil)),
        f"{prefix}.floor": unary(_rounding(math.floor)),
        f"{prefix}.trunc": unary(_rounding(math.trunc)),
        f"{prefix}.nearest": unary(_nearest),
        f"{prefix}.sqrt": unary(_sqrt),
        f"{prefix}.add": binary(operator.add),
        f"{prefix}.sub": binary(operator.sub),
        f"{prefix}.mul": binary(operator.mul),
        f"{prefix}.div": binary(_divide),
        f"{prefix}.min": binary(_min),
        f"{prefix}.max": binary(_max),
    }
    if compare is not None:
        for name in ("eq", "ne", "lt", "gt", "le", "ge"):
            ops[f"{prefix}.{name}"] = compare(getattr(operator, name))
    return ops


# -- conversions -------------------------------------------------------------------------

def _trunc(value, lo, hi, mask):
    """float -> int, trapping as the spec says."""
    def trunc(a):
        x = value(a)
        if x != x:
            raise Trap(INVALID_CONVERSION)
        if x in (_INF, -_INF):
            raise Trap(OVERFLOW)
        n = int(x)  # truncates toward zero
        if n < lo or n > hi:
            raise Trap(OVERFLOW)
        return n & mask
    return trunc


def _trunc_sat(value, lo, hi, mask):
    def trunc_sat(a):
        x = value(a)
        if x != x:
            return 0
        if x >= hi:
            return hi & mask
        if x <= lo:
            return lo & mask
        return int(x) & mask
    return trunc_sat


def _promote(a):
    if F32.is_nan(a):
        return F64_NAN
    return f64_bits(f32_value(a))


def _demote(a):
    if F64.is_nan(a):
        return F32_NAN
    return f32_bits(f64_value(a))


_I32 = (-(1 << 31), (1 << 31) - 1, M32)
_U32 = (0, M32, M32)
_I64 = (-(1 << 63), (1 << 63) - 1, M64)
_U64 = (0, M64, M64)

CONVERSIONS = {
    "i32.wrap_i64": lambda a: a & M32,
    "i64.extend_i32_s": lambda a: _signed32(a) & M64,
    "i64.extend_i32_u": lambda a: a,
    "i64.extend32_s": lambda a: _signed32(a & M32) & M64,
    "f32.convert_i32_s": lambda a: int_to_f32(_signed32(a)),
    "f32.convert_i32_u": int_to_f32,
    "f32.convert_i64_s": lambda a: int_to_f32(_signed64(a)),
    "f32.convert_i64_u": int_to_f32,
    "f64.convert_i32_s": lambda a: int_to_f64(_signed32(a)),
    "f64.convert_i32_u": int_to_f64,
    "f64.convert_i64_s": lambda a: int_to_f64(_signed64(a)),
    "f64.convert_i64_u": int_to_f64,
    "f32.demote_f64": _demote,
    "f64.promote_f32": _promote,
    "i32.reinterpret_f32": lambda a: a,
    "i64.reinterpret_f64": lambda a: a,
    "f32.reinterpret_i32": lambda a: a,
    "f64.reinterpret_i64": lambda a: a,
}
for _source, _value in (("f32", f32_value), ("f64", f64_value)):
    for _target, _sign, _bounds in (("i32", "s", _I32), ("i32", "u", _U32),
                                    ("i64", "s", _I64), ("i64", "u", _U64)):
        CONVERSIONS[f"{_target}.trunc_{_source}_{_sign}"] = _trunc(_value, *_bounds)
        CONVERSIONS[f"{_target}.trunc_sat_{_source}_{_sign}"] = _trunc_sat(_value, *_bounds)


OPS = {}
OPS.update(_integer_ops("i32", 32))
OPS.update(_integer_ops("i64", 64))
OPS.update(_float_ops("f32", _f32_unary, _f32_binary, _f32_compare, F32_SIGN, M32 ^ F32_SIGN))
OPS.update(_float_ops("f64", _f64_unary, _f64_binary, None, F64_SIGN, M64 ^ F64_SIGN))
# The hot f64 operations, written out (see the module docstring on their NaNs).
OPS.update({"f64.add": f64_add, "f64.sub": f64_sub, "f64.mul": f64_mul, "f64.div": f64_div,
            "f64.eq": f64_eq, "f64.ne": f64_ne, "f64.lt": f64_lt, "f64.gt": f64_gt, "f64.le": f64_le,
            "f64.ge": f64_ge})
OPS.update(CONVERSIONS)

# Bit-pattern versions of the float operations, for the vector lanes.
f32_ops = {name[4:]: fn for name, fn in OPS.items() if name.startswith("f32.")}
f64_ops = {name[4:]: fn for name, fn in OPS.items() if name.startswith("f64.")}
