"""`.debug_line`: line programs, DWARF 2-5.

The header's string offsets (`line_strp`/`strp` in DWARF 5 entry formats) move with the
string sections. In the program, each `DW_LNE_set_address` gets its new address; the
relative advances after it stay as they are as long as the function moved by one delta.
Where a function grew inside (the merger widened an instruction), the row that would land
short gets a `DW_LNS_advance_pc` in front of it, so the program is re-encoded and the unit
lengths and `DW_AT_stmt_list` offsets follow (`InputDwarf.moved`). A sequence whose code
was dropped starts at the tombstone and keeps its relative advances.
"""

from ..binary.leb import write_unsigned
from . import constants as C
from .context import InputDwarf
from .cursor import Cursor, put_uint, put_unit_length
from .errors import DwarfError

LINE = ".debug_line"
_STRING_FORMS = {C.DW_FORM_line_strp: ".debug_line_str", C.DW_FORM_strp: ".debug_str"}


def rewrite_lines(inp: InputDwarf) -> None:
    data = inp.sections.get(LINE)
    if not data:
        return
    cur = Cursor(data, LINE)
    pieces = []
    moved = {}
    size = 0
    while cur.pos < len(data):
        start = cur.pos
        offset_size, end = cur.initial_length()
        unit = Cursor(data, LINE, cur.pos, end)
        version = unit.uint(2)
        if not 2 <= version <= 5:
            raise unit.error(f"unsupported line table version {version}", unit.pos - 2)
        address_size = 4
        if version >= 5:
            address_size = unit.u8()
            unit.u8()  # segment selector size
        header_length = unit.uint(offset_size)
        program = unit.pos + header_length
        if program > end:
            raise unit.error("line table header runs past its unit")
        min_inst = unit.u8()
        if version >= 4:
            unit.u8()  # maximum operations per instruction (1 for every target but VLIW)
        unit.u8()  # default_is_stmt
        line_base = unit.sint(1)
        line_range = unit.u8()
        opcode_base = unit.u8()
        if line_range == 0 or opcode_base == 0:
            raise unit.error("line table header with line_range or opcode_base 0")
        lengths = [unit.u8() for _ in range(opcode_base - 1)]
        header = bytearray(data[start:program])
        if version >= 5:
            _patch_entry_formats(inp, unit, offset_size, header, start)
        body = _rewrite_program(inp, Cursor(data, LINE, program, end), min_inst, line_base, line_range,
                                opcode_base, lengths, address_size)
        if len(body) != end - program:
            put_unit_length(header, offset_size, len(header) + len(body), start, LINE)
        moved[start] = size
        pieces.append(header)
        pieces.append(body)
        size += len(header) + len(body)
        cur.pos = end
    inp.out[LINE] = bytearray(b"".join(pieces))
    inp.moved[LINE] = moved


def _patch_entry_formats(inp: InputDwarf, cur: Cursor, offset_size: int, header: bytearray, start: int) -> None:
    """DWARF 5 directory and file tables: patch their string offsets into `header`."""
    for _ in range(2):  # directories, then files
        formats = []
        for _ in range(cur.u8()):
            formats.append((cur.uleb(), cur.uleb()))
        for _ in range(cur.uleb()):
            for _content, form in formats:
                section = _STRING_FORMS.get(form)
                if section is not None:
                    pos = cur.need(offset_size)
                    value = int.from_bytes(cur.data[pos:pos + offset_size], "little")
                    put_uint(header, pos - start, offset_size, value + inp.bases.get(section, 0))
                elif form == C.DW_FORM_string:
                    cur.cstring_end()
                elif form in (C.DW_FORM_udata, C.DW_FORM_strx):
                    cur.skip_uleb()
                elif form in C.FIXED_SIZE:
                    cur.need(C.FIXED_SIZE[form])
                elif form == C.DW_FORM_block:
                    cur.need(cur.uleb())
                else:
                    raise cur.error(f"unsupported form {form:#x} in a line table header")


