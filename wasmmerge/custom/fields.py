"""Hand-written readers and writers for the fields custom sections are made of: LEB128
counts, names, vectors. For the sections read on every link and merge of toolchain output
(`linking`, `producers`, `target_features`), where importing and running `construct`
would be a fixed cost of every command. Each reader returns `(value, next position)` and
raises `DecodeError`s worded and placed as `declarative.py`'s constructs place them (the
caller adds the section's name and the payload's file offset)."""

from ..binary import leb
from ..errors import DecodeError


def u32_at(data, pos: int) -> tuple[int, int]:
    try:
        return leb.read_u32(data, pos)
    except DecodeError as err:
        # A malformed integer is reported where it starts, a truncated one where it ends.
        raise DecodeError(err.message, err.offset if err.message == "unexpected end" else pos) from None


def name_at(data, pos: int) -> tuple[str, int]:
    """A `name`: LEB128 byte length, then UTF-8."""
    length, pos = u32_at(data, pos)
    if length > len(data) - pos:
        raise DecodeError("unexpected end", pos)
    try:
        return str(data[pos:pos + length], "utf-8"), pos + length
    except UnicodeDecodeError:
        raise DecodeError("malformed UTF-8 encoding", pos) from None


def vec_at(data, pos: int, read_item) -> tuple[list, int]:
    """A vector: a LEB128 count, then `read_item(data, pos) -> (item, pos)` that many times
    (the count is not trusted for allocation: each item takes at least a byte)."""
    count, pos = u32_at(data, pos)
    items = []
    for _ in range(count):
        item, pos = read_item(data, pos)
        items.append(item)
    return items, pos


def whole(read, data, section: str, base: int = 0):
    """`read(data, 0)` over all of `data`: errors name `section` and the file offset
    (`base`: the payload's), and bytes after the value are an error."""
    try:
        value, pos = read(data, 0)
    except DecodeError as err:
        raise DecodeError(f"malformed {section}: {err.message}", base + err.offset) from None
    if pos != len(data):
        raise DecodeError(f"malformed {section}: {len(data) - pos} unexpected bytes at the end", base + pos)
    return value


def name_bytes(text: str) -> bytes:
    raw = text.encode("utf-8")
    return leb.write_unsigned(len(raw)) + raw


def vec_bytes(items: list[bytes]) -> bytes:
    return leb.write_unsigned(len(items)) + b"".join(items)
