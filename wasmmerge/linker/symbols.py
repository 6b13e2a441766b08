"""Symbols: what a name resolves to, and the per-kind facts the later passes fill in.

One class for every kind (function, data, global, section, tag, table) with slots, because
a libc link creates tens of thousands of them. A symbol is *defined* in one object
(`file` + `index`/`segment`), *undefined* (referenced, not defined yet), or *lazy* (an
archive member defines it; loading waits until something needs it).
"""

from ..binary.types import FUNC_KIND, GLOBAL_KIND, TABLE_KIND, TAG_KIND
from ..custom.linking import (ABSOLUTE, BINDING_LOCAL, BINDING_WEAK, EXPLICIT_NAME, EXPORTED,
                              NO_STRIP, SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL,
                              SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG, TLS, UNDEFINED,
                              VISIBILITY_HIDDEN)

# The kind of import an undefined symbol of each kind names (data names none).
IMPORT_KIND = {SYMTAB_FUNCTION: FUNC_KIND, SYMTAB_GLOBAL: GLOBAL_KIND, SYMTAB_TABLE: TABLE_KIND, SYMTAB_TAG: TAG_KIND}

KIND_NAMES = {SYMTAB_FUNCTION: "function", SYMTAB_DATA: "data", SYMTAB_GLOBAL: "global",
              SYMTAB_SECTION: "section", SYMTAB_TAG: "tag", SYMTAB_TABLE: "table"}

__all__ = ["Symbol", "KIND_NAMES", "IMPORT_KIND", "ABSOLUTE", "BINDING_LOCAL", "BINDING_WEAK", "EXPLICIT_NAME",
           "EXPORTED", "NO_STRIP", "SYMTAB_DATA", "SYMTAB_FUNCTION", "SYMTAB_GLOBAL",
           "SYMTAB_SECTION", "SYMTAB_TABLE", "SYMTAB_TAG", "TLS", "UNDEFINED", "VISIBILITY_HIDDEN"]


def _seldom(name: str):
    """A field few symbols set, kept in the symbol's `_seldom` dict (None until one is
    set): a slot each would cost every symbol of a program 8 bytes."""
    def get(self):
        fields = self._seldom
        return None if fields is None else fields.get(name)

    def set(self, value):
        if self._seldom is None:
            self._seldom = {}
        self._seldom[name] = value

    return property(get, set)


class Symbol:
    __slots__ = (
        "name", "kind", "flags", "file", "index", "segment", "offset", "size",
        "lazy", "weak_ref_only", "referenced_by", "live", "synthetic", "import_module", "signature",
        "out_index", "table_slot", "address", "got_index", "is_stub", "_seldom",
    )
    import_name = _seldom("import_name")  # undefined with EXPLICIT_NAME (or defaults at import time)
    global_type = _seldom("global_type")
    tag_type = _seldom("tag_type")
    table_type = _seldom("table_type")
    value = _seldom("value")  # synthetic globals: their constant initial value

    def __init__(self, name, kind, flags=0, file=None, index=None):
        self.name = name
        self.kind = kind
        self.flags = flags
        self.file = file  # defining ObjectFile; None when undefined, lazy or synthetic
        self.index = index  # function/global/tag/table/section index in `file`
        self.segment = None  # data: input segment (a DataChunk) holding it
        self.offset = 0  # data: offset in that segment
        self.size = 0
        self.lazy = None  # (archive, member header offset) while only an archive defines it
        self.weak_ref_only = True  # every reference so far is weak (no archive extraction)
        self.referenced_by = None  # first object that referenced it undefined (messages)
        self.live = False
        self.import_module = None  # undefined with EXPLICIT_NAME (or defaults at import time)
        self.signature = None  # functions: FuncType; undefined ones: from the import
        self.out_index = None  # output function/global/tag/table index
        self.table_slot = None  # functions whose address is taken
        self.address = None  # data: output virtual address (or a linker-set value)
        self.synthetic = None  # a linker-made definition: a tag naming what (see layout)
        self.got_index = None  # output global holding this symbol's address or slot (GOT)
        self.is_stub = False  # an undefined weak function replaced by an `unreachable` body
        self._seldom = None

    # -- binding and state -------------------------------------------------------------

    @property
    def defined(self) -> bool:
        return self.file is not None or self.synthetic is not None

    @property
    def undefined(self) -> bool:
        return not self.defined and self.lazy is None

    @property
    def weak(self) -> bool:
        return bool(self.flags & BINDING_WEAK)

    @property
    def local(self) -> bool:
        return bool(self.flags & BINDING_LOCAL)

    @property
    def hidden(self) -> bool:
        return bool(self.flags & VISIBILITY_HIDDEN)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, "?")

    def __repr__(self):
        state = "defined" if self.defined else ("lazy" if self.lazy else "undefined")
        return f"<{self.kind_name} {self.name} {state}>"
