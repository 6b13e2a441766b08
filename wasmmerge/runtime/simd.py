"""Vector (v128) instructions, relaxed SIMD included, bit-exact to the spec.

A v128 is an int below 2**128, little-endian: lane 0 in the low bits. `OPS[name]` takes
the immediates first (a lane index, or the 16 shuffle bytes) and then the operands in
push order, and returns the one result. Float lanes reuse the scalar operations of
`numerics`, so they round and treat NaNs exactly as the scalar instructions do.

For memory accesses the engine reads the bytes itself and calls:
* `LOADS[name](raw)`: the v128 that `v128.load8x8_s` ... `v128.load64_zero` make of the
  little-endian int `raw` they read (8 bytes for the x-extend loads; 1, 2, 4 or 8 bytes
  for the splats and zero loads: `LOAD_BYTES[name]`).
* `extract_lane(v, width, lane)` / `replace_lane(v, width, lane, value)`: lane `lane` of
  width `width` bits (8, 16, 32, 64) as an unsigned int, for `v128.loadN_lane` and
  `v128.storeN_lane` (`LANE_WIDTHS[name]` gives N).

Relaxed SIMD picks one behaviour the spec allows, always the same: swizzle, trunc and
q15mulr behave as their strict counterparts, min/max as the strict min/max, laneselect
as bitselect, madd/nmadd fuse (one rounding), and the dot products read the second
operand as signed with the i16 pair sums saturated.
"""

import operator
import struct

from ..binary.opcodes import BY_NAME
from .float_bits import F32, F64, fused_multiply_add
from .numerics import OPS as SCALAR
from .numerics import f32_ops, f64_ops

V128_MASK = (1 << 128) - 1


class _Shape:
    """One lane layout: split a v128 into signed or unsigned lanes, and join lanes back."""

    def __init__(self, width: int):
        self.width = width
        self.count = 128 // width
        self.mask = (1 << width) - 1
        self.min, self.max = -(1 << (width - 1)), (1 << (width - 1)) - 1
        code = {8: "b", 16: "h", 32: "i", 64: "q"}[width]
        signed = struct.Struct(f"<{self.count}{code}")
        unsigned = struct.Struct(f"<{self.count}{code.upper()}")
        signed_unpack, unsigned_unpack, pack = signed.unpack, unsigned.unpack, unsigned.pack
        mask, from_bytes = self.mask, int.from_bytes

        # Bit masks for working on all lanes of the whole int at once (SWAR).
        self.ones = sum(1 << (i * width) for i in range(self.count))  # 1 in each lane
        self.high = self.ones << (width - 1)  # the sign bit of each lane
        self.low = V128_MASK ^ self.high

        self.signed = lambda v: signed_unpack(v.to_bytes(16, "little"))
        self.unsigned = lambda v: unsigned_unpack(v.to_bytes(16, "little"))
        # Lanes may be any ints: they wrap to the lane width.
        self.join = lambda lanes: from_bytes(pack(*[x & mask for x in lanes]), "little")


I8, I16, I32, I64 = (_Shape(w) for w in (8, 16, 32, 64))
SHAPES = {"i8x16": I8, "i16x8": I16, "i32x4": I32, "i64x2": I64, "f32x4": I32, "f64x2": I64}


def _saturate(lo, hi):
    return lambda x: lo if x < lo else hi if x > hi else x


# -- lane-wise builders ------------------------------------------------------------------

def _unary(split, fn, join):
    return lambda a: join(map(fn, split(a)))


def _binary(split, fn, join):
    return lambda a, b: join(map(fn, split(a), split(b)))


def _ternary(split, fn, join):
    return lambda a, b, c: join(map(fn, split(a), split(b), split(c)))


# -- integer lanes -----------------------------------------------------------------------

