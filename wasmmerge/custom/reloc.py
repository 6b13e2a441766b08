"""`reloc.*` custom sections of relocatable objects (tool-conventions Linking.md).

`section:u32 vec(type:u32 offset:u32 index:u32 [addend:s32|s64])`; the addend is present
only for the types that have one. Hand-written rather than declared with `construct`:
an object has one entry per relocated site, and the linker reads them all.

`RELOC_TYPES` is the one table of relocation types: name, the field it patches (a
5- or 10-byte padded LEB128, or a 4- or 8-byte little-endian integer) and the width of
its addend (0: none).

Placement: after the data section, right after `linking` (LLVM's order).
"""

from dataclasses import dataclass

from ..binary import leb
from ..binary.model import DATA
from ..errors import DecodeError

AFTER = DATA


@dataclass(frozen=True)
class RelocType:
    name: str
    field: str  # uleb32, sleb32, i32, uleb64, sleb64, i64
    addend_bits: int  # 0: no addend


RELOC_TYPES = {code: RelocType(*row) for code, row in {
    0: ("R_WASM_FUNCTION_INDEX_LEB", "uleb32", 0),
    1: ("R_WASM_TABLE_INDEX_SLEB", "sleb32", 0),
    2: ("R_WASM_TABLE_INDEX_I32", "i32", 0),
    3: ("R_WASM_MEMORY_ADDR_LEB", "uleb32", 32),
    4: ("R_WASM_MEMORY_ADDR_SLEB", "sleb32", 32),
    5: ("R_WASM_MEMORY_ADDR_I32", "i32", 32),
    6: ("R_WASM_TYPE_INDEX_LEB", "uleb32", 0),
    7: ("R_WASM_GLOBAL_INDEX_LEB", "uleb32", 0),
    8: ("R_WASM_FUNCTION_OFFSET_I32", "i32", 32),
    9: ("R_WASM_SECTION_OFFSET_I32", "i32", 32),
    10: ("R_WASM_TAG_INDEX_LEB", "uleb32", 0),
    11: ("R_WASM_MEMORY_ADDR_REL_SLEB", "sleb32", 32),
    12: ("R_WASM_TABLE_INDEX_REL_SLEB", "sleb32", 0),
    13: ("R_WASM_GLOBAL_INDEX_I32", "i32", 0),
    14: ("R_WASM_MEMORY_ADDR_LEB64", "uleb64", 64),
    15: ("R_WASM_MEMORY_ADDR_SLEB64", "sleb64", 64),
    16: ("R_WASM_MEMORY_ADDR_I64", "i64", 64),
    17: ("R_WASM_MEMORY_ADDR_REL_SLEB64", "sleb64", 64),
    18: ("R_WASM_TABLE_INDEX_SLEB64", "sleb64", 0),
    19: ("R_WASM_TABLE_INDEX_I64", "i64", 0),
    20: ("R_WASM_TABLE_NUMBER_LEB", "uleb32", 0),
    21: ("R_WASM_MEMORY_ADDR_TLS_SLEB", "sleb32", 32),
    22: ("R_WASM_FUNCTION_OFFSET_I64", "i64", 64),
    23: ("R_WASM_MEMORY_ADDR_LOCREL_I32", "i32", 32),
    24: ("R_WASM_TABLE_INDEX_REL_SLEB64", "sleb64", 0),
    25: ("R_WASM_MEMORY_ADDR_TLS_SLEB64", "sleb64", 64),
    26: ("R_WASM_FUNCTION_INDEX_I32", "i32", 0),
}.items()}
_ADDEND_BITS = {code: t.addend_bits for code, t in RELOC_TYPES.items()}

# One relocation: (type, offset in the target section's payload, symbol or type index, addend or None).
Reloc = tuple[int, int, int, int | None]


@dataclass
class RelocSection:
    section: int  # index of the section the entries patch, counting every section from 0
    entries: list[Reloc]


def parse(data: bytes, base: int = 0, name: str = "reloc") -> RelocSection:
    """`base`: the payload's offset in the file; `name`: the section's name, for errors."""
    try:
        section, entries, pos, unknown = _read(data)
    except DecodeError as err:  # only our LEB128 reader raises in _read
        raise DecodeError(f"malformed {name} section: {err.message}", base + err.offset) from None
    if unknown is not None:
        kind, at = unknown
        raise DecodeError(f"malformed {name} section: unknown relocation type {kind}", base + at)
    if pos != len(data):
        raise DecodeError(f"malformed {name} section: {len(data) - pos} unexpected bytes at the end", base + pos)
    return RelocSection(section, entries)


def _read(data: bytes):
    """(section, entries, end, None), or (..., (type, offset)) at an unknown type, whose
    addend width (and so the rest of the section) cannot be known."""
    read_u32, read_signed, addend_bits = leb.read_u32, leb.read_signed, _ADDEND_BITS
    section, pos = read_u32(data, 0)
    count, pos = read_u32(data, pos)
    entries = []
    append = entries.append
    for _ in range(count):
        start = pos
        kind, pos = read_u32(data, pos)
        offset, pos = read_u32(data, pos)
        index, pos = read_u32(data, pos)
        bits = addend_bits.get(kind)
        if bits is None:
            return section, entries, pos, (kind, start)
        if bits:
            addend, pos = read_signed(data, pos, bits)
            append((kind, offset, index, addend))
        else:
            append((kind, offset, index, None))
    return section, entries, pos, None


def encode(section: RelocSection) -> bytes:
    write_u, write_s = leb.write_unsigned, leb.write_signed
    out = [write_u(section.section), write_u(len(section.entries))]
    for kind, offset, index, addend in section.entries:
        out.append(write_u(kind) + write_u(offset) + write_u(index))
        if _ADDEND_BITS[kind]:  # the type decides, as it does when reading
            out.append(write_s(addend or 0))
    return b"".join(out)


def summary(section: RelocSection) -> str:
    return f"{len(section.entries)} relocations for section {section.section}"
