"""Random damage to a file's bytes, for the fixed-seed campaigns that check bad inputs
end in our one-line errors (tests/link/test_fuzzed_objects.py,
tests/merge/test_damaged_inputs.py)."""

import random


def mutated(data: bytes, rng: random.Random, tail_share: float = 0.0) -> bytes:
    """`data` with one to four bytes changed, flipped, cut out or inserted; `tail_share`
    of the changes fall in its last two fifths (where an object keeps its linking and
    reloc.* sections)."""
    data = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4])):
        tail = rng.random() < tail_share
        pos = rng.randrange(len(data) * 3 // 5, len(data)) if tail else rng.randrange(len(data))
        op = rng.random()
        if op < 0.6:
            data[pos] = rng.randrange(256)
        elif op < 0.75:
            data[pos] ^= 1 << rng.randrange(8)
        elif op < 0.9:
            del data[pos:pos + rng.randrange(1, 8)]
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
    return bytes(data)