def _integer_ops(prefix, shape):
    s, u, join = shape.signed, shape.unsigned, shape.join
    bits = shape.width - 1
    sat_s = _saturate(shape.min, shape.max)
    sat_u = _saturate(0, shape.mask)

    def compare(split, test):
        return _binary(split, lambda x, y: -1 if test(x, y) else 0, join)

    # Whole-vector versions of the commonest ops: no carry, borrow or shifted-out bit may
    # cross into the next lane.
    ones, high, low, mask, width = shape.ones, shape.high, shape.low, shape.mask, shape.width
    sign = 1 << (width - 1)
    keep_after_shl = [ones * ((mask << k) & mask) for k in range(shape.width)]
    keep_after_shr = [ones * (mask >> k) for k in range(shape.width)]

    def add(a, b):
        return ((a & low) + (b & low)) ^ ((a ^ b) & high)

    def sub(a, b):
        return ((a | high) - (b & low)) ^ ((a ^ ~b) & high)

    ops = {
        "splat": lambda x: (x & mask) * ones,
        "eq": compare(u, int.__eq__), "ne": compare(u, int.__ne__),
        "lt_s": compare(s, int.__lt__), "lt_u": compare(u, int.__lt__),
        "gt_s": compare(s, int.__gt__), "gt_u": compare(u, int.__gt__),
        "le_s": compare(s, int.__le__), "le_u": compare(u, int.__le__),
        "ge_s": compare(s, int.__ge__), "ge_u": compare(u, int.__ge__),
        "abs": _unary(s, abs, join),
        "neg": _unary(u, int.__neg__, join),
        "popcnt": _unary(u, int.bit_count, join),
        "all_true": lambda a: 1 if all(u(a)) else 0,
        "bitmask": lambda a: sum(1 << i for i, x in enumerate(s(a)) if x < 0),
        "shl": lambda a, n: (a << (n & bits)) & keep_after_shl[n & bits],
        "shr_s": lambda a, n: join([x >> (n & bits) for x in s(a)]),
        "shr_u": lambda a, n: (a >> (n & bits)) & keep_after_shr[n & bits],
        "add": add,
        "sub": sub,
        "mul": _binary(u, int.__mul__, join),
        "add_sat_s": _binary(s, lambda x, y: sat_s(x + y), join),
        "add_sat_u": _binary(u, lambda x, y: sat_u(x + y), join),
        "sub_sat_s": _binary(s, lambda x, y: sat_s(x - y), join),
        "sub_sat_u": _binary(u, lambda x, y: sat_u(x - y), join),
        "min_s": _binary(s, min, join), "min_u": _binary(u, min, join),
        "max_s": _binary(s, max, join), "max_u": _binary(u, max, join),
        "avgr_u": _binary(u, lambda x, y: (x + y + 1) >> 1, join),
        "extract_lane": lambda lane, a: (a >> (lane * width)) & mask,
        "extract_lane_s": lambda lane, a: ((((a >> (lane * width)) & mask) ^ sign) - sign) & 0xFFFFFFFF,
        "extract_lane_u": lambda lane, a: (a >> (lane * width)) & mask,
        "replace_lane": lambda lane, a, x: replace_lane(a, shape.width, lane, x),
    }
    return {f"{prefix}.{name}": fn for name, fn in ops.items()}


def extract_lane(v: int, width: int, lane: int) -> int:
    return (v >> (lane * width)) & ((1 << width) - 1)


def replace_lane(v: int, width: int, lane: int, value: int) -> int:
    shift, mask = lane * width, (1 << width) - 1
    return (v & ~(mask << shift)) | ((value & mask) << shift)


def _narrow(source, target, signed_target):
    sat = _saturate(target.min, target.max) if signed_target else _saturate(0, target.mask)
    return lambda a, b: target.join([sat(x) for x in source.signed(a) + source.signed(b)])


def _halves(shape, split, high):
    """The low or high half of the lanes."""
    start = shape.count // 2 if high else 0
    end = start + shape.count // 2
    return lambda v: split(v)[start:end]


