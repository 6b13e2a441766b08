"""LEB128: our hand-written hot-path reader/writer against the `leb128` package."""

import leb128
import pytest
from hypothesis import given, strategies as st

from wasmmerge import DecodeError
from wasmmerge.binary import leb


@given(st.integers(0, 2**32 - 1))
def test_u32_round_trip(value):
    raw = leb.write_unsigned(value)
    assert raw == bytes(leb128.u.encode(value))
    assert leb.read_u32(raw + b"\xff", 0) == (value, len(raw))


@given(st.integers(-2**63, 2**63 - 1))
def test_s64_round_trip(value):
    raw = leb.write_signed(value)
    assert raw == bytes(leb128.i.encode(value))
    assert leb.read_s64(raw, 0) == (value, len(raw))


@given(st.integers(-2**31, 2**31 - 1))
def test_s32_round_trip(value):
    raw = leb.write_signed(value)
    assert leb.read_s32(raw, 0) == (value, len(raw))


@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_width_preserving_write(value, width):
    raw = leb.write_unsigned_width(value, width)
    assert len(raw) == max(width, leb.unsigned_size(value))
    assert leb.read_u32(raw, 0) == (value, len(raw))


@pytest.mark.parametrize("raw,reader,message", [
    (b"\x80\x80\x80\x80\x80\x00", leb.read_u32, "integer representation too long"),
    (b"\xff\xff\xff\xff\x1f", leb.read_u32, "integer too large"),
    (b"\xff\xff\xff\xff\x4f", leb.read_s32, "integer too large"),
    (b"\x80\x80\x80\x80\x70", leb.read_s32, "integer too large"),
    (b"\x80", leb.read_u32, "unexpected end"),
    (b"", leb.read_s64, "unexpected end"),
    (b"\xff" * 9 + b"\x01", leb.read_s64, "integer too large"),
])
def test_malformed(raw, reader, message):
    with pytest.raises(DecodeError, match=message):
        reader(raw, 0)


def test_negative_edge_values():
    assert leb.read_s32(b"\xff\xff\xff\xff\x7f", 0) == (-1, 5)
    assert leb.read_s32(b"\x80\x80\x80\x80\x78", 0) == (-2**31, 5)
    assert leb.read_s64(b"\xff" * 9 + b"\x7f", 0) == (-1, 10)
