"""`.debug_info`: every unit's header and DIEs, walked with compiled abbreviation plans.

Patched in place: the abbrev offset of each header, code addresses (`DW_FORM_addr`), the
lengths of `DW_AT_high_pc` when a function's size changed, string offsets (`strp`,
`line_strp`), `ref_addr`, and the `*_base` attributes. Offsets into sections that may be
re-encoded (line programs, DWARF 5 lists) are noted and patched after those are laid
out. Along the way each unit tells the list passes its base address, and `addrx` values
mark which `.debug_addr` entries hold code addresses (others hold data addresses of
variables, which never move).
"""

from ..binary.leb import write_unsigned_width
from . import constants as C
from .abbrev import BLOCK, CSTRING, INDIRECT, SKIP, ULEB, VALUE, parse_abbrevs, plan_for
from .context import InputDwarf, UnitContext
from .cursor import Cursor, put_uint
from .errors import DwarfError

INFO = ".debug_info"
_UNIT_BASES = (C.DW_AT_low_pc, C.DW_AT_addr_base, C.DW_AT_str_offsets_base,
               C.DW_AT_rnglists_base, C.DW_AT_loclists_base)


class _Unit:
    __slots__ = ("version", "address_size", "offset_size", "context", "rnglists_base", "loclists_base",
                 "is_unit_die", "tombstone")


def rewrite_info(inp: InputDwarf) -> None:
    data = inp.sections.get(INFO)
    if not data:
        return
    out = inp.copy(INFO)
    cur = Cursor(data, INFO)
    tables = {}
    abbrev_data = inp.sections.get(".debug_abbrev", b"")
    abbrev_base = inp.bases.get(".debug_abbrev", 0)
    first = True
    while cur.pos < len(data):
        offset_size, unit_end = cur.initial_length()
        unit_cur = Cursor(data, INFO, cur.pos, unit_end)
        version = unit_cur.uint(2)
        if not 2 <= version <= 5:
            raise unit_cur.error(f"unsupported DWARF version {version}", unit_cur.pos - 2)
        if version >= 5:
            unit_type = unit_cur.u8()
            address_size = unit_cur.u8()
            abbrev_pos = unit_cur.pos
            abbrev_offset = unit_cur.uint(offset_size)
            if unit_type in (C.DW_UT_skeleton, C.DW_UT_split_compile):
                unit_cur.need(8)
            elif unit_type in (C.DW_UT_type, C.DW_UT_split_type):
                unit_cur.need(8 + offset_size)
            elif unit_type not in (C.DW_UT_compile, C.DW_UT_partial):
                raise unit_cur.error(f"unknown unit type {unit_type:#x}")
        else:
            abbrev_pos = unit_cur.pos
            abbrev_offset = unit_cur.uint(offset_size)
            address_size = unit_cur.u8()
        if address_size not in (4, 8):
            raise unit_cur.error(f"unsupported address size {address_size}")
        if first:
            inp.address_size = address_size
            first = False
        put_uint(out, abbrev_pos, offset_size, abbrev_offset + abbrev_base)
        table = tables.get(abbrev_offset)
        if table is None:
            if abbrev_offset >= len(abbrev_data):
                raise unit_cur.error(f"abbreviation offset {abbrev_offset:#x} is past .debug_abbrev", abbrev_pos)
            table = tables[abbrev_offset] = parse_abbrevs(abbrev_data, abbrev_offset)
        unit = _Unit()
        unit.version, unit.address_size, unit.offset_size = version, address_size, offset_size
        unit.tombstone = C.tombstone(address_size)
        _read_unit_bases(inp, unit, Cursor(data, INFO, unit_cur.pos, unit_end), table)
        _walk(inp, unit, unit_cur, table, out)
        cur.pos = unit_end


