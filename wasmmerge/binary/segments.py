"""Data segments kept as byte ranges of the buffers they were read from: no object each.

A real module may have ~10^5 data segments (esbuild.wasm: 98,450). As `DataSegment`
objects, each with its bytes and its offset `Expr` copied out of the file, they cost the
merger ~25 MB for a 4 MB data section. `DataSegments` holds one row of integers per
segment instead (which buffer, encoding flags, memory, where its offset expression and
its bytes are in that buffer) and refers to the buffer it was read from, which the
caller holds anyway. The merger reads its inputs this way (`reader.decode_module` with
`views`), builds the output's segments as rows pointing into the inputs (`adopt`), and
writes them straight from the inputs' bytes (`encoded_pieces`).

It is a sequence of `DataSegment`: indexing and iteration make a fresh object for each
access, so changing a segment means storing one (`table[i] = segment`), never
assigning to a field of an object read from it (that object is a copy). Code that
edits segments in place takes `list(table)` first.
"""


from . import leb
from .model import DataSegment, Expr
from .rows import OBJECT, RowTable

# Row layout: ROW integers per segment. CONSTANT: the offset is one `i32.const` or
# `i64.const` (no index in it for a merge to remap: `adopt` need not convert it).
BUFFER, FLAGS, MEMORY, OFFSET_START, OFFSET_END, DATA_START, DATA_SIZE, CONSTANT = range(8)
ROW = 8
PASSIVE = 1  # the FLAGS of a passive segment (as in the binary format)
# Bytes of encoded segments gathered into one piece by `encoded_pieces`.
PIECE = 1 << 20


