"""Overlapping data between inputs (`merger/overlap.py`) against a byte-by-byte oracle,
for segment layouts in and out of address order (one input's segments are joined into
spans before inputs are compared)."""

import random

import pytest

from wasmmerge.binary import leb
from wasmmerge.binary.model import Expr
from wasmmerge.merger.init_order import ModuleEffects, Step
from wasmmerge.merger.overlap import overlap_warnings


class _Input:
    def __init__(self, name):
        self.name = name


def _step(memory: int, offset: int, size: int) -> Step:
    return Step("data", 0, memory, Expr(b"\x41" + leb.write_signed(offset) + b"\x0b"), size)


def _oracle(layouts) -> dict:
    """(memory, a, b) -> (first, last + 1) of the bytes both inputs a < b write."""
    written = [{} for _ in layouts]
    for k, segments in enumerate(layouts):
        for memory, offset, size in segments:
            written[k].setdefault(memory, set()).update(range(offset, offset + size))
    found = {}
    for a in range(len(layouts)):
        for b in range(a + 1, len(layouts)):
            for memory in written[a].keys() & written[b].keys():
                both = written[a][memory] & written[b][memory]
                if both:
                    found[(memory, a, b)] = (min(both), max(both) + 1)
    return found


@pytest.mark.parametrize("seed", range(40))
def test_overlaps_are_those_a_byte_by_byte_check_finds(seed):
    rng = random.Random(seed)
    layouts = []
    for _ in range(rng.randrange(2, 5)):
        segments = [(rng.randrange(2), rng.randrange(400), rng.randrange(0, 12)) for _ in range(rng.randrange(0, 120))]
        if rng.random() < 0.5:
            segments.sort(key=lambda s: s[1])  # as linkers lay them out, or in a few runs
        layouts.append(segments)
    effects = [ModuleEffects([], [_step(*s) for s in segments], None) for segments in layouts]
    inputs = [_Input(f"m{k}") for k in range(len(layouts))]
    expected = [f"data of m{a} and m{b} overlap in memory {memory} at bytes {start}..{end - 1} "
                f"({hex(start)}..{hex(end - 1)}): m{b}'s bytes overwrite m{a}'s; their data layouts "
                f"were not made for one shared memory"
                for (memory, a, b), (start, end) in sorted(_oracle(layouts).items())]
    assert overlap_warnings(inputs, effects) == expected
