"""LEB128 as the binary format uses it: width limits per integer type, exact errors.

Hand-written because it sits on every hot path; the `leb128` package is used in tests
as an independent oracle.
"""

from ..errors import DecodeError


def _end(pos: int) -> DecodeError:
    return DecodeError("unexpected end", pos)


def read_unsigned(data, pos: int, bits: int) -> tuple[int, int]:
    """Read an unsigned LEB128 of at most ceil(bits/7) bytes."""
    try:
        byte = data[pos]
    except IndexError:
        raise _end(pos) from None
    if byte < 0x80:
        return byte, pos + 1
    start = pos
    result = byte & 0x7F
    shift = 7
    max_bytes = (bits + 6) // 7
    while True:
        pos += 1
        try:
            byte = data[pos]
        except IndexError:
            raise _end(pos) from None
        if shift // 7 + 1 == max_bytes:
            if byte & 0x80:
                raise DecodeError("integer representation too long", start)
            if byte >> (bits - shift):
                raise DecodeError("integer too large", start)
            return result | (byte << shift), pos + 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos + 1
        shift += 7


def read_signed(data, pos: int, bits: int) -> tuple[int, int]:
    """Read a signed LEB128 of at most ceil(bits/7) bytes."""
    start = pos
    result = 0
    shift = 0
    max_bytes = (bits + 6) // 7
    while True:
        try:
            byte = data[pos]
        except IndexError:
            raise _end(pos) from None
        pos += 1
        if shift // 7 + 1 == max_bytes:
            if byte & 0x80:
                raise DecodeError("integer representation too long", start)
            # The unused high bits of the last byte must all equal the sign bit.
            used = bits - shift
            rest = byte >> (used - 1) & 0x7F
            if rest != 0 and rest != (0x7F >> (used - 1)):
                raise DecodeError("integer too large", start)
            result |= (byte & 0x7F) << shift
            shift += 7
            break
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    if result >> (shift - 1) & 1:
        result -= 1 << shift
    return result, pos


def read_u32(data, pos: int) -> tuple[int, int]:
    try:
        byte = data[pos]
    except IndexError:
        raise _end(pos) from None
    if byte < 0x80:
        return byte, pos + 1
    return read_unsigned(data, pos, 32)


def read_u64(data, pos: int) -> tuple[int, int]:
    return read_unsigned(data, pos, 64)


def read_s32(data, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 32)


def read_s33(data, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 33)


def read_s64(data, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 64)


def write_unsigned(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def write_signed(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def write_unsigned_width(value: int, width: int) -> bytes:
    """Unsigned LEB128 padded to `width` bytes, or minimal where it needs more."""
    if unsigned_size(value) > width:
        return write_unsigned(value)
    out = bytearray()
    for _ in range(width - 1):
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def write_signed_width(value: int, width: int) -> bytes:
    """Signed LEB128 padded to `width` bytes, or minimal where it needs more."""
    minimal = write_signed(value)
    if len(minimal) >= width:
        return minimal
    pad = 0x7F if value < 0 else 0x00  # continuation bytes that only repeat the sign
    return bytes(b | 0x80 for b in minimal) + bytes((pad | 0x80,)) * (width - len(minimal) - 1) + bytes((pad,))


def unsigned_size(value: int) -> int:
    return max(1, (value.bit_length() + 6) // 7)