class DataSegments(RowTable):
    """A sequence of data segments stored as rows over source buffers (see the module doc)."""

    __slots__ = ("_offsets",)
    ROW = ROW
    WHAT = "data segment"

    def __init__(self):
        super().__init__()
        self._offsets: dict[int, Expr] = {}  # rows whose offset expression was replaced

    # -- building ------------------------------------------------------------------------

    def add_row(self, buffer: int, flags: int, memory: int, offset_start: int, offset_end: int,
                data_start: int, data_size: int, constant: bool = False) -> None:
        """A segment read from buffer number `buffer` (see `buffer_index`): its flags as
        read (0, 1 or 2), memory, offset expression `[offset_start, offset_end)` (passive:
        unused; `constant`: one `i32.const`/`i64.const`) and bytes."""
        self._rows.extend((buffer, flags, memory, offset_start, offset_end, data_start, data_size, constant))

    def append(self, segment: DataSegment) -> None:
        self._objects[len(self)] = segment
        self._rows.extend((OBJECT, 0, 0, 0, 0, 0, 0, 0))

    def extend(self, segments) -> None:
        for segment in segments:
            self.append(segment)

    def adopt(self, source: "DataSegments", memories: list[int], convert) -> int:
        """Append every segment of `source` with its memory index mapped through `memories`
        and its offset expression through `convert(expr) -> Expr` (active segments only);
        the rows still refer to `source`'s buffers. Returns the index of the first one."""
        first = len(self)
        rows, own = source._rows, self._rows
        buffers = [self.buffer_index(b) for b in source._buffers]
        for n in range(len(source)):
            at = n * ROW
            if rows[at] == OBJECT:
                seg = source._objects[n]
                self.append(DataSegment(seg.mode, seg.data, memories[seg.memory] if seg.mode == "active" else 0,
                                        convert(seg.offset), seg.flags))
                continue
            flags, memory = rows[at + FLAGS], rows[at + MEMORY]
            if flags != PASSIVE:
                memory = memories[memory]
                if not rows[at + CONSTANT]:
                    old = source.offset(n)
                    new = convert(old)
                    if new.code != old.code:
                        self._offsets[len(self)] = new
            own.extend((buffers[rows[at]], flags, memory, rows[at + OFFSET_START], rows[at + OFFSET_END],
                        rows[at + DATA_START], rows[at + DATA_SIZE], rows[at + CONSTANT]))
        return first

    def make_passive(self, index: int) -> None:
        """Segment `index` becomes passive (written with the passive encoding)."""
        if self._rows[index * ROW] == OBJECT:
            seg = self._objects[index]
            seg.mode, seg.offset, seg.memory, seg.flags = "passive", None, 0, None
            return
        self._rows[index * ROW + FLAGS] = PASSIVE
        self._rows[index * ROW + MEMORY] = 0
        self._offsets.pop(index, None)

    # -- reading one field without making the segment -------------------------------------

    def has_passive(self) -> bool:
        """Whether any segment is passive, without making one each."""
        if PASSIVE in self._rows[FLAGS::ROW]:  # rows held as objects have FLAGS 0
            return True
        return any(seg.mode == "passive" for seg in self._objects.values())

    def is_active(self, index: int) -> bool:
        if self._rows[index * ROW] == OBJECT:
            return self._objects[index].mode == "active"
        return self._rows[index * ROW + FLAGS] != PASSIVE

    def memory(self, index: int) -> int:
        if self._rows[index * ROW] == OBJECT:
            return self._objects[index].memory
        return self._rows[index * ROW + MEMORY]

    def size(self, index: int) -> int:
        """How many bytes the segment holds."""
        if self._rows[index * ROW] == OBJECT:
            return len(self._objects[index].data)
        return self._rows[index * ROW + DATA_SIZE]

    def offset(self, index: int) -> Expr | None:
        """The offset expression (None for a passive segment)."""
        at = index * ROW
        rows = self._rows
        if rows[at] == OBJECT:
            return self._objects[index].offset
        if rows[at + FLAGS] == PASSIVE:
            return None
        replaced = self._offsets.get(index)
        if replaced is not None:
            return replaced
        start = rows[at + OFFSET_START]
        return Expr(bytes(self._buffers[rows[at]][start:rows[at + OFFSET_END]]), start)

    def memories(self, first: int, stop: int) -> set[int]:
        """The memories segments `first..stop` may write to: those of the active ones,
        and perhaps 0 (read from a column, without looking at each segment)."""
        out = set(self._rows[first * ROW + MEMORY:stop * ROW:ROW])
        out.update(seg.memory for index, seg in self._objects.items() if first <= index < stop)
        return out

    def active(self, first: int, stop: int):
        """`(index, memory, offset Expr, size)` of each active segment in `first..stop`."""
        rows, offsets, buffers = self._rows, self._offsets, self._buffers
        for index in range(first, stop):
            at = index * ROW
            if rows[at] == OBJECT:
                seg = self._objects[index]
                if seg.mode == "active":
                    yield index, seg.memory, seg.offset, len(seg.data)
            elif rows[at + FLAGS] != PASSIVE:
                offset = offsets.get(index)
                if offset is None:
                    start = rows[at + OFFSET_START]
                    offset = Expr(buffers[rows[at]][start:rows[at + OFFSET_END]], start)
                yield index, rows[at + MEMORY], offset, rows[at + DATA_SIZE]

    # -- the sequence ------------------------------------------------------------------------

    def _made(self, at: int, index: int):
        rows = self._rows
        flags, start = rows[at + FLAGS], rows[at + DATA_START]
        data = bytes(self._buffers[rows[at]][start:start + rows[at + DATA_SIZE]])
        if flags == PASSIVE:
            return DataSegment("passive", data, flags=flags)
        return DataSegment("active", data, rows[at + MEMORY], self.offset(index), flags)

    def __setitem__(self, index: int, segment: DataSegment) -> None:
        index = self._stored(index, segment)
        self._offsets.pop(index, None)
        self._rows[index * ROW + FLAGS] = 0

    def __repr__(self) -> str:
        return f"DataSegments({len(self)} segments)"

    # -- writing -------------------------------------------------------------------------------

    def _head(self, index: int) -> bytes:
        """The encoding of segment `index` up to its bytes (as the writer's `_data_head`)."""
        at = index * ROW
        rows = self._rows
        flags, size = rows[at + FLAGS], rows[at + DATA_SIZE]
        if flags == PASSIVE:
            return b"\x01" + leb.write_unsigned(size)
        memory = rows[at + MEMORY]
        head = b"\x02" + leb.write_unsigned(memory) if memory != 0 or flags == 2 else b"\x00"
        replaced = self._offsets.get(index)
        if replaced is not None:
            code = replaced.code
        else:
            code = self._buffers[rows[at]][rows[at + OFFSET_START]:rows[at + OFFSET_END]]
        return head + code + leb.write_unsigned(size)

    def encoded_size(self, head_of_object) -> int:
        """Bytes of every segment's encoding (`head_of_object(segment)`: the writer's head
        for a segment held as an object), counted without encoding the heads."""
        total = 0
        rows, offsets = self._rows, self._offsets
        for index in range(len(self)):
            at = index * ROW
            if rows[at] == OBJECT:
                seg = self._objects[index]
                total += len(head_of_object(seg)) + len(seg.data)
                continue
            flags, size = rows[at + FLAGS], rows[at + DATA_SIZE]
            total += 1 + _leb_size(size) + size
            if flags != PASSIVE:
                memory = rows[at + MEMORY]
                if memory != 0 or flags == 2:
                    total += _leb_size(memory)
                replaced = offsets.get(index)
                total += len(replaced.code) if replaced is not None else rows[at + OFFSET_END] - rows[at + OFFSET_START]
        return total

    def encoded_pieces(self, head_of_object):
        """The segments' encodings, gathered into pieces of about `PIECE` bytes."""
        block = bytearray()
        rows = self._rows
        for index in range(len(self)):
            at = index * ROW
            if rows[at] == OBJECT:
                seg = self._objects[index]
                block += head_of_object(seg)
                block += seg.data
            else:
                block += self._head(index)
                start = rows[at + DATA_START]
                block += memoryview(self._buffers[rows[at]])[start:start + rows[at + DATA_SIZE]]
            if len(block) >= PIECE:
                yield bytes(block)
                block.clear()
        if block:
            yield bytes(block)


def _leb_size(value: int) -> int:
    """Bytes of `value` in (minimal) unsigned LEB128."""
    return (value.bit_length() + 6) // 7 or 1