def _extend(source, target, signed, high):
    half = _halves(source, source.signed if signed else source.unsigned, high)
    return lambda a: target.join(half(a))


def _extmul(source, target, signed, high):
    half = _halves(source, source.signed if signed else source.unsigned, high)
    return lambda a, b: target.join([x * y for x, y in zip(half(a), half(b))])


def _extadd_pairwise(source, target, signed):
    split = source.signed if signed else source.unsigned

    def extadd(a):
        lanes = split(a)
        return target.join([x + y for x, y in zip(lanes[0::2], lanes[1::2])])
    return extadd


def _dot_i16x8_s(a, b):
    products = [x * y for x, y in zip(I16.signed(a), I16.signed(b))]
    return I32.join([x + y for x, y in zip(products[0::2], products[1::2])])


_sat16 = _saturate(-0x8000, 0x7FFF)


def _q15mulr_sat_s(a, b):
    return I16.join([_sat16((x * y + 0x4000) >> 15) for x, y in zip(I16.signed(a), I16.signed(b))])


def _swizzle(a, s):
    lanes = a.to_bytes(16, "little")
    return int.from_bytes(bytes(lanes[i] if i < 16 else 0 for i in s.to_bytes(16, "little")), "little")


def _shuffle(indices, a, b):
    lanes = a.to_bytes(16, "little") + b.to_bytes(16, "little")
    return int.from_bytes(bytes(lanes[i] for i in indices), "little")


def _relaxed_dot(a, b):
    products = [x * y for x, y in zip(I8.signed(a), I8.signed(b))]
    return [_sat16(x + y) for x, y in zip(products[0::2], products[1::2])]


def _relaxed_dot_add(a, b, c):
    pairs = _relaxed_dot(a, b)
    return I32.join([x + y + z for x, y, z in zip(pairs[0::2], pairs[1::2], I32.signed(c))])


# -- float lanes -------------------------------------------------------------------------

def _fast_arithmetic(lanes_struct, fn, exact):
    """Lane-wise + - * / on all lanes as Python floats at once.

    Falls back to `exact` (the scalar operation per lane) whenever a lane needs special
    care: a NaN result (whose bits the scalar operation decides), a float32 overflow
    (struct refuses to round to infinity) or a division by zero (Python raises).
    """
    unpack, pack, from_bytes = lanes_struct.unpack, lanes_struct.pack, int.from_bytes

    def apply(a, b):
        try:
            lanes = list(map(fn, unpack(a.to_bytes(16, "little")), unpack(b.to_bytes(16, "little"))))
            for x in lanes:
                if x != x:
                    return exact(a, b)
            return from_bytes(pack(*lanes), "little")
        except (OverflowError, ZeroDivisionError):
            return exact(a, b)
    return apply


def _float_ops(prefix, shape, scalar, fmt):
    u, join = shape.unsigned, shape.join
    sign = fmt.sign
    lt = scalar["lt"]

    def compare(name):
        test = scalar[name]
        return _binary(u, lambda x, y: -test(x, y), join)

    def madd(negate):
        flip = sign if negate else 0
        return _ternary(u, lambda x, y, z: fused_multiply_add(fmt, x ^ flip, y, z), join)

    ops = {
        "splat": lambda x: x * shape.ones,
        "extract_lane": lambda lane, a: (a >> (lane * shape.width)) & shape.mask,
        "replace_lane": lambda lane, a, x: replace_lane(a, shape.width, lane, x),
        # Sign-bit operations on all lanes at once; NaN payloads stay untouched.
        "abs": lambda a: a & shape.low,
        "neg": lambda a: a ^ shape.high,
        # pmin/pmax are defined by a comparison and return an operand's exact bits.
        "pmin": _binary(u, lambda x, y: y if lt(y, x) else x, join),
        "pmax": _binary(u, lambda x, y: y if lt(x, y) else x, join),
        "relaxed_madd": madd(False),
        "relaxed_nmadd": madd(True),
        "relaxed_min": _binary(u, scalar["min"], join),
        "relaxed_max": _binary(u, scalar["max"], join),
    }
    for name in ("eq", "ne", "lt", "gt", "le", "ge"):
        ops[name] = compare(name)
    for name in ("sqrt", "ceil", "floor", "trunc", "nearest"):
        ops[name] = _unary(u, scalar[name], join)
    for name in ("add", "sub", "mul", "div", "min", "max"):
        ops[name] = _binary(u, scalar[name], join)
    lanes_struct = struct.Struct("<4f" if fmt is F32 else "<2d")
    for name, fn in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                     ("div", operator.truediv)):
        ops[name] = _fast_arithmetic(lanes_struct, fn, ops[name])
    return {f"{prefix}.{name}": fn for name, fn in ops.items()}