def _read_unit_bases(inp: InputDwarf, unit: _Unit, cur: Cursor, table) -> None:
    """The unit DIE's base attributes, which may come after the values that need them."""
    values = {}
    code = cur.uleb()
    abbrev = table.get(code)
    if abbrev is None:
        raise cur.error(f"unknown abbreviation code {code}")
    for kind, arg, attr, form in plan_for(abbrev, unit.version, unit.address_size, unit.offset_size):
        if kind == VALUE and attr in _UNIT_BASES:
            values[attr] = (form, _read_plain(cur, form, unit))
        else:
            _skip(cur, kind, arg, form, unit)
    addr_base = values.get(C.DW_AT_addr_base, (0, None))[1]
    base = 0
    if C.DW_AT_low_pc in values:
        form, value = values[C.DW_AT_low_pc]
        base = _addrx_value(inp, unit, addr_base, form, value) if form != C.DW_FORM_addr else value
    unit.context = UnitContext(unit.version, unit.address_size, unit.offset_size, base, addr_base)
    unit.rnglists_base = values.get(C.DW_AT_rnglists_base, (0, None))[1]
    unit.loclists_base = values.get(C.DW_AT_loclists_base, (0, None))[1]
    if unit.version >= 5:
        # A DWARF 5 unit's lists are found from its base when no DIE names them directly.
        for attr, section in ((C.DW_AT_rnglists_base, ".debug_rnglists"), (C.DW_AT_loclists_base, ".debug_loclists")):
            if attr in values:
                inp.list_refs.setdefault(section, {})[values[attr][1]] = unit.context


def _read_plain(cur: Cursor, form: int, unit: _Unit) -> int:
    if form == C.DW_FORM_addr:
        return cur.uint(unit.address_size)
    if form in (C.DW_FORM_sec_offset, C.DW_FORM_strp, C.DW_FORM_line_strp):
        return cur.uint(unit.offset_size)
    if form in C.DATA_FORMS:
        return cur.uint(C.DATA_FORMS[form])
    if form in C.ADDRX_SIZE:
        return cur.uint(C.ADDRX_SIZE[form])
    if form in (C.DW_FORM_addrx, C.DW_FORM_udata):
        return cur.uleb()
    raise cur.error(f"unexpected form {form:#x} for a unit base attribute")


def _skip(cur: Cursor, kind: int, arg, form: int, unit: _Unit) -> None:
    if kind == SKIP:
        cur.need(arg)
    elif kind == ULEB:
        cur.skip_uleb()
    elif kind == CSTRING:
        cur.cstring_end()
    elif kind == BLOCK:
        length = cur.uleb() if arg == 0 else cur.uint(arg)
        cur.need(length)
    elif kind == INDIRECT:
        inner = cur.uleb()
        _skip_form(cur, inner, unit)
    else:
        _skip_form(cur, form, unit)


def _skip_form(cur: Cursor, form: int, unit: _Unit) -> None:
    size = C.FIXED_SIZE.get(form)
    if size is not None:
        cur.need(size)
    elif form in C.LEB_FORMS or form == C.DW_FORM_addrx:
        cur.skip_uleb()
    elif form == C.DW_FORM_string:
        cur.cstring_end()
    elif form in (C.DW_FORM_block, C.DW_FORM_exprloc):
        cur.need(cur.uleb())
    elif form in (C.DW_FORM_block1, C.DW_FORM_block2, C.DW_FORM_block4):
        cur.need(cur.uint({C.DW_FORM_block1: 1, C.DW_FORM_block2: 2, C.DW_FORM_block4: 4}[form]))
    elif form == C.DW_FORM_addr:
        cur.need(unit.address_size)
    elif form in C.ADDRX_SIZE:
        cur.need(C.ADDRX_SIZE[form])
    elif form in (C.DW_FORM_strp, C.DW_FORM_line_strp, C.DW_FORM_sec_offset, C.DW_FORM_strp_sup):
        cur.need(unit.offset_size)
    elif form == C.DW_FORM_ref_addr:
        cur.need(unit.offset_size if unit.version >= 3 else unit.address_size)
    elif form == C.DW_FORM_indirect:
        _skip_form(cur, cur.uleb(), unit)
    else:
        raise cur.error(f"unknown attribute form {form:#x}")


def _addrx_value(inp: InputDwarf, unit: _Unit, addr_base, form: int, index: int) -> int:
    pos = _addrx_pos(unit, addr_base, index)
    addr = inp.sections.get(".debug_addr", b"")
    if pos + unit.address_size > len(addr):
        raise DwarfError(f"address index {index} is past .debug_addr", section=INFO)
    return int.from_bytes(addr[pos:pos + unit.address_size], "little")


def _addrx_pos(unit: _Unit, addr_base, index: int) -> int:
    if addr_base is None:
        raise DwarfError("an addrx form in a unit without DW_AT_addr_base", section=INFO)
    return addr_base + index * unit.address_size


