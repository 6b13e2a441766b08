"""Run-time values: how each WebAssembly value is held in Python.

i32/i64 are ints holding the unsigned bit pattern, f32/f64 ints holding the IEEE-754
bits, v128 an int below 2**128 (lane 0 in the low bits). A reference is `None` (null),
a `FuncInstance` (funcref) or a `HostRef` (an externref made by the embedder).
"""

import struct

from ..binary.types import F32, F64, I32, I64, V128, NumType, RefType

MASKS = {I32: 0xFFFF_FFFF, I64: 0xFFFF_FFFF_FFFF_FFFF, F32: 0xFFFF_FFFF, F64: 0xFFFF_FFFF_FFFF_FFFF,
         V128: (1 << 128) - 1}


class HostRef:
    """An external reference the embedder passed in; equal when its payloads are."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, HostRef) and self.value == other.value

    def __hash__(self):
        return hash(("HostRef", self.value))

    def __repr__(self):
        return f"HostRef({self.value!r})"


def default_value(t):
    """The zero of a value type: what locals, table slots and new globals start as."""
    if isinstance(t, NumType):
        return 0
    return None


def to_signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_f32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def bits_f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def from_python(t, value):
    """A Python value (int, float, ref) as the run-time value of type `t`."""
    if isinstance(t, RefType):
        return value
    if t is F32 and isinstance(value, float):
        return f32_bits(value)
    if t is F64 and isinstance(value, float):
        return f64_bits(value)
    if not isinstance(value, int):
        raise TypeError(f"expected an integer for {t}, got {value!r}")
    return value & MASKS[t]


def to_python(t, value):
    """A run-time value as Python: signed ints, floats, v128 int, references unchanged."""
    if t is I32:
        return to_signed(value, 32)
    if t is I64:
        return to_signed(value, 64)
    if t is F32:
        return bits_f32(value)
    if t is F64:
        return bits_f64(value)
    return value
