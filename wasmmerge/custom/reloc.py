"""`reloc.*` custom sections of relocatable objects (tool-conventions Linking.md).

`section:u32 vec(type:u32 offset:u32 index:u32 [addend:s32|s64])`; the addend is present
only for the types that have one. Hand-written rather than declared with `construct`:
an object has one entry per relocated site, and the linker reads them all.

The relocation types come from the one table, `reloc_types.RELOC_TYPES` (name, the
field it patches, whether it has an addend and how wide, what it names), shared with
the linker.

Placement: after the data section, right after `linking` (LLVM's order).
"""

from ..binary import leb
from ..binary.model import DATA
from ..binary.record import Record  # a dataclass's behaviour without its import cost
from ..errors import DecodeError
from .reloc_types import RELOC_TYPES

AFTER = DATA


# By type number: its addend's width in bits (0: none; None for numbers no type has).
_ADDEND_BITS = [None] * 128
for _number, _type in RELOC_TYPES.items():
    _ADDEND_BITS[_number] = _type.addend_bits

# One relocation: (type, offset in the target section's payload, symbol or type index, addend or None).
Reloc = tuple[int, int, int, int | None]


class RelocSection(Record):
    __slots__ = ("section", "entries")

    def __init__(self, section: int, entries: list[Reloc]):
        self.section = section  # index of the section the entries patch, counting every section from 0
        self.entries = entries


def parse(data: bytes, base: int = 0, name: str = "reloc") -> RelocSection:
    """`base`: the payload's offset in the file; `name`: the section's name, for errors."""
    section, flat = read_flat(data, base, name)
    slots = iter(flat)
    entries = [(kind, offset, index, addend if _ADDEND_BITS[kind] else None)
               for kind, offset, index, addend in zip(slots, slots, slots, slots)]
    return RelocSection(section, entries)


def read_flat(data: bytes, base: int = 0, name: str = "reloc") -> tuple[int, list[int]]:
    """(target section index, [type, offset, index, addend] of each entry in turn: one
    flat list of integers, addend 0 where the type has none; `RELOC_TYPES[type]` is the
    type's row). Every malformation is a DecodeError naming the section and the file
    offset (`base`: the payload's)."""
    try:
        section, flat, pos, unknown = _read(data)
    except DecodeError as err:  # only our LEB128 reader raises in _read
        raise DecodeError(f"malformed {name} section: {err.message}", base + err.offset) from None
    if unknown is not None:
        kind, at = unknown
        raise DecodeError(f"malformed {name} section: unknown relocation type {kind}", base + at)
    if pos != len(data):
        raise DecodeError(f"malformed {name} section: {len(data) - pos} unexpected bytes at the end", base + pos)
    return section, flat


def _read(data: bytes):
    """(section, flat entries, end, None), or (..., (type, offset)) at an unknown type,
    whose addend width (and so the rest of the section) cannot be known.

    The linker reads every entry of every object (a few hundred thousand in a program):
    one-byte LEB128s (types, most indices and addends), offsets of up to three bytes and
    indices of up to two are decoded inline, longer ones by the LEB reader."""
    read_u32, read_signed, addend_bits = leb.read_u32, leb.read_signed, _ADDEND_BITS
    section, pos = read_u32(data, 0)
    count, pos = read_u32(data, pos)
    flat = []
    start = pos
    try:
        for _ in range(count):
            start = pos
            kind = data[pos]
            if kind < 0x80:
                pos += 1
                bits = addend_bits[kind]
            else:
                kind, pos = read_u32(data, pos)
                bits = None
            if bits is None:
                return section, flat, pos, (kind, start)
            offset = data[pos]
            if offset < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:  # two bytes: most offsets in a section
                offset = (offset & 0x7F) | (data[pos + 1] << 7)
                pos += 2
            elif data[pos + 2] < 0x80:  # three: a debug section's, past 16 KiB
                offset = (offset & 0x7F) | ((data[pos + 1] & 0x7F) << 7) | (data[pos + 2] << 14)
                pos += 3
            else:
                offset, pos = read_u32(data, pos)
            index = data[pos]
            if index < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:  # an object's 128th symbol and on
                index = (index & 0x7F) | (data[pos + 1] << 7)
                pos += 2
            else:
                index, pos = read_u32(data, pos)
            if bits:
                addend = data[pos]
                if addend < 0x40:  # a one-byte non-negative signed LEB128
                    pos += 1
                elif addend & 0x80 and data[pos + 1] < 0x80:  # two bytes: offsets into a struct or array
                    addend = (addend & 0x7F) | (data[pos + 1] << 7)
                    if addend & 0x2000:
                        addend -= 0x4000
                    pos += 2
                elif addend & 0x80 and data[pos + 1] & 0x80 and data[pos + 2] < 0x80:  # three: into .debug_str
                    addend = (addend & 0x7F) | ((data[pos + 1] & 0x7F) << 7) | (data[pos + 2] << 14)
                    if addend & 0x100000:
                        addend -= 0x200000
                    pos += 3
                else:
                    addend, pos = read_signed(data, pos, bits)
                flat += (kind, offset, index, addend)
            else:
                flat += (kind, offset, index, 0)
    except IndexError:
        raise DecodeError("unexpected end", len(data)) from None
    return section, flat, pos, None


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