def _walk(inp: InputDwarf, unit: _Unit, cur: Cursor, table, out: bytearray) -> None:
    unit.is_unit_die = True
    end = cur.end
    while cur.pos < end:
        code = cur.uleb()
        if code == 0:
            continue
        abbrev = table.get(code)
        if abbrev is None:
            raise cur.error(f"unknown abbreviation code {code}")
        low = high = None
        for kind, arg, attr, form in plan_for(abbrev, unit.version, unit.address_size, unit.offset_size):
            if kind == SKIP:
                cur.need(arg)
            elif kind == VALUE:
                if form == C.DW_FORM_indirect:
                    form = cur.uleb()
                result = _value(inp, unit, cur, attr, form, arg, out)
                if result is not None:
                    if attr == C.DW_AT_low_pc:
                        low = result
                    else:
                        high = result
            elif kind == INDIRECT:
                form = cur.uleb()
                if form in (C.DW_FORM_addr, C.DW_FORM_strp, C.DW_FORM_line_strp, C.DW_FORM_ref_addr,
                            C.DW_FORM_sec_offset) or form in C.ADDRX_SIZE or form == C.DW_FORM_addrx:
                    _value(inp, unit, cur, attr, form, None, out)
                else:
                    _skip_form(cur, form, unit)
            else:
                _skip(cur, kind, arg, form, unit)
        if high is not None and low is not None:
            _fix_high_pc(inp, unit, low, high, out)
        unit.is_unit_die = False


def _value(inp: InputDwarf, unit: _Unit, cur: Cursor, attr: int, form: int, implicit, out: bytearray):
    """Patch one value; returns what low_pc/high_pc fixing needs, else None."""
    if form == C.DW_FORM_addr:
        pos = cur.need(unit.address_size)
        value = int.from_bytes(cur.data[pos:pos + unit.address_size], "little")
        if attr == C.DW_AT_high_pc:
            return ("addr", pos, value)
        if not (unit.is_unit_die and value == 0):  # a unit's base 0 is not code
            new = inp.map(value)
            put_uint(out, pos, unit.address_size, unit.tombstone if new is None else new)
        return value if attr == C.DW_AT_low_pc else None
    if form in C.ADDRX_SIZE or form == C.DW_FORM_addrx:
        index = cur.uleb() if form == C.DW_FORM_addrx else cur.uint(C.ADDRX_SIZE[form])
        addr_base = unit.context.addr_base
        pos = _addrx_pos(unit, addr_base, index)
        value = _addrx_value(inp, unit, addr_base, form, index)
        if not (unit.is_unit_die and value == 0 and attr == C.DW_AT_low_pc):
            inp.code_addrs[pos] = attr == C.DW_AT_high_pc
        if attr == C.DW_AT_high_pc:
            return ("addrx", pos, value)
        return value if attr == C.DW_AT_low_pc else None
    if form == C.DW_FORM_strp:
        _add(cur, out, unit.offset_size, inp.bases.get(".debug_str", 0))
    elif form == C.DW_FORM_line_strp:
        _add(cur, out, unit.offset_size, inp.bases.get(".debug_line_str", 0))
    elif form == C.DW_FORM_ref_addr:
        _add(cur, out, unit.offset_size if unit.version >= 3 else unit.address_size, inp.bases.get(INFO, 0))
    elif form == C.DW_FORM_sec_offset or (unit.version < 4 and form in (C.DW_FORM_data4, C.DW_FORM_data8)
                                          and attr != C.DW_AT_high_pc):
        size = unit.offset_size if form == C.DW_FORM_sec_offset else C.DATA_FORMS[form]
        pos = cur.need(size)
        _section_offset(inp, unit, attr, pos, size, int.from_bytes(cur.data[pos:pos + size], "little"), out)
    elif form == C.DW_FORM_rnglistx or form == C.DW_FORM_loclistx:
        index = cur.uleb()
        ranges = form == C.DW_FORM_rnglistx
        section = ".debug_rnglists" if ranges else ".debug_loclists"
        base = unit.rnglists_base if ranges else unit.loclists_base
        if base is None:
            # Without a base attribute the first table of the section applies (DWARF 5 7.28/7.29).
            base = 12 if unit.offset_size == 4 else 20
        table = inp.sections.get(section, b"")
        pos = base + index * unit.offset_size
        if pos + unit.offset_size > len(table):
            raise DwarfError(f"list index {index} is past {section}", cur.pos, section=INFO)
        offset = base + int.from_bytes(table[pos:pos + unit.offset_size], "little")
        inp.list_refs.setdefault(section, {})[offset] = unit.context
    elif form == C.DW_FORM_strp_sup:
        cur.need(unit.offset_size)
    elif attr == C.DW_AT_high_pc and form in C.DATA_FORMS:
        size = C.DATA_FORMS[form]
        pos = cur.need(size)
        return ("data", pos, size, int.from_bytes(cur.data[pos:pos + size], "little"))
    elif attr == C.DW_AT_high_pc and form == C.DW_FORM_udata:
        pos = cur.pos
        value = cur.uleb()
        return ("udata", pos, cur.pos - pos, value)
    elif attr == C.DW_AT_high_pc and form == C.DW_FORM_implicit_const:
        return ("const", None, 0, implicit)
    elif form in C.DATA_FORMS or form == C.DW_FORM_udata:
        _skip_form(cur, form, unit)  # a constant, not an offset
    else:
        raise cur.error(f"unknown attribute form {form:#x}")
    return None


