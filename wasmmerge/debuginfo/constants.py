"""The DWARF 2-5 constants the rewriter needs: forms, the attributes whose values point
into other sections, and the opcodes of line programs and location/range lists."""

# -- forms -----------------------------------------------------------------------------
DW_FORM_addr = 0x01
DW_FORM_block2 = 0x03
DW_FORM_block4 = 0x04
DW_FORM_data2 = 0x05
DW_FORM_data4 = 0x06
DW_FORM_data8 = 0x07
DW_FORM_string = 0x08
DW_FORM_block = 0x09
DW_FORM_block1 = 0x0A
DW_FORM_data1 = 0x0B
DW_FORM_flag = 0x0C
DW_FORM_sdata = 0x0D
DW_FORM_strp = 0x0E
DW_FORM_udata = 0x0F
DW_FORM_ref_addr = 0x10
DW_FORM_ref1 = 0x11
DW_FORM_ref2 = 0x12
DW_FORM_ref4 = 0x13
DW_FORM_ref8 = 0x14
DW_FORM_ref_udata = 0x15
DW_FORM_indirect = 0x16
DW_FORM_sec_offset = 0x17
DW_FORM_exprloc = 0x18
DW_FORM_flag_present = 0x19
DW_FORM_strx = 0x1A
DW_FORM_addrx = 0x1B
DW_FORM_ref_sup4 = 0x1C
DW_FORM_strp_sup = 0x1D
DW_FORM_data16 = 0x1E
DW_FORM_line_strp = 0x1F
DW_FORM_ref_sig8 = 0x20
DW_FORM_implicit_const = 0x21
DW_FORM_loclistx = 0x22
DW_FORM_rnglistx = 0x23
DW_FORM_ref_sup8 = 0x24
DW_FORM_strx1 = 0x25
DW_FORM_strx2 = 0x26
DW_FORM_strx3 = 0x27
DW_FORM_strx4 = 0x28
DW_FORM_addrx1 = 0x29
DW_FORM_addrx2 = 0x2A
DW_FORM_addrx3 = 0x2B
DW_FORM_addrx4 = 0x2C

# Forms whose value is skipped without looking: fixed size in bytes.
FIXED_SIZE = {
    DW_FORM_data1: 1, DW_FORM_ref1: 1, DW_FORM_flag: 1, DW_FORM_strx1: 1,
    DW_FORM_data2: 2, DW_FORM_ref2: 2, DW_FORM_strx2: 2,
    DW_FORM_strx3: 3,
    DW_FORM_data4: 4, DW_FORM_ref4: 4, DW_FORM_ref_sup4: 4, DW_FORM_strx4: 4,
    DW_FORM_data8: 8, DW_FORM_ref8: 8, DW_FORM_ref_sig8: 8, DW_FORM_ref_sup8: 8,
    DW_FORM_data16: 16,
    DW_FORM_flag_present: 0, DW_FORM_implicit_const: 0,
}
# Forms that are one LEB128 we never change.
LEB_FORMS = frozenset({DW_FORM_sdata, DW_FORM_udata, DW_FORM_ref_udata, DW_FORM_strx,
                       DW_FORM_loclistx, DW_FORM_rnglistx})
ADDRX_SIZE = {DW_FORM_addrx1: 1, DW_FORM_addrx2: 2, DW_FORM_addrx3: 3, DW_FORM_addrx4: 4}
DATA_FORMS = {DW_FORM_data1: 1, DW_FORM_data2: 2, DW_FORM_data4: 4, DW_FORM_data8: 8}

# -- attributes ------------------------------------------------------------------------
DW_AT_location = 0x02
DW_AT_stmt_list = 0x10
DW_AT_low_pc = 0x11
DW_AT_high_pc = 0x12
DW_AT_string_length = 0x19
DW_AT_return_addr = 0x2A
DW_AT_start_scope = 0x2C
DW_AT_data_member_location = 0x38
DW_AT_frame_base = 0x40
DW_AT_macro_info = 0x43
DW_AT_segment = 0x46
DW_AT_static_link = 0x48
DW_AT_use_location = 0x4A
DW_AT_vtable_elem_location = 0x4D
DW_AT_ranges = 0x55
DW_AT_entry_pc = 0x52
DW_AT_str_offsets_base = 0x72
DW_AT_addr_base = 0x73
DW_AT_rnglists_base = 0x74
DW_AT_macros = 0x79
DW_AT_call_return_pc = 0x7D
DW_AT_call_pc = 0x81
DW_AT_loclists_base = 0x8C
DW_AT_GNU_macros = 0x2119

# sec_offset attributes -> the kind of thing they point at.
LOCLIST_ATTRS = frozenset({DW_AT_location, DW_AT_string_length, DW_AT_return_addr, DW_AT_data_member_location,
                           DW_AT_frame_base, DW_AT_segment, DW_AT_static_link, DW_AT_use_location,
                           DW_AT_vtable_elem_location})
RANGELIST_ATTRS = frozenset({DW_AT_ranges, DW_AT_start_scope})

DW_TAG_compile_unit = 0x11
DW_TAG_partial_unit = 0x3C
DW_TAG_skeleton_unit = 0x4A

DW_UT_compile = 0x01
DW_UT_type = 0x02
DW_UT_partial = 0x03
DW_UT_skeleton = 0x04
DW_UT_split_compile = 0x05
DW_UT_split_type = 0x06

# -- line programs ---------------------------------------------------------------------
DW_LNS_copy = 1
DW_LNS_advance_pc = 2
DW_LNS_advance_line = 3
DW_LNS_const_add_pc = 8
DW_LNS_fixed_advance_pc = 9
DW_LNE_end_sequence = 1
DW_LNE_set_address = 2

# -- DWARF 5 range and location lists --------------------------------------------------
DW_RLE_end_of_list = 0
DW_RLE_base_addressx = 1
DW_RLE_startx_endx = 2
DW_RLE_startx_length = 3
DW_RLE_offset_pair = 4
DW_RLE_base_address = 5
DW_RLE_start_end = 6
DW_RLE_start_length = 7

DW_LLE_end_of_list = 0
DW_LLE_base_addressx = 1
DW_LLE_startx_endx = 2
DW_LLE_startx_length = 3
DW_LLE_offset_pair = 4
DW_LLE_default_location = 5
DW_LLE_base_address = 6
DW_LLE_start_end = 7
DW_LLE_start_length = 8
DW_LLE_GNU_view_pair = 9

# Tombstones for code the merge dropped, as wasm-ld writes them: all ones, except in
# DWARF 4 .debug_ranges/.debug_loc, where all ones starts a base-address entry.
def tombstone(address_size: int, pre_dwarf5_list: bool = False) -> int:
    ones = (1 << (8 * address_size)) - 1
    return ones - 1 if pre_dwarf5_list else ones
