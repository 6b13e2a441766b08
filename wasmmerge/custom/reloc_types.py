"""THE relocation table: one row per relocation type (tool-conventions Linking.md).

Reading relocations (`custom/reloc.py`: which types carry an addend, and how wide),
applying them (`linker/`: what value a type computes, how its field is encoded) and
writing them back all read this table, like the opcode table for instructions. It lives
here, beside the section parser, so that `custom/` never imports the linker.

Field encodings: "uleb" and "sleb" are LEB128 padded to a fixed width (5 bytes for 32-bit
types, 10 for 64-bit ones), so a site is overwritten in place and no code moves; "i32"
and "i64" are little-endian fixed-size fields.

What a type names (`target`), and the value it computes:
  function      a function's output index
  table_slot    a function's slot in __indirect_function_table (0 for an undefined weak)
  memory        a data symbol's address + addend (0 for an undefined weak)
  type          a type index of the object (not a symbol) -> its output type index
  global        a global's output index; against a data/function symbol, its GOT entry's
  func_offset   a function's offset in the output code section + addend (debug info)
  section_offset the input section's offset in its output section + addend (debug info)
  tag           a tag's output index
  table         a table's output index
Modifiers: `relative` (…_REL_: minus __memory_base / __table_base, PIC code),
`tls` (offset from __tls_base), `location` (LOCREL: minus the site's own address).
"""

from ..binary.record import Frozen, set_field


class RelocType(Frozen):
    # A frozen record (`binary/record.py`: a dataclass's behaviour without its import
    # cost), compared and hashed by identity: the rows are singletons (the linker keeps a
    # set of (row, index) pairs per section, and a field-wise hash is Python code).
    __slots__ = ("number", "name", "field", "width", "has_addend", "target", "modifier", "encoding", "shortcut")
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __init__(self, number: int, name: str, field: str, width: int, has_addend: bool, target: str,
                 modifier: str | None = None, encoding: int = 3, shortcut: int = 0):
        set_field(self, "number", number)
        set_field(self, "name", name)
        set_field(self, "field", field)  # uleb | sleb | i32 | i64
        set_field(self, "width", width)  # bytes the field occupies
        set_field(self, "has_addend", has_addend)
        set_field(self, "target", target)
        set_field(self, "modifier", modifier)  # relative | tls | location
        # What the patcher switches on: 0 uleb/5, 1 sleb/5, 2 i32, 3 wider fields.
        set_field(self, "encoding", encoding)
        # The patcher's fast path for the commonest targets (SHORTCUTS below); 0: none.
        set_field(self, "shortcut", shortcut)

    @property
    def is_64(self) -> bool:
        return self.width in (8, 10)

    @property
    def addend_bits(self) -> int:
        """Width of the addend in a reloc.* entry (a signed LEB128); 0: the type has none."""
        return (64 if self.is_64 else 32) if self.has_addend else 0



_ROWS = [
    # number, name,                         field,  width, addend, target,          modifier
    (0, "R_WASM_FUNCTION_INDEX_LEB", "uleb", 5, False, "function"),
    (1, "R_WASM_TABLE_INDEX_SLEB", "sleb", 5, False, "table_slot"),
    (2, "R_WASM_TABLE_INDEX_I32", "i32", 4, False, "table_slot"),
    (3, "R_WASM_MEMORY_ADDR_LEB", "uleb", 5, True, "memory"),
    (4, "R_WASM_MEMORY_ADDR_SLEB", "sleb", 5, True, "memory"),
    (5, "R_WASM_MEMORY_ADDR_I32", "i32", 4, True, "memory"),
    (6, "R_WASM_TYPE_INDEX_LEB", "uleb", 5, False, "type"),
    (7, "R_WASM_GLOBAL_INDEX_LEB", "uleb", 5, False, "global"),
    (8, "R_WASM_FUNCTION_OFFSET_I32", "i32", 4, True, "func_offset"),
    (9, "R_WASM_SECTION_OFFSET_I32", "i32", 4, True, "section_offset"),
    (10, "R_WASM_TAG_INDEX_LEB", "uleb", 5, False, "tag"),
    (11, "R_WASM_MEMORY_ADDR_REL_SLEB", "sleb", 5, True, "memory", "relative"),
    (12, "R_WASM_TABLE_INDEX_REL_SLEB", "sleb", 5, False, "table_slot", "relative"),
    (13, "R_WASM_GLOBAL_INDEX_I32", "i32", 4, False, "global"),
    (14, "R_WASM_MEMORY_ADDR_LEB64", "uleb", 10, True, "memory"),
    (15, "R_WASM_MEMORY_ADDR_SLEB64", "sleb", 10, True, "memory"),
    (16, "R_WASM_MEMORY_ADDR_I64", "i64", 8, True, "memory"),
    (17, "R_WASM_MEMORY_ADDR_REL_SLEB64", "sleb", 10, True, "memory", "relative"),
    (18, "R_WASM_TABLE_INDEX_SLEB64", "sleb", 10, False, "table_slot"),
    (19, "R_WASM_TABLE_INDEX_I64", "i64", 8, False, "table_slot"),
    (20, "R_WASM_TABLE_NUMBER_LEB", "uleb", 5, False, "table"),
    (21, "R_WASM_MEMORY_ADDR_TLS_SLEB", "sleb", 5, True, "memory", "tls"),
    (22, "R_WASM_FUNCTION_OFFSET_I64", "i64", 8, True, "func_offset"),
    (23, "R_WASM_MEMORY_ADDR_LOCREL_I32", "i32", 4, True, "memory", "location"),
    (24, "R_WASM_TABLE_INDEX_REL_SLEB64", "sleb", 10, False, "table_slot", "relative"),
    (25, "R_WASM_MEMORY_ADDR_TLS_SLEB64", "sleb", 10, True, "memory", "tls"),
    (26, "R_WASM_FUNCTION_INDEX_I32", "i32", 4, False, "function"),
]

ENCODING_CODES = {("uleb", 5): 0, ("sleb", 5): 1, ("i32", 4): 2}
# (target, modifier) -> the code the patcher tests first: calls, plain data addresses,
# table slots, indirect-call types and globals are nearly every site of a program's code,
# section and function offsets nearly every site of its debug sections.
SHORTCUTS = {("function", None): 1, ("memory", None): 2, ("table_slot", None): 3, ("type", None): 4,
             ("global", None): 5,
             # and debug info's: offsets into other sections (DW_FORM_strp, ...), code addresses
             ("section_offset", None): 6, ("func_offset", None): 7}


def _row(number, name, field_kind, width, has_addend, target, modifier=None) -> RelocType:
    encoding = ENCODING_CODES.get((field_kind, width), 3)
    return RelocType(number, name, field_kind, width, has_addend, target, modifier, encoding,
                     SHORTCUTS.get((target, modifier), 0))


RELOC_TYPES: dict[int, RelocType] = {row[0]: _row(*row) for row in _ROWS}
BY_NAME: dict[str, RelocType] = {t.name: t for t in RELOC_TYPES.values()}
HAS_ADDEND = frozenset(t.number for t in RELOC_TYPES.values() if t.has_addend)
