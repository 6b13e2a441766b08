"""Range and location lists: DWARF 4 `.debug_ranges`/`.debug_loc` and DWARF 5
`.debug_rnglists`/`.debug_loclists`, plus the `.debug_addr` entries they and the DIEs name.

Entries are relative to a base address: the using unit's `DW_AT_low_pc` (which the
info pass recorded per list) or the last base-address entry. Every entry is mapped as
absolute addresses and written back relative to the new base. DWARF 4 entries are
fixed-size and patched in place (dropped code: 0xFFFFFFFE, as wasm-ld writes there).
DWARF 5 entries hold LEB128 offsets and lengths: each is rewritten at its original width
when the new value fits, else minimal, so a list may grow; the contribution's offset
table and every offset pointing into it then follow (`InputDwarf.moved`).
"""

from ..binary.leb import write_unsigned_width
from . import constants as C
from .context import InputDwarf, UnitContext
from .cursor import Cursor, put_uint, put_unit_length
from .errors import DwarfError

# DWARF 5 range-list kinds in the location-list numbering, so one walker reads both.
_RLE_AS_LLE = {C.DW_RLE_end_of_list: C.DW_LLE_end_of_list, C.DW_RLE_base_addressx: C.DW_LLE_base_addressx,
               C.DW_RLE_startx_endx: C.DW_LLE_startx_endx, C.DW_RLE_startx_length: C.DW_LLE_startx_length,
               C.DW_RLE_offset_pair: C.DW_LLE_offset_pair, C.DW_RLE_base_address: C.DW_LLE_base_address,
               C.DW_RLE_start_end: C.DW_LLE_start_end, C.DW_RLE_start_length: C.DW_LLE_start_length}


def _new_base(inp: InputDwarf, base: int):
    return 0 if base == 0 else inp.map(base)


def rewrite_pre5_lists(inp: InputDwarf, section: str, default: UnitContext) -> None:
    data = inp.sections.get(section)
    if not data:
        return
    out = inp.copy(section)
    is_loc = section == ".debug_loc"
    refs = inp.list_refs.get(section, {})
    context = default
    cur = Cursor(data, section)
    while cur.pos < len(data):
        context = refs.get(cur.pos, context)
        size = context.address_size
        ones = (1 << (8 * size)) - 1
        tomb = ones - 1
        base = context.base
        new_base = _new_base(inp, base)
        while True:
            pos = cur.need(2 * size)
            start = int.from_bytes(data[pos:pos + size], "little")
            end = int.from_bytes(data[pos + size:pos + 2 * size], "little")
            if start == 0 and end == 0:
                break
            if start == ones:  # base address selection
                base = end
                new_base = _new_base(inp, base)
                put_uint(out, pos + size, size, tomb if new_base is None else new_base)
                continue
            if is_loc:
                cur.need(cur.uint(2))
            if start >= tomb or new_base is None:
                continue
            new_start = inp.map(base + start)
            new_end = new_start if end == start else inp.map(base + end, end=True)
            if new_start is None or new_end is None:
                put_uint(out, pos, size, tomb)
                put_uint(out, pos + size, size, tomb)
            else:
                if new_start < new_base:
                    raise DwarfError("a list entry moved before its base address", pos, section=section)
                put_uint(out, pos, size, new_start - new_base)
                put_uint(out, pos + size, size, new_end - new_base)


def rewrite_v5_lists(inp: InputDwarf, section: str, default: UnitContext) -> None:
    data = inp.sections.get(section)
    if not data:
        return
    is_loc = section == ".debug_loclists"
    refs = inp.list_refs.get(section, {})
    moved = {}
    pieces = []
    size_so_far = 0
    cur = Cursor(data, section)
    while cur.pos < len(data):
        start = cur.pos
        offset_size, end = cur.initial_length()
        unit = Cursor(data, section, cur.pos, end)
        version = unit.uint(2)
        if version != 5:
            raise unit.error(f"unsupported {section} version {version}", unit.pos - 2)
        address_size = unit.u8()
        unit.u8()  # segment selector size
        count = unit.uint(4)
        table = unit.pos
        unit.need(count * offset_size)
        lists_start = unit.pos
        context = refs.get(table)
        if context is None:
            context = next((c for o, c in refs.items() if start <= o < end), default)
        header = bytearray(data[start:lists_start])
        body = bytearray()
        new_table = size_so_far + (table - start)
        moved[table] = new_table
        while unit.pos < end:
            list_start = unit.pos
            context = refs.get(list_start, context)
            moved[list_start] = size_so_far + len(header) + len(body)
            _rewrite_list(inp, unit, body, context, address_size, is_loc)
        for i in range(count):
            pos = table + i * offset_size
            old = table + int.from_bytes(data[pos:pos + offset_size], "little")
            new = moved.get(old)
            if new is None:
                raise DwarfError(f"offset table entry {i} points inside a list", pos, section=section)
            put_uint(header, pos - start, offset_size, new - new_table)
        put_unit_length(header, offset_size, len(header) + len(body), start, section)
        pieces.append(header)
        pieces.append(body)
        size_so_far += len(header) + len(body)
        cur.pos = end
    inp.out[section] = bytearray(b"".join(pieces))
    inp.moved[section] = moved


