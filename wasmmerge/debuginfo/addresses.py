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

    @staticmethod
    def from_patches(old_start: int, old_end: int, new_start: int, body_start: int, patches) -> "FunctionMove":
        """A move from the rewriter's (start, end, new bytes) patches, whose positions are
        relative to `body_start` (where the instructions begin, in the same offsets)."""
        shifts = []
        total = 0
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
        starts = self._starts.get(input_index)
        if not starts:
            return None
        probe = address - 1 if end else address
        i = bisect_right(starts, probe) - 1
        if i < 0:
            return None
        move = self._moves[input_index][i]
        if not move.old_start <= probe < move.old_end and not (end and address == move.old_start):
            return None
        shifts = move.shifts
        if not shifts:
            return address - move.old_start + move.new_start
        j = bisect_right(shifts, (address, float("inf"))) - 1
        growth = shifts[j][1] if j >= 0 else 0
        return address - move.old_start + move.new_start + growth

    def delta(self, input_index: int, address: int) -> int | None:
        """The constant delta of the function holding `address` when it has no shifts."""
        new = self.map(input_index, address)
        if new is None:
            return None
        move = self._moves[input_index][bisect_right(self._starts[input_index], address) - 1]
        return None if move.shifts else new - address

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
