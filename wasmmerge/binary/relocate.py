"""Relocation sites: read and overwrite the fixed-width field a relocation patches.

A relocation site is a LEB128 padded to a fixed width (5 bytes for 32-bit types, 10 for
64-bit ones, unsigned or signed) or a 4- or 8-byte little-endian integer. Overwriting a
site in place never moves a byte, which is what lets code and data be rebased without
decoding an instruction. Shared by everything that applies relocations (the merger's
`--single-memory`; the linker can use it too) and kept here, below `custom/`, `merger/`
and `linker/`, so none of them imports another's internals.

A site's field is named by its relocation type's name (tool-conventions Linking.md): the
suffix says the encoding, so this works with any row layout of the relocation table.
"""

from ..errors import DecodeError

# (encoding, width in bytes) by the suffix of a relocation type's name.
_SUFFIXES = (("_SLEB64", ("sleb", 10)), ("_LEB64", ("uleb", 10)), ("_I64", ("i64", 8)),
             ("_SLEB", ("sleb", 5)), ("_LEB", ("uleb", 5)), ("_I32", ("i32", 4)))


def site_field(type_name: str) -> tuple[str, int]:
    """(encoding, width) of the field a relocation type patches: uleb, sleb, i32 or i64."""
    for suffix, field in _SUFFIXES:
        if type_name.endswith(suffix):
            return field
    raise ValueError(f"no field encoding known for relocation type {type_name}")


def read_site(data, pos: int, encoding: str, width: int) -> int:
    """The value stored at a site (DecodeError if it runs past the end)."""
    if pos < 0 or pos + width > len(data):
        raise DecodeError("relocation site out of bounds", pos)
    if encoding in ("i32", "i64"):
        value = int.from_bytes(data[pos:pos + width], "little")
        return value - (1 << (8 * width)) if value >> (8 * width - 1) else value
    value = 0
    for k in range(width):
        value |= (data[pos + k] & 0x7F) << (7 * k)
    bits = 7 * width
    if encoding == "sleb" and value >> (bits - 1):
        value -= 1 << bits
    return value


def write_site(buf: bytearray, pos: int, encoding: str, width: int, value: int) -> None:
    """Overwrite a site with `value`, wrapping as the field does (32 or 64 bits)."""
    if encoding in ("i32", "i64"):
        buf[pos:pos + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
        return
    value &= (1 << (32 if width == 5 else 64)) - 1
    if encoding == "sleb" and value >> (31 if width == 5 else 63):
        value -= 1 << (32 if width == 5 else 64)  # back to signed, then to 7*width bits
    value &= (1 << (7 * width)) - 1
    for k in range(width - 1):
        buf[pos + k] = (value & 0x7F) | 0x80
        value >>= 7
    buf[pos + width - 1] = value & 0x7F


def fits(encoding: str, width: int, value: int) -> bool:
    """Whether `value` is an address the field can hold without wrapping."""
    bits = 32 if width in (4, 5) else 64
    if encoding == "sleb":
        return -(1 << (bits - 1)) <= value < (1 << (bits - 1))
    return 0 <= value < (1 << bits)