def _rewrite_program(inp: InputDwarf, cur: Cursor, min_inst: int, line_base: int, line_range: int,
                     opcode_base: int, lengths: list[int], address_size: int) -> bytearray:
    data = cur.data
    out = bytearray()
    # Address advance of every special opcode, and how many LEB128 operands each standard one has.
    special = [((op - opcode_base) // line_range) * min_inst if op >= opcode_base else 0 for op in range(256)]
    const_add = special[255]
    operands = [0] + lengths
    old = new = 0  # the state machine's address in the input and in what we write
    live = False  # the current sequence's code is still in the output
    # A sequence in a function that moved by one delta needs no row checks while it stays
    # inside [low, high]: its relative advances already land right.
    low = high = -1
    # A sequence in a function with shifts: its rows increase, so the growth at each is
    # found by walking the shift list along with them.
    offsets = totals = None
    shift = count = growth = 0
    copied = pos = cur.pos  # input bytes before `copied` are in `out`
    end = cur.end
    function_of = inp.addresses.function_of
    while pos < end:
        op_start = pos
        op = data[pos]
        pos += 1
        if op >= opcode_base:
            old += special[op]
            new += special[op]
            if low <= old < high:
                continue
            row_end = False
        elif op == 0:
            cur.pos = pos
            length = cur.uleb()
            sub_start = cur.pos
            pos = sub_start + length
            if pos > end or length == 0:
                continue
            sub = data[sub_start]
            if sub == C.DW_LNE_set_address:
                size = length - 1
                address_size = size
                old = int.from_bytes(data[sub_start + 1:pos], "little")
                mapped = inp.map(old)
                live = mapped is not None
                new = mapped if live else C.tombstone(size)
                out += data[copied:sub_start + 1]
                out += new.to_bytes(size, "little")
                copied = pos
                if not live:
                    new = old  # a dead sequence keeps its relative advances
                    low = high = -1
                else:
                    move = function_of(inp.index, old)
                    low = high = -1
                    offsets = None
                    if move is not None and not move.shifts:
                        low, high = move.old_start, move.old_end
                    elif move is not None:
                        offsets, totals = move.shift_offsets, move.shift_totals
                        shift, count, growth = 0, len(offsets), 0
                        fn_start, fn_end, fn_delta = move.old_start, move.old_end, move.new_start - move.old_start
                continue
            if sub != C.DW_LNE_end_sequence:
                continue
            row_end = True
            if low < old <= high:
                old = new = 0
                live = False
                low = high = -1
                continue
        elif op == C.DW_LNS_copy:
            if low <= old < high:
                continue
            row_end = False
        elif op == C.DW_LNS_advance_pc:
            cur.pos = pos
            advance = cur.uleb() * min_inst
            pos = cur.pos
            old += advance
            new += advance
            continue
        elif op == C.DW_LNS_const_add_pc:
            old += const_add
            new += const_add
            continue
        elif op == C.DW_LNS_fixed_advance_pc:
            advance = int.from_bytes(data[pos:pos + 2], "little")
            pos += 2
            old += advance
            new += advance
            continue
        else:
            for _ in range(operands[op]):
                while pos < end and data[pos] & 0x80:
                    pos += 1
                pos += 1
            continue
        # A row is emitted at `old`: make the output's state machine be at its new address.
        if live:
            if offsets is not None and fn_start <= old and (old < fn_end or row_end and old == fn_end):
                if old < offsets[shift - 1] if shift else False:
                    shift, growth = 0, 0  # rows went backwards: start the walk again
                while shift < count and offsets[shift] <= old:
                    growth = totals[shift]
                    shift += 1
                target = old + fn_delta + growth
            else:
                target = inp.map(old, end=row_end)
            if target is None:
                raise DwarfError(f"line table row at {old:#x} is outside the function its sequence "
                                 "starts in", op_start, section=LINE)
            if target != new:
                out += data[copied:op_start]
                copied = op_start
                diff = target - new
                if diff > 0 and diff % min_inst == 0:
                    out.append(C.DW_LNS_advance_pc)
                    out += write_unsigned(diff // min_inst)
                else:
                    out += b"\0" + write_unsigned(address_size + 1) + bytes([C.DW_LNE_set_address])
                    out += target.to_bytes(address_size, "little")
                new = target
        if row_end:
            old = new = 0
            live = False
            low = high = -1
            offsets = None
    if pos > end:
        raise DwarfError("line program runs past its unit", end, section=LINE)
    out += data[copied:end]
    return out
