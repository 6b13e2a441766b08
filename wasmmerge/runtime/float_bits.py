"""IEEE-754 bit patterns <-> Python floats, and exact rounding of integers to floats.

Values travel as bit patterns (ints); Python floats are only a calculator. A float32 bit
pattern widens to a double exactly unless it is a NaN (CPython quiets signalling NaNs
on the way), so every operation that can produce a NaN decides the NaN's bits itself.
"""

import struct

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
F32_SIGN = 0x80000000
F64_SIGN = 0x8000000000000000
F32_INF = 0x7F800000
F64_INF = 0x7FF0000000000000
# The canonical NaNs: quiet bit only. Canonical is also arithmetic, so returning it is
# always allowed where the spec lets an operation produce a NaN.
F32_NAN = 0x7FC00000
F64_NAN = 0x7FF8000000000000

_U32 = struct.Struct("<I")
_F32 = struct.Struct("<f")
_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")
pack_u32, unpack_u32 = _U32.pack, _U32.unpack
pack_f32, unpack_f32 = _F32.pack, _F32.unpack
pack_u64, unpack_u64 = _U64.pack, _U64.unpack
pack_f64, unpack_f64 = _F64.pack, _F64.unpack


def f32_value(bits: int) -> float:
    """The float32 as a double: exact for every non-NaN."""
    return unpack_f32(pack_u32(bits))[0]


def f32_bits(x: float) -> int:
    """Round a double to float32 (ties to even); a NaN becomes the canonical NaN."""
    if x != x:
        return F32_NAN
    try:
        return unpack_u32(pack_f32(x))[0]
    except OverflowError:  # CPython refuses to round a finite double to infinity
        return 0xFF800000 if x < 0 else F32_INF


def f64_value(bits: int) -> float:
    return unpack_f64(pack_u64(bits))[0]


def f64_bits(x: float) -> int:
    """The double's bits; a NaN becomes the canonical NaN."""
    if x != x:
        return F64_NAN
    return unpack_u64(pack_f64(x))[0]


class Format:
    """An IEEE binary interchange format, for exact rounding with integers."""

    def __init__(self, mant_bits: int, exp_bits: int):
        self.mant_bits = mant_bits
        self.bias = (1 << (exp_bits - 1)) - 1
        self.emin = 1 - self.bias  # exponent of the smallest normal
        self.max_biased = (1 << exp_bits) - 1
        self.sign = 1 << (mant_bits + exp_bits)
        self.inf = self.max_biased << mant_bits
        self.nan = self.inf | (1 << (mant_bits - 1))
        self.mant_mask = (1 << mant_bits) - 1

    def is_nan(self, bits: int) -> bool:
        return (bits & ~self.sign) > self.inf

    def is_finite(self, bits: int) -> bool:
        return (bits & ~self.sign) < self.inf

    def decompose(self, bits: int) -> tuple[int, int, int]:
        """A finite value as (sign, integer mantissa, exponent): value = ±m * 2**e."""
        biased = (bits >> self.mant_bits) & self.max_biased
        mant = bits & self.mant_mask
        if biased == 0:
            return bits & self.sign, mant, self.emin - self.mant_bits
        return bits & self.sign, mant | (1 << self.mant_bits), biased - self.bias - self.mant_bits

    def round(self, negative: bool, mant: int, exp: int) -> int:
        """The bits of ±mant * 2**exp (mant > 0), rounded once, ties to even."""
        mb = self.mant_bits
        top = mant.bit_length() - 1 + exp
        lsb = (top if top > self.emin else self.emin) - mb
        shift = lsb - exp
        if shift > 0:
            q = mant >> shift
            rest = mant & ((1 << shift) - 1)
            half = 1 << (shift - 1)
            if rest > half or (rest == half and q & 1):
                q += 1
            if q >> (mb + 1):  # rounded up to the next power of two
                q >>= 1
                lsb += 1
        else:
            q = mant << -shift
        sign = self.sign if negative else 0
        if q >> mb:
            biased = lsb + mb + self.bias
            if biased >= self.max_biased:
                return sign | self.inf
            return sign | (biased << mb) | (q & self.mant_mask)
        return sign | q  # subnormal (or rounded to zero)


F32 = Format(23, 8)
F64 = Format(52, 11)


def int_to_f32(n: int) -> int:
    """A (signed) integer rounded to float32 without double rounding."""
    if -(1 << 53) <= n <= (1 << 53):
        return unpack_u32(pack_f32(float(n)))[0]  # exact double, rounded once
    return F32.round(n < 0, -n if n < 0 else n, 0)


def int_to_f64(n: int) -> int:
    # CPython converts an int to the correctly rounded (ties-to-even) double.
    return unpack_u64(pack_f64(float(n)))[0]


def fused_multiply_add(fmt: Format, a: int, b: int, c: int) -> int:
    """a * b + c with a single rounding (IEEE fusedMultiplyAdd), on bit patterns."""
    if fmt.is_nan(a) or fmt.is_nan(b) or fmt.is_nan(c):
        return fmt.nan
    a_finite, b_finite, c_finite = fmt.is_finite(a), fmt.is_finite(b), fmt.is_finite(c)
    a_zero, b_zero = not (a & ~fmt.sign), not (b & ~fmt.sign)
    product_sign = (a ^ b) & fmt.sign
    if not (a_finite and b_finite):
        if a_zero or b_zero:  # inf * 0
            return fmt.nan
        if not c_finite and (c & fmt.sign) != product_sign:  # inf - inf
            return fmt.nan
        return product_sign | fmt.inf
    if not c_finite:
        return c
    sa, ma, ea = fmt.decompose(a)
    sb, mb, eb = fmt.decompose(b)
    sc, mc, ec = fmt.decompose(c)
    p = ma * mb
    ep = ea + eb
    if product_sign:
        p = -p
    if sc:
        mc = -mc
    exp = min(ep, ec)
    total = (p << (ep - exp)) + (mc << (ec - exp))
    if total == 0:
        # An exact zero sum is +0 unless both addends are -0 (or a -0 product plus -0).
        if (a_zero or b_zero) and not (c & ~fmt.sign):
            return product_sign & sc
        return 0
    return fmt.round(total < 0, abs(total), exp)
