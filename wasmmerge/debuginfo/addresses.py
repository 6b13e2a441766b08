"""Where each input's code went: the one address-mapping function the DWARF and source
map rewriters call.

wasm DWARF addresses are offsets from the start of the code section's payload. The
merger keeps offsets inside a function stable, so most functions move by one delta (new
body start minus old). Where it had to grow an instruction (an index that no longer fits
its LEB width, a memory access that gains a memory index), the function carries `shifts`:
for each old offset at which a growth ends, the total growth so far, so an address maps
by one binary search. Code the merge dropped (a fused import's stub, a replaced body) is
simply not added; its addresses map to None, which the callers write as a tombstone.
"""

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass
class FunctionMove:
    old_start: int  # body start (its local declarations), in the input's code payload offsets
    old_end: int  # one past its last byte
    new_start: int
    # (old offset, total growth for addresses at or after it), increasing offsets.
    shifts: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self):
        # The same as two flat lists, for a bisect on plain integers.
        self.shift_offsets = [offset for offset, _ in self.shifts]
        self.shift_totals = [total for _, total in self.shifts]

    @staticmethod
    def from_patches(old_start: int, old_end: int, new_start: int, body_start: int, patches,
                     locals_growth: int = 0) -> "FunctionMove":
        """A move from the rewriter's (start, end, new bytes) patches, whose positions are
        relative to `body_start` (where the instructions begin, in the same offsets);
        `locals_growth`: how much the local declarations before them grew."""
        shifts = [(body_start, locals_growth)] if locals_growth else []
        total = locals_growth
        for begin, stop, new in patches:
            growth = len(new) - (stop - begin)
            if growth:
                total += growth
                shifts.append((body_start + stop, total))
        return FunctionMove(old_start, old_end, new_start, shifts)


class AddressMap:
    """`map(input, address, end=False)`: the new code offset of an old one, or None."""

    def __init__(self):
        self._starts: dict[int, list[int]] = {}
        self._moves: dict[int, list[FunctionMove]] = {}
        self._last: dict[int, FunctionMove] = {}  # per input: queries come in runs per function

    def add(self, input_index: int, move: FunctionMove) -> None:
        starts = self._starts.setdefault(input_index, [])
        moves = self._moves.setdefault(input_index, [])
        if starts and move.old_start < starts[-1]:
            raise ValueError("functions must be added in increasing order of their old offsets")
        starts.append(move.old_start)
        moves.append(move)

    def moves(self, input_index: int) -> list[FunctionMove]:
        return self._moves.get(input_index, [])

    def map(self, input_index: int, address: int, end: bool = False) -> int | None:
        """`end`: the address is one past the last byte of something (a range's end), so
        it belongs to the function containing `address - 1`."""
        probe = address - 1 if end else address
        move = self._last.get(input_index)
        if move is None or not move.old_start <= probe < move.old_end:
            move = self.function_of(input_index, address, end)
            if move is None:
                return None
            self._last[input_index] = move
        if not move.shifts:
            return address - move.old_start + move.new_start
        j = bisect_right(move.shift_offsets, address) - 1
        growth = move.shift_totals[j] if j >= 0 else 0
        return address - move.old_start + move.new_start + growth

    def function_of(self, input_index: int, address: int, end: bool = False) -> FunctionMove | None:
        starts = self._starts.get(input_index)
        if not starts:
            return None
        probe = address - 1 if end else address
        i = bisect_right(starts, probe) - 1
        if i < 0:
            return None
        move = self._moves[input_index][i]
        return move if move.old_start <= probe < move.old_end else None