def _lanes_then_zero(count):
    """Results of the `_zero` conversions: `count` computed lanes, the rest zero."""
    return lambda lanes: I32.join(list(lanes) + [0] * (4 - count))


def _conversions():
    f32_of = {"s": SCALAR["f32.convert_i32_s"], "u": SCALAR["f32.convert_i32_u"]}
    f64_of = {"s": SCALAR["f64.convert_i32_s"], "u": SCALAR["f64.convert_i32_u"]}
    low_two = _lanes_then_zero(2)
    ops = {
        "f32x4.demote_f64x2_zero": lambda a: low_two(map(SCALAR["f32.demote_f64"], I64.unsigned(a))),
        "f64x2.promote_low_f32x4":
            lambda a: I64.join(map(SCALAR["f64.promote_f32"], I32.unsigned(a)[:2])),
    }
    for sign in "su":
        sat32 = SCALAR[f"i32.trunc_sat_f32_{sign}"]
        sat64 = SCALAR[f"i32.trunc_sat_f64_{sign}"]
        ops[f"i32x4.trunc_sat_f32x4_{sign}"] = _unary(I32.unsigned, sat32, I32.join)
        ops[f"i32x4.trunc_sat_f64x2_{sign}_zero"] = lambda a, t=sat64: low_two(map(t, I64.unsigned(a)))
        ops[f"i32x4.relaxed_trunc_f32x4_{sign}"] = ops[f"i32x4.trunc_sat_f32x4_{sign}"]
        ops[f"i32x4.relaxed_trunc_f64x2_{sign}_zero"] = ops[f"i32x4.trunc_sat_f64x2_{sign}_zero"]
        ops[f"f32x4.convert_i32x4_{sign}"] = _unary(I32.unsigned, f32_of[sign], I32.join)
        ops[f"f64x2.convert_low_i32x4_{sign}"] = \
            lambda a, c=f64_of[sign]: I64.join(map(c, I32.unsigned(a)[:2]))
    return ops


def _widening_ops():
    ops = {
        "i8x16.narrow_i16x8_s": _narrow(I16, I8, True),
        "i8x16.narrow_i16x8_u": _narrow(I16, I8, False),
        "i16x8.narrow_i32x4_s": _narrow(I32, I16, True),
        "i16x8.narrow_i32x4_u": _narrow(I32, I16, False),
        "i32x4.dot_i16x8_s": _dot_i16x8_s,
        "i16x8.q15mulr_sat_s": _q15mulr_sat_s,
        "i16x8.relaxed_q15mulr_s": _q15mulr_sat_s,
        "i16x8.relaxed_dot_i8x16_i7x16_s": lambda a, b: I16.join(_relaxed_dot(a, b)),
        "i32x4.relaxed_dot_i8x16_i7x16_add_s": _relaxed_dot_add,
    }
    pairs = (("i16x8", I16, "i8x16", I8), ("i32x4", I32, "i16x8", I16), ("i64x2", I64, "i32x4", I32))
    for wide, target, narrow, source in pairs:
        for sign in "su":
            signed = sign == "s"
            for part in ("low", "high"):
                high = part == "high"
                ops[f"{wide}.extend_{part}_{narrow}_{sign}"] = _extend(source, target, signed, high)
                ops[f"{wide}.extmul_{part}_{narrow}_{sign}"] = _extmul(source, target, signed, high)
            if wide != "i64x2":
                ops[f"{wide}.extadd_pairwise_{narrow}_{sign}"] = _extadd_pairwise(source, target, signed)
    return ops