def _add(cur: Cursor, out: bytearray, size: int, delta: int) -> None:
    pos = cur.need(size)
    if delta:
        put_uint(out, pos, size, int.from_bytes(cur.data[pos:pos + size], "little") + delta)


def _section_offset(inp: InputDwarf, unit: _Unit, attr: int, pos: int, size: int, value: int, out) -> None:
    v5 = unit.version >= 5
    if attr == C.DW_AT_stmt_list:
        inp.deferred.append((pos, size, ".debug_line", value))
    elif attr in C.RANGELIST_ATTRS:
        section = ".debug_rnglists" if v5 else ".debug_ranges"
        inp.list_refs.setdefault(section, {})[value] = unit.context
        inp.deferred.append((pos, size, section, value))
    elif attr in C.LOCLIST_ATTRS:
        section = ".debug_loclists" if v5 else ".debug_loc"
        inp.list_refs.setdefault(section, {})[value] = unit.context
        inp.deferred.append((pos, size, section, value))
    elif attr == C.DW_AT_str_offsets_base:
        put_uint(out, pos, size, value + inp.bases.get(".debug_str_offsets", 0))
    elif attr == C.DW_AT_addr_base:
        put_uint(out, pos, size, value + inp.bases.get(".debug_addr", 0))
    elif attr == C.DW_AT_rnglists_base:
        inp.deferred.append((pos, size, ".debug_rnglists", value))
    elif attr == C.DW_AT_loclists_base:
        inp.deferred.append((pos, size, ".debug_loclists", value))
    elif attr == C.DW_AT_macro_info:
        put_uint(out, pos, size, value + inp.bases.get(".debug_macinfo", 0))
    else:
        raise DwarfError(f"section offset in attribute {attr:#x}, which we do not know how to move", pos,
                         section=INFO)


def _fix_high_pc(inp: InputDwarf, unit: _Unit, low: int, high: tuple, out: bytearray) -> None:
    kind = high[0]
    if kind in ("addr", "addrx"):
        _, pos, value = high
        if kind == "addrx":
            return  # its .debug_addr entry is patched as an end address
        new = inp.map(value, end=True) if inp.map(low) is not None else None
        put_uint(out, pos, unit.address_size, unit.tombstone if new is None else new)
        return
    _, pos, width, length = high
    new_low = inp.map(low)
    if new_low is None:
        return
    new_high = inp.map(low + length, end=True)
    if new_high is None:
        raise DwarfError(f"DW_AT_high_pc {low + length:#x} is outside the function at {low:#x}", pos, section=INFO)
    new_length = new_high - new_low
    if new_length == length:
        return
    if kind == "data":
        if new_length >= 1 << (8 * width):
            raise DwarfError("a function grew past what its DW_AT_high_pc form holds", pos, section=INFO)
        put_uint(out, pos, width, new_length)
    elif kind == "udata":
        raw = write_unsigned_width(new_length, width)
        if len(raw) != width:
            raise DwarfError("a function grew past what its DW_AT_high_pc form holds", pos, section=INFO)
        out[pos:pos + width] = raw
    else:
        raise DwarfError("a function whose size changed has an implicit-constant DW_AT_high_pc", section=INFO)