def _rewrite_list(inp: InputDwarf, cur: Cursor, out: bytearray, context: UnitContext,
                  address_size: int, is_loc: bool) -> None:
    """One list, appended to `out`. Unchanged stretches are copied as one slice: an
    offset pair inside the function that holds its base, which moved by one delta, keeps
    its bytes."""
    data = cur.data
    base = context.base
    new_base, low, high = _base(inp, base)
    tomb = C.tombstone(address_size)
    copied = cur.pos
    while True:
        entry = cur.pos
        raw_kind = cur.u8()
        kind = raw_kind if is_loc else _RLE_AS_LLE.get(raw_kind)
        if kind is None or kind > C.DW_LLE_GNU_view_pair:
            raise cur.error(f"unknown list entry kind {raw_kind:#x}", entry)
        if kind == C.DW_LLE_end_of_list:
            out += data[copied:cur.pos]
            return
        if kind == C.DW_LLE_offset_pair:
            first = cur.pos
            a = cur.uleb()
            second = cur.pos
            b = cur.uleb()
            if not (low <= base + a and base + b <= high) and new_base is not None:
                new_a = inp.map(base + a)
                new_b = new_a if a == b else inp.map(base + b, end=True)
                if new_a is not None and new_b is not None:  # else outside any function: left as it was
                    if new_a < new_base:
                        raise DwarfError("a list entry moved before its base address", entry, section=cur.section)
                    out += data[copied:first]
                    out += write_unsigned_width(new_a - new_base, second - first)
                    out += write_unsigned_width(new_b - new_base, cur.pos - second)
                    copied = cur.pos
        elif kind == C.DW_LLE_base_addressx:
            base = _addr(inp, context, cur.uleb(), address_size, cur, False)
            new_base, low, high = _base(inp, base)
            continue
        elif kind == C.DW_LLE_base_address:
            pos = cur.pos
            base = cur.uint(address_size)
            new_base, low, high = _base(inp, base)
            out += data[copied:pos]
            out += (tomb if new_base is None else new_base).to_bytes(address_size, "little")
            copied = cur.pos
            continue
        elif kind == C.DW_LLE_startx_endx:
            _addr(inp, context, cur.uleb(), address_size, cur, False)
            _addr(inp, context, cur.uleb(), address_size, cur, True)
        elif kind == C.DW_LLE_startx_length:
            start = _addr(inp, context, cur.uleb(), address_size, cur, False)
            length_pos = cur.pos
            length = cur.uleb()
            out += data[copied:length_pos]
            out += _length_bytes(inp, start, length, cur.pos - length_pos)
            copied = cur.pos
        elif kind == C.DW_LLE_start_end:
            pos = cur.pos
            start = cur.uint(address_size)
            end = cur.uint(address_size)
            new_start = inp.map(start)
            new_end = new_start if start == end else inp.map(end, end=True)
            out += data[copied:pos]
            out += (tomb if new_start is None else new_start).to_bytes(address_size, "little")
            out += (tomb if new_end is None else new_end).to_bytes(address_size, "little")
            copied = cur.pos
        elif kind == C.DW_LLE_start_length:
            pos = cur.pos
            start = cur.uint(address_size)
            length_pos = cur.pos
            length = cur.uleb()
            new_start = inp.map(start)
            out += data[copied:pos]
            out += (tomb if new_start is None else new_start).to_bytes(address_size, "little")
            out += _length_bytes(inp, start, length, cur.pos - length_pos)
            copied = cur.pos
        elif kind == C.DW_LLE_GNU_view_pair:
            cur.skip_uleb()
            cur.skip_uleb()
            continue
        if is_loc:
            cur.need(cur.uleb())  # the location description, copied as it is


def _base(inp: InputDwarf, base: int) -> tuple:
    """(new base, low, high): entries between low and high (old offsets) belong to the
    function holding the base, which moved by one delta, and keep their offsets."""
    if base == 0:
        return 0, 1, 0
    move = inp.addresses.function_of(inp.index, base)
    if move is None:
        return None, 1, 0
    new_base = inp.map(base)
    if move.shifts:
        return new_base, 1, 0
    return new_base, move.old_start, move.old_end


def _length_bytes(inp: InputDwarf, start: int, length: int, width: int) -> bytes:
    new_start = inp.map(start)
    new_end = inp.map(start + length, end=True) if length else new_start
    if new_start is None or new_end is None:
        return write_unsigned_width(length, width)
    return write_unsigned_width(new_end - new_start, width)


def _addr(inp: InputDwarf, context: UnitContext, index: int, address_size: int, cur: Cursor, end: bool) -> int:
    """The old value of a `.debug_addr` entry, which is marked as holding a code address."""
    if context.addr_base is None:
        raise cur.error("an addrx list entry in a unit without DW_AT_addr_base")
    pos = context.addr_base + index * address_size
    addr = inp.sections.get(".debug_addr", b"")
    if pos + address_size > len(addr):
        raise cur.error(f"address index {index} is past .debug_addr")
    inp.code_addrs[pos] = end
    return int.from_bytes(addr[pos:pos + address_size], "little")


def rewrite_addr(inp: InputDwarf) -> None:
    """Patch the `.debug_addr` entries that hold code addresses (the rest are data)."""
    data = inp.sections.get(".debug_addr")
    if not data or not inp.code_addrs:
        return
    out = inp.copy(".debug_addr")
    size = inp.address_size
    tomb = C.tombstone(size)
    for pos, is_end in inp.code_addrs.items():
        value = int.from_bytes(data[pos:pos + size], "little")
        new = inp.map(value, end=is_end)
        put_uint(out, pos, size, tomb if new is None else new)
