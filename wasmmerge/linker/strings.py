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
from itertools import accumulate

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
        # The pieces are worked on without their NUL (all have one): split, reversed and
        # compared at C level (a debug build's .debug_str has tens of thousands).
        cut = {}
        for chunk in self.sources:
            raw = bytes(chunk.file.data[chunk.start:chunk.end])
            if raw[-1:] != b"\0":
                raise LinkError(f"string segment {chunk.name} is not NUL-terminated", file=chunk.file.name)
            if raw.find(b"\0") == len(raw) - 1:  # one string (a literal's own segment: most of them)
                cut[id(chunk)] = ([0], [raw[:-1]])
                continue
            pieces = raw[:-1].split(b"\0")
            starts = list(accumulate(map((1).__add__, map(len, pieces[:-1])), initial=0))
            cut[id(chunk)] = (starts, pieces)
        # Descending by reversed bytes: a string right before its suffixes. (Each distinct
        # piece reversed once: a debug build's .debug_str repeats most of its strings.)
        unique = set()
        for _, pieces in cut.values():
            unique.update(pieces)
        distinct = sorted([piece[::-1] for piece in unique], reverse=True)
        offset_of, out, previous = {}, bytearray(), None
        for reversed_piece in distinct:
            piece = reversed_piece[::-1]
            if previous is not None and previous.startswith(reversed_piece):  # a suffix of the one before
                offset_of[piece] = len(out) - len(piece) - 1
                continue
            offset_of[piece] = len(out)
            out += piece
            out.append(0)
            previous = reversed_piece
        self.data = bytes(out)
        for chunk in self.sources:
            starts, pieces = cut[id(chunk)]
            self.pieces[id(chunk)] = (starts, list(map(offset_of.__getitem__, pieces)))

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

    LLVM 14: djb hash seeded with 0; 16 buckets at the first insertion, doubled once an
    insertion leaves more than 3/4 of them full (the 13th name: 12 still fit in 16);
    quadratic probing; iteration in bucket order. Growing re-inserts the entries in the
    old table's bucket order, not in the order they came, so the table is grown as LLVM
    grows it rather than made at its final size."""
    size = 16
    buckets = [None] * size  # (hash, name)
    for count, name in enumerate(names, 1):
        h = 0  # StringMap seeds the djb hash with 0
        for byte in name.encode("utf-8"):
            h = (h * 33 + byte) & 0xFFFFFFFF
        _place(buckets, h, name)
        if count * 4 > size * 3:  # StringMapImpl::RehashTable
            size *= 2
            old, buckets = buckets, [None] * size
            for entry in old:
                if entry is not None:
                    _place(buckets, *entry)
    return [entry[1] for entry in buckets if entry is not None]


def _place(buckets: list, h: int, name: str) -> None:
    mask = len(buckets) - 1
    slot, probe = h & mask, 1
    while buckets[slot] is not None:
        slot = (slot + probe) & mask
        probe += 1
    buckets[slot] = (h, name)
