"""Applying relocations: the field writers, and which symbol kinds each target may name.

The table of relocation types itself is `wasmmerge.custom.reloc_types` (shared with the
reloc.* section parser); this module adds what only the linker needs.
"""

from ..custom.reloc_types import BY_NAME, HAS_ADDEND, RELOC_TYPES, RelocType

__all__ = ["BY_NAME", "HAS_ADDEND", "RELOC_TYPES", "ROW_OF", "RelocType", "TYPE_KINDS", "TYPE_SELECTOR",
           "kinds_naming", "selector", "SYMBOL_KINDS_FOR_TARGET", "encode_field"]

# Each type's row by its number (relocations are kept as numbers: see objects.py).
ROW_OF = tuple(RELOC_TYPES.get(number) for number in range(max(RELOC_TYPES) + 1))


def kinds_naming(*targets: str) -> frozenset[int]:
    """The numbers of the types whose target is one of `targets`: the passes that follow
    only some references test a chunk's type numbers against these in one C-level call."""
    return frozenset(t.number for t in RELOC_TYPES.values() if t.target in targets)


def selector(kinds: frozenset[int]) -> bytes:
    """A translation table: a run of type numbers (RelocColumns.kinds, bytes) translated
    by it holds 1 where the type is one of `kinds`, 0 elsewhere, the mask by which
    `itertools.compress` picks those relocations, in C-level passes (half the time of
    testing each number against the set: 12 against 21 us for 620 relocations)."""
    return bytes(number in kinds for number in range(256))


TYPE_KINDS = kinds_naming("type")  # name a type of the object, not a symbol
TYPE_SELECTOR = selector(TYPE_KINDS)

# The symbol kinds a target may name (symbol-table kinds from Linking.md: 0 function,
# 1 data, 2 global, 3 section, 4 tag, 5 table). `type` names no symbol.
SYMBOL_KINDS_FOR_TARGET = {
    "function": (0,), "table_slot": (0,), "memory": (1,), "global": (2, 0, 1),
    "func_offset": (0,), "section_offset": (3,), "tag": (4,), "table": (5,),
}


def _padded_leb(value: int, width: int) -> bytes:
    """`value` (already reduced to 7*width bits, two's complement) as a padded LEB128."""
    out = bytearray(width)
    for k in range(width - 1):
        out[k] = (value & 0x7F) | 0x80
        value >>= 7
    out[width - 1] = value & 0x7F
    return bytes(out)


def encode_field(rtype: RelocType, value: int) -> bytes:
    """The bytes a relocation site holds for `value` (wrapping like the field does)."""
    if rtype.field == "i32":
        return (value & 0xFFFFFFFF).to_bytes(4, "little")
    if rtype.field == "i64":
        return (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    bits = 7 * rtype.width
    if rtype.field == "uleb":
        value &= (1 << (32 if rtype.width == 5 else 64)) - 1
    return _padded_leb(value & ((1 << bits) - 1), rtype.width)