def _bitwise_ops():
    def bitselect(a, b, c):
        return (a & c) | (b & ~c & V128_MASK)

    return {
        "v128.not": lambda a: a ^ V128_MASK,
        "v128.and": int.__and__,
        "v128.andnot": lambda a, b: a & ~b & V128_MASK,
        "v128.or": int.__or__,
        "v128.xor": int.__xor__,
        "v128.bitselect": bitselect,
        "v128.any_true": lambda a: 1 if a else 0,
        "i8x16.swizzle": _swizzle,
        "i8x16.relaxed_swizzle": _swizzle,
        "i8x16.shuffle": _shuffle,
        # Relaxed laneselect as bitselect (identical when each mask lane is all 0s or all 1s).
        "i8x16.relaxed_laneselect": bitselect,
        "i16x8.relaxed_laneselect": bitselect,
        "i32x4.relaxed_laneselect": bitselect,
        "i64x2.relaxed_laneselect": bitselect,
    }


def _build_ops():
    ops = {}
    for prefix in ("i8x16", "i16x8", "i32x4", "i64x2"):
        ops.update(_integer_ops(prefix, SHAPES[prefix]))
    ops.update(_float_ops("f32x4", I32, f32_ops, F32))
    ops.update(_float_ops("f64x2", I64, f64_ops, F64))
    ops.update(_conversions())
    ops.update(_widening_ops())
    ops.update(_bitwise_ops())
    # The lane-generic builders make some the instruction set lacks (i64x2.min_s, ...).
    return {name: fn for name, fn in ops.items() if name in BY_NAME}


OPS = _build_ops()


# -- memory ------------------------------------------------------------------------------

def _extend_load(source, target, signed):
    code = {8: "b", 16: "h", 32: "i"}[source.width]
    fmt = struct.Struct(f"<{target.count}{code if signed else code.upper()}")
    return lambda raw: target.join(fmt.unpack(raw.to_bytes(8, "little")))


def _splat_load(shape):
    ones = shape.ones
    return lambda raw: raw * ones


LOADS = {
    "v128.load8x8_s": _extend_load(I8, I16, True),
    "v128.load8x8_u": _extend_load(I8, I16, False),
    "v128.load16x4_s": _extend_load(I16, I32, True),
    "v128.load16x4_u": _extend_load(I16, I32, False),
    "v128.load32x2_s": _extend_load(I32, I64, True),
    "v128.load32x2_u": _extend_load(I32, I64, False),
    "v128.load8_splat": _splat_load(I8),
    "v128.load16_splat": _splat_load(I16),
    "v128.load32_splat": _splat_load(I32),
    "v128.load64_splat": _splat_load(I64),
    "v128.load32_zero": lambda raw: raw,
    "v128.load64_zero": lambda raw: raw,
}
# How many bytes each of LOADS reads from memory.
LOAD_BYTES = {
    "v128.load8x8_s": 8, "v128.load8x8_u": 8, "v128.load16x4_s": 8, "v128.load16x4_u": 8,
    "v128.load32x2_s": 8, "v128.load32x2_u": 8, "v128.load8_splat": 1, "v128.load16_splat": 2,
    "v128.load32_splat": 4, "v128.load64_splat": 8, "v128.load32_zero": 4, "v128.load64_zero": 8,
}
LANE_WIDTHS = {f"v128.{kind}{width}_lane": width
               for kind in ("load", "store") for width in (8, 16, 32, 64)}
