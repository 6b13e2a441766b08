"""LEB128: our hand-written hot-path reader/writer against the `leb128` package.

`leb128` (a test-only dependency) is the independent oracle: for random values our
encoders must produce its bytes and our decoders must read its bytes; for random byte
strings our readers must agree with it wherever the spec's width limits allow the value,
and fail with the spec's message exactly where they do not.
"""

import io

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


BITS_READERS = [(32, False, leb.read_u32), (64, False, leb.read_u64),
                (32, True, leb.read_s32), (33, True, leb.read_s33), (64, True, leb.read_s64)]


@given(st.integers(0, 2**64 - 1))
def test_unsigned_decodes_the_oracles_bytes(value):
    raw = bytes(leb128.u.encode(value))
    assert leb.read_u64(raw + b"\x80", 0) == (value, len(raw))
    if value < 2**32:
        assert leb.read_u32(raw, 0) == (value, len(raw))


@given(st.integers(-2**63, 2**63 - 1))
def test_signed_decodes_the_oracles_bytes(value):
    raw = bytes(leb128.i.encode(value))
    assert leb.read_s64(raw + b"\x80", 0) == (value, len(raw))
    if -2**32 <= value < 2**32:
        assert leb.read_s33(raw, 0) == (value, len(raw))
    if -2**31 <= value < 2**31:
        assert leb.read_s32(raw, 0) == (value, len(raw))


@given(st.integers(-2**63, 2**63 - 1), st.integers(1, 10))
def test_width_preserving_signed_write_reads_back_through_the_oracle(value, width):
    raw = leb.write_signed_width(value, width)
    assert len(raw) == max(width, len(leb.write_signed(value)))
    assert leb128.i.decode_reader(io.BytesIO(raw)) == (value, len(raw))
    assert leb.read_s64(raw, 0) == (value, len(raw))


@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_width_preserving_unsigned_write_reads_back_through_the_oracle(value, width):
    raw = leb.write_unsigned_width(value, width)
    assert leb128.u.decode_reader(io.BytesIO(raw)) == (value, len(raw))


@st.composite
def leb_bytes(draw):
    """A terminated LEB128 byte string of 1 to 12 bytes, padding and junk high bits included."""
    body = draw(st.lists(st.integers(0, 0x7F), min_size=1, max_size=12))
    return bytes(b | 0x80 for b in body[:-1]) + bytes((body[-1],))


@pytest.mark.parametrize("bits,signed,reader", BITS_READERS, ids=lambda p: getattr(p, "__name__", str(p)))
@given(raw=leb_bytes())
def test_readers_agree_with_the_oracle_or_fail_as_the_spec_says(bits, signed, reader, raw):
    oracle = leb128.i if signed else leb128.u
    value, size = oracle.decode_reader(io.BytesIO(raw))
    assert size == len(raw)
    low, high = (-2**(bits - 1), 2**(bits - 1)) if signed else (0, 2**bits)
    if len(raw) > (bits + 6) // 7:
        with pytest.raises(DecodeError, match="integer representation too long"):
            reader(raw, 0)
    elif not low <= value < high:
        with pytest.raises(DecodeError, match="integer too large"):
            reader(raw, 0)
    else:
        assert reader(raw, 0) == (value, len(raw))
