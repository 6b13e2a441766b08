"""The index sections, whose only moving parts are offsets into other sections:
`.debug_aranges` (a unit offset, then address ranges), `.debug_pubnames`/`.debug_pubtypes`
(a unit offset) and `.debug_str_offsets` (offsets into `.debug_str`)."""

from . import constants as C
from .context import InputDwarf
from .cursor import Cursor, put_uint


def _units(inp: InputDwarf, section: str, target: str):
    """(output copy, input bytes, `target`'s base, cursor at the unit's header after its
    length, offset size, unit end) for each unit of `section`, when the input has it.
    The cursor is left at the next unit whatever the caller read of this one."""
    data = inp.sections.get(section)
    if not data:
        return
    out = inp.copy(section)
    base = inp.bases.get(target, 0)
    cur = Cursor(data, section)
    while cur.pos < len(data):
        start = cur.pos
        offset_size, end = cur.initial_length()
        yield out, data, base, Cursor(data, section, cur.pos, end), start, offset_size, end
        cur.pos = end


def rewrite_aranges(inp: InputDwarf) -> None:
    for out, data, info_base, unit, start, offset_size, end in _units(inp, ".debug_aranges", ".debug_info"):
        unit.uint(2)  # version 2
        pos = unit.need(offset_size)
        _add(out, data, pos, offset_size, info_base)
        size = unit.u8()
        segment = unit.u8()
        if size not in (4, 8):
            raise unit.error(f"unsupported address size {size}")
        tuple_size = 2 * size + segment
        unit.pos = start + -(-(unit.pos - start) // tuple_size) * tuple_size  # tuples are aligned
        tomb = C.tombstone(size)
        while unit.pos + tuple_size <= end:
            pos = unit.need(tuple_size) + segment
            address = int.from_bytes(data[pos:pos + size], "little")
            length = int.from_bytes(data[pos + size:pos + 2 * size], "little")
            if address == 0 and length == 0:
                break
            new = inp.map(address)
            if new is None:
                put_uint(out, pos, size, tomb)
                continue
            new_end = inp.map(address + length, end=True) if length else new
            put_uint(out, pos, size, new)
            put_uint(out, pos + size, size, length if new_end is None else new_end - new)


def rewrite_pubnames(inp: InputDwarf, section: str) -> None:
    for out, data, info_base, unit, _, offset_size, _ in _units(inp, section, ".debug_info"):
        unit.uint(2)
        pos = unit.need(offset_size)
        _add(out, data, pos, offset_size, info_base)  # the names' offsets are relative to their unit


def rewrite_str_offsets(inp: InputDwarf) -> None:
    for out, data, str_base, unit, _, offset_size, end in _units(inp, ".debug_str_offsets", ".debug_str"):
        unit.uint(2)  # version 5
        unit.uint(2)  # padding
        if str_base:
            for pos in range(unit.pos, end - offset_size + 1, offset_size):
                _add(out, data, pos, offset_size, str_base)


def _add(out: bytearray, data, pos: int, size: int, delta: int) -> None:
    """Move the `size`-byte offset at `pos` by `delta` (its section now starts later)."""
    put_uint(out, pos, size, int.from_bytes(data[pos:pos + size], "little") + delta)
