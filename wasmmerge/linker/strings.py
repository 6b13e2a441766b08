"""Mergeable string segments (`STRINGS` flag, alignment 1) deduplicated at -O1 and above.

As wasm-ld does: within an output segment, all mergeable input segments with the same
flags become one merged chunk, placed where the first of them was. Each input segment
is cut into NUL-terminated pieces; the distinct pieces are ordered by their reversed
bytes, descending (so a string comes right before its suffixes), and a piece that is a
suffix of the one before shares its bytes (tail merging). An input offset then maps to
its piece's output offset plus the distance into the piece.

Also here, as another of wasm-ld's string-keyed orders: custom sections come out in
the order of the `llvm::StringMap` that groups them by name.
"""

from bisect import bisect_right

from ..errors import LinkError

STRINGS = 0x1


class MergedStrings:
    """Stands in the output segment for the merged input segments (duck-typed as a chunk)."""

    def __init__(self, flags: int):
        self.flags = flags
        self.alignment = 0
        self.name = ".merged_strings"
        self.sources = []  # input DataChunks
        self.pieces = {}  # id(chunk) -> (input starts, output starts)
        self.data = b""
        self.live, self.discarded, self.output, self.out_offset = True, False, None, 0
        self.file = None

    @property
    def size(self) -> int:
        return len(self.data)

    def reloc_span(self) -> tuple:
        """As a chunk's (objects.py): strings carry no relocations."""
        return None, 0, 0

    def add(self, chunk):
        self.sources.append(chunk)
        chunk.merged_into = self

    def finalize(self):
        cut = {}
        for chunk in self.sources:
            raw = chunk.file.data[chunk.start:chunk.end]
            if raw[-1:] != b"\0":
                raise LinkError(f"string segment {chunk.name} is not NUL-terminated", file=chunk.file.name)
            starts, pieces, pos = [], [], 0
            while pos < len(raw):
                end = raw.index(b"\0", pos) + 1
                starts.append(pos)
                pieces.append(bytes(raw[pos:end]))
                pos = end
            cut[id(chunk)] = (starts, pieces)
        distinct = sorted({p for _, pieces in cut.values() for p in pieces}, key=lambda s: s[::-1], reverse=True)
        offset_of, out, previous = {}, bytearray(), b""
        for piece in distinct:
            if previous.endswith(piece):
                offset_of[piece] = len(out) - len(piece)
                continue
            offset_of[piece] = len(out)
            out += piece
            previous = piece
        self.data = bytes(out)
        for chunk in self.sources:
            starts, pieces = cut[id(chunk)]
            self.pieces[id(chunk)] = (starts, [offset_of[p] for p in pieces])

    def map(self, chunk, offset: int) -> int:
        """Output offset (within this merged chunk) of `offset` in input segment `chunk`."""
        starts, outs = self.pieces[id(chunk)]
        k = bisect_right(starts, offset) - 1
        return outs[k] + offset - starts[k]


def mergeable(chunk) -> bool:
    return bool(chunk.flags & STRINGS) and chunk.alignment == 0 and chunk.size > 0


def llvm_string_map_order(names: list[str]) -> list[str]:
    """`names` in the order an llvm::StringMap holding them (inserted in this order)
    iterates: wasm-ld keeps its custom sections in one, so this is its section order.

    LLVM 14: djb hash seeded with 0; 16 buckets, doubled when more than 3/4 full; quadratic probing;
    iteration in bucket order."""
    size = 16
    while len(names) * 4 >= size * 3:
        size *= 2
    buckets = [None] * size
    for name in names:
        h = 0  # StringMap seeds the djb hash with 0
        for byte in name.encode("utf-8"):
            h = (h * 33 + byte) & 0xFFFFFFFF
        slot, probe = h & (size - 1), 1
        while buckets[slot] is not None:
            slot = (slot + probe) & (size - 1)
            probe += 1
        buckets[slot] = name
    return [name for name in buckets if name is not None]
