"""`.debug_abbrev` tables, each compiled into a plan of steps over a DIE's attribute
values: runs of values nobody needs to look at become one skip, so walking a unit costs
one Python step per interesting attribute rather than one per attribute."""

from . import constants as C
from .cursor import Cursor

# Step kinds. A plan is a tuple of (kind, argument, attribute, form).
SKIP = 0  # argument: bytes
ULEB = 1
CSTRING = 2
BLOCK = 3  # argument: size of the length field (0: LEB128)
VALUE = 4  # a value some pass looks at; argument unused
INDIRECT = 5


class Abbrev:
    __slots__ = ("tag", "children", "attrs", "plans")

    def __init__(self, tag, children, attrs):
        self.tag = tag
        self.children = children
        self.attrs = attrs  # [(attribute, form, implicit constant)]
        self.plans = {}  # (version, address size, offset size) -> plan


def parse_abbrevs(data: bytes, offset: int) -> dict[int, Abbrev]:
    cur = Cursor(data, ".debug_abbrev", offset)
    table = {}
    while True:
        code = cur.uleb()
        if code == 0:
            return table
        tag = cur.uleb()
        children = cur.u8()
        attrs = []
        while True:
            attr = cur.uleb()
            form = cur.uleb()
            if attr == 0 and form == 0:
                break
            implicit = cur.sleb() if form == C.DW_FORM_implicit_const else None
            attrs.append((attr, form, implicit))
        table[code] = Abbrev(tag, children, attrs)


# Forms a pass must see: addresses, offsets into other sections, references across units.
_INTERESTING = frozenset({
    C.DW_FORM_addr, C.DW_FORM_addrx, C.DW_FORM_addrx1, C.DW_FORM_addrx2, C.DW_FORM_addrx3,
    C.DW_FORM_addrx4, C.DW_FORM_strp, C.DW_FORM_line_strp, C.DW_FORM_ref_addr, C.DW_FORM_sec_offset,
    C.DW_FORM_rnglistx, C.DW_FORM_loclistx, C.DW_FORM_strp_sup,
})
# Attributes whose data-form value is looked at: high_pc as a length, and pre-DWARF-4
# section offsets written as data4/data8.
_DATA_ATTRS = frozenset({C.DW_AT_high_pc, C.DW_AT_stmt_list, C.DW_AT_macro_info, C.DW_AT_ranges,
                         C.DW_AT_location, C.DW_AT_frame_base, C.DW_AT_string_length})


def plan_for(abbrev: Abbrev, version: int, address_size: int, offset_size: int) -> tuple:
    key = (version, address_size, offset_size)
    plan = abbrev.plans.get(key)
    if plan is not None:
        return plan
    steps = []
    pending = 0
    for attr, form, implicit in abbrev.attrs:
        if form in _INTERESTING or (attr in _DATA_ATTRS and (form in C.DATA_FORMS or form == C.DW_FORM_udata)) \
                or (form == C.DW_FORM_implicit_const and attr == C.DW_AT_high_pc):
            if pending:
                steps.append((SKIP, pending, 0, 0))
                pending = 0
            steps.append((VALUE, implicit, attr, form))
            continue
        size = C.FIXED_SIZE.get(form)
        if size is not None:
            pending += size
            continue
        if pending:
            steps.append((SKIP, pending, 0, 0))
            pending = 0
        if form in C.LEB_FORMS:
            steps.append((ULEB, 0, attr, form))
        elif form == C.DW_FORM_string:
            steps.append((CSTRING, 0, attr, form))
        elif form in (C.DW_FORM_block, C.DW_FORM_exprloc):
            steps.append((BLOCK, 0, attr, form))
        elif form == C.DW_FORM_block1:
            steps.append((BLOCK, 1, attr, form))
        elif form == C.DW_FORM_block2:
            steps.append((BLOCK, 2, attr, form))
        elif form == C.DW_FORM_block4:
            steps.append((BLOCK, 4, attr, form))
        elif form == C.DW_FORM_indirect:
            steps.append((INDIRECT, 0, attr, form))
        else:
            steps.append((VALUE, None, attr, form))  # unknown: the pass reports it
    if pending:
        steps.append((SKIP, pending, 0, 0))
    plan = abbrev.plans[key] = tuple(steps)
    return plan
