"""A minimal DWARF writer for tests: one compile unit describing a module's functions,
in DWARF 4 or 5 and in the 32- or 64-bit format (clang emits only 32-bit DWARF for wasm,
so 64-bit DWARF is tested with what this writes)."""

import struct

from wasmmerge.binary.leb import write_signed, write_unsigned

# abbreviation codes
CU, SUBPROGRAM = 1, 2
DW_TAG_compile_unit, DW_TAG_subprogram = 0x11, 0x2E
DW_AT_producer, DW_AT_name, DW_AT_stmt_list = 0x25, 0x03, 0x10
DW_AT_low_pc, DW_AT_high_pc, DW_AT_ranges = 0x11, 0x12, 0x55
DW_FORM_addr, DW_FORM_data4, DW_FORM_strp, DW_FORM_sec_offset, DW_FORM_line_strp = 0x01, 0x06, 0x0E, 0x17, 0x1F
LINE_BASE, LINE_RANGE, OPCODE_BASE = -5, 14, 13


def _unit(body: bytes, wide: bool) -> bytes:
    """A unit: its initial length (0xffffffff + 8 bytes in 64-bit DWARF), then `body`."""
    if wide:
        return b"\xff\xff\xff\xff" + struct.pack("<Q", len(body)) + body
    return struct.pack("<I", len(body)) + body


def _offset(value: int, wide: bool) -> bytes:
    return struct.pack("<Q" if wide else "<I", value)


def generate(functions: list[tuple[int, int, list[int]]], version: int, wide: bool) -> dict[str, bytes]:
    """`functions`: (body start, body end, instruction offsets) in code offsets."""
    strings = bytearray(b"wasmmerge dwarfgen\0gen.c\0")
    names = []
    for i in range(len(functions)):
        names.append(len(strings))
        strings += f"f{i}\0".encode()
    line_strings = b"/src\0gen.c\0"

    abbrev = bytearray()
    abbrev += bytes([CU, DW_TAG_compile_unit, 1])
    abbrev += bytes([DW_AT_producer, DW_FORM_strp, DW_AT_name, DW_FORM_strp, DW_AT_stmt_list, DW_FORM_sec_offset,
                     DW_AT_low_pc, DW_FORM_addr, DW_AT_ranges, DW_FORM_sec_offset, 0, 0])
    abbrev += bytes([SUBPROGRAM, DW_TAG_subprogram, 0, DW_AT_name, DW_FORM_strp, DW_AT_low_pc, DW_FORM_addr,
                     DW_AT_high_pc, DW_FORM_data4, 0, 0, 0])

    if version >= 5:
        header = struct.pack("<HBB", 5, 1, 4) + _offset(0, wide)  # compile unit, address size, abbrev
    else:
        header = struct.pack("<H", 4) + _offset(0, wide) + b"\x04"
    dies = bytearray(write_unsigned(CU))
    first_list = (20 if wide else 12) if version >= 5 else 0  # after the rnglists header
    dies += _offset(0, wide) + _offset(19, wide) + _offset(0, wide) + struct.pack("<I", 0) + _offset(first_list, wide)
    for i, (start, end, _) in enumerate(functions):
        dies += write_unsigned(SUBPROGRAM) + _offset(names[i], wide) + struct.pack("<II", start, end - start)
    dies += b"\0"
    info = _unit(header + bytes(dies), wide)

    if version >= 5:
        ranges = bytearray()
        for start, end, _ in functions:
            ranges += b"\x06" + struct.pack("<II", start, end)  # DW_RLE_start_end
        ranges += b"\0"
        range_section = (".debug_rnglists", _unit(struct.pack("<HBBI", 5, 4, 0, 0) + bytes(ranges), wide))
    else:
        ranges = bytearray()
        for start, end, _ in functions:
            ranges += struct.pack("<II", start, end)
        range_section = (".debug_ranges", bytes(ranges) + bytes(8))

    program = bytearray()
    for n, (start, end, instrs) in enumerate(functions):
        program += b"\0\x05\x02" + struct.pack("<I", start)  # DW_LNE_set_address
        if version >= 5:
            program += b"\x04\x00"  # set_file 0: DWARF 5 numbers files from 0
        program += b"\x03" + write_signed(n * 10 + 1) + b"\x01"  # advance_line, copy
        address, line = start, n * 10 + 1
        for k, offset in enumerate(instrs[::3]):
            step, line_step = offset - address, 1 + k % 2
            opcode = (line_step - LINE_BASE) + LINE_RANGE * step + OPCODE_BASE
            if step >= 0 and opcode <= 255:
                program.append(opcode)
            else:
                program += b"\x02" + write_unsigned(step) + b"\x03" + write_signed(line_step) + b"\x01"
            address, line = offset, line + line_step
        program += b"\x02" + write_unsigned(end - address) + b"\0\x01\x01"  # advance_pc, end_sequence
    std_lengths = bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])
    params = struct.pack("<BBBbBB", 1, 1, 1, LINE_BASE, LINE_RANGE, OPCODE_BASE) + std_lengths
    if version >= 5:
        tables = b"\x01" + write_unsigned(1) + write_unsigned(DW_FORM_line_strp) + write_unsigned(1) + _offset(0, wide)
        tables += b"\x02" + write_unsigned(1) + write_unsigned(DW_FORM_line_strp) + write_unsigned(2) + write_unsigned(0x0B)
        tables += write_unsigned(1) + _offset(5, wide) + b"\0"
        start = struct.pack("<HBB", 5, 4, 0)
    else:
        tables = b"\0" + b"gen.c\0\0\0\0" + b"\0"
        start = struct.pack("<H", 4)
    rest = params + tables
    line = _unit(start + _offset(len(rest), wide) + rest + bytes(program), wide)

    tuples = bytearray()
    for begin, end, _ in functions:
        tuples += struct.pack("<II", begin, end - begin)
    tuples += bytes(8)
    aranges_header = struct.pack("<H", 2) + _offset(0, wide) + b"\x04\x00"
    pad = (-(len(aranges_header) + (12 if wide else 4))) % 8
    aranges = _unit(aranges_header + bytes(pad) + bytes(tuples), wide)

    sections = {".debug_abbrev": bytes(abbrev), ".debug_info": info, ".debug_str": bytes(strings),
                ".debug_line": line, ".debug_aranges": aranges}
    sections[range_section[0]] = range_section[1]
    if version >= 5:
        sections[".debug_line_str"] = line_strings
    return sections


def frame_section(functions: list[tuple[int, int, list[int]]], wide: bool) -> bytes:
    """`.debug_frame` (version 4): one CIE, one FDE per function."""
    cie_id = b"\xff" * (8 if wide else 4)
    # version 4, no augmentation, address size 4, segment size 0, code/data alignment 1/-4, ra register 0
    cie = _unit(cie_id + b"\x04\x00\x04\x00\x01\x7c\x00" + b"\x0c\x00\x00", wide)  # DW_CFA_def_cfa 0, 0
    out = bytearray(cie)
    for start, end, _ in functions:
        # DW_CFA_advance_loc 1, DW_CFA_def_cfa_offset 16
        body = _offset(0, wide) + struct.pack("<II", start, end - start) + b"\x41\x0e\x10"
        body += bytes((-(len(body) + (12 if wide else 4))) % 4)  # DW_CFA_nop padding
        out += _unit(body, wide)
    return bytes(out)
