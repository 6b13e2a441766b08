"""Reading and patching the integers DWARF is made of, over one section's bytes.

DWARF's LEB128s have no width limit (unlike the wasm binary format's), its fixed-size
integers are little-endian here, and every offset into another section is 4 or 8 bytes
depending on the unit's format (32- or 64-bit DWARF). A `Cursor` raises `DwarfError`
naming its section and the offset where the bytes ran out.
"""

from .errors import DwarfError


class Cursor:
    __slots__ = ("data", "pos", "end", "section")

    def __init__(self, data, section: str, pos: int = 0, end: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.section = section

    def error(self, message: str, pos: int | None = None) -> DwarfError:
        return DwarfError(message, self.pos if pos is None else pos, section=self.section)

    def need(self, size: int) -> int:
        pos = self.pos
        if pos + size > self.end:
            raise self.error("unexpected end of data", pos)
        self.pos = pos + size
        return pos

    def u8(self) -> int:
        return self.data[self.need(1)]

    def uint(self, size: int) -> int:
        pos = self.need(size)
        return int.from_bytes(self.data[pos:pos + size], "little")

    def sint(self, size: int) -> int:
        pos = self.need(size)
        return int.from_bytes(self.data[pos:pos + size], "little", signed=True)

    def uleb(self) -> int:
        data, pos, end = self.data, self.pos, self.end
        result = shift = 0
        while True:
            if pos >= end:
                raise self.error("unexpected end of data in a LEB128", self.pos)
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.pos = pos
                return result
            shift += 7

    def sleb(self) -> int:
        data, pos, end = self.data, self.pos, self.end
        result = shift = 0
        while True:
            if pos >= end:
                raise self.error("unexpected end of data in a LEB128", self.pos)
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                if byte & 0x40:
                    result -= 1 << shift
                self.pos = pos
                return result

    def skip_uleb(self) -> None:
        data, pos, end = self.data, self.pos, self.end
        while pos < end and data[pos] & 0x80:
            pos += 1
        if pos >= end:
            raise self.error("unexpected end of data in a LEB128", self.pos)
        self.pos = pos + 1

    def cstring_end(self) -> None:
        """Skip a NUL-terminated string."""
        nul = self.data.find(b"\0", self.pos, self.end)
        if nul < 0:
            raise self.error("unterminated string")
        self.pos = nul + 1

    def initial_length(self) -> tuple[int, int]:
        """A unit's length field -> (offset size 4 or 8, end of the unit)."""
        length = self.uint(4)
        if length == 0xFFFFFFFF:
            length = self.uint(8)
            size = 8
        elif length >= 0xFFFFFFF0:
            raise self.error(f"reserved unit length {length:#x}", self.pos - 4)
        else:
            size = 4
        end = self.pos + length
        if end > self.end:
            raise self.error("unit runs past the end of the section", self.pos - size)
        return size, end


def put_uint(data: bytearray, pos: int, size: int, value: int) -> None:
    data[pos:pos + size] = value.to_bytes(size, "little")


def put_unit_length(header: bytearray, offset_size: int, size: int, start: int, section: str) -> None:
    """Write the length field of a unit rewritten to `size` bytes in all (its header is
    `header`, which starts at `start` in `section`): after the 0xFFFFFFFF escape in 64-bit
    DWARF; an error where a 32-bit unit grew past what its length field can hold."""
    length = size - (4 if offset_size == 4 else 12)
    if offset_size == 4:
        if length >= 0xFFFFFFF0:
            raise DwarfError("a unit grew past what 32-bit DWARF holds", start, section=section)
        put_uint(header, 0, 4, length)
    else:
        put_uint(header, 4, 8, length)
