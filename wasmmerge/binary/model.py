"""The module model: plain dataclasses, one per section entry.

Code bodies and constant expressions stay bytes (what the file holds, including the
final `end`), decoded on demand by `code.py`: most tools touch only some of them, and
bytes are what the merger copies. (The merger reads its inputs with bodies and data
segments as rows over the input's bytes instead, `bodies.CodeTable` and
`segments.DataSegments`: see `reader.decode_module(views=True)`.) Entries have slots: a
module may hold hundreds of thousands of them.
"""

from dataclasses import dataclass, field

from .types import (FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND, FuncType,
                    GlobalType, MemType, RecGroup, RefType, SubType, TableType, TagType,
                    ValType)

# Section ids, and the order the standard sections must come in.
CUSTOM, TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT, START, ELEMENT, CODE, DATA, DATACOUNT, TAG = range(14)
SECTION_ORDER = (TYPE, IMPORT, FUNCTION, TABLE, MEMORY, TAG, GLOBAL, EXPORT, START, ELEMENT, DATACOUNT, CODE, DATA)
SECTION_NAMES = {
    CUSTOM: "custom", TYPE: "type", IMPORT: "import", FUNCTION: "function", TABLE: "table",
    MEMORY: "memory", GLOBAL: "global", EXPORT: "export", START: "start", ELEMENT: "element",
    CODE: "code", DATA: "data", DATACOUNT: "datacount", TAG: "tag",
}


@dataclass(eq=True, slots=True)
class Expr:
    """A constant expression: its instruction bytes, `end` included."""

    code: bytes
    offset: int = field(default=0, compare=False)  # in the file it came from, for errors


@dataclass(slots=True)
class Import:
    module: str
    name: str
    kind: int  # FUNC_KIND ...
    type: int | TableType | MemType | GlobalType | TagType  # a type index for functions


@dataclass(slots=True)
class Export:
    name: str
    kind: int
    index: int


@dataclass(slots=True)
class Table:
    type: TableType
    init: Expr | None = None  # 3.0: a table with an explicit initialiser (0x40 0x00 form)


@dataclass(slots=True)
class Global:
    type: GlobalType
    init: Expr


@dataclass(slots=True)
class ElemSegment:
    mode: str  # "active", "passive" or "declarative"
    type: RefType
    # Exactly one of the two is set: function indices (flags 0-3) or expressions (4-7).
    funcs: list[int] | None = None
    exprs: list[Expr] | None = None
    table: int = 0
    offset: Expr | None = None
    flags: int | None = field(default=None, compare=False)  # the encoding read, if any

    @property
    def count(self) -> int:
        return len(self.funcs) if self.funcs is not None else len(self.exprs)


@dataclass(slots=True)
class DataSegment:
    mode: str  # "active" or "passive"
    data: bytes
    memory: int = 0
    offset: Expr | None = None
    flags: int | None = field(default=None, compare=False)


@dataclass(slots=True)
class Code:
    """A function body: local declarations as run-length groups, then the instructions."""

    locals: list[tuple[int, ValType]]
    body: bytes
    offset: int = field(default=0, compare=False)  # of `body` in the file, for errors

    def local_types(self) -> list[ValType]:
        out = []
        for count, t in self.locals:
            out.extend([t] * count)
        return out


@dataclass(slots=True)
class CustomSection:
    name: str
    data: bytes
    # Id of the standard section it follows (0: before all of them). When that section
    # is absent from the output the custom section follows the nearest earlier one.
    after: int = 0


@dataclass
class Module:
    types: list[SubType] = field(default_factory=list)
    rec_groups: list[RecGroup] = field(default_factory=list)  # explicit `rec` groups only
    imports: list[Import] = field(default_factory=list)
    funcs: list[int] = field(default_factory=list)  # type index of each defined function
    tables: list[Table] = field(default_factory=list)
    memories: list[MemType] = field(default_factory=list)
    tags: list[TagType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[ElemSegment] = field(default_factory=list)
    datacount: int | None = None
    codes: list[Code] = field(default_factory=list)  # or a bodies.CodeTable
    datas: list[DataSegment] = field(default_factory=list)  # or a segments.DataSegments
    customs: list[CustomSection] = field(default_factory=list)
    # Standard sections present in the file although empty (written back the same way).
    empty_sections: set[int] = field(default_factory=set, compare=False)
    # `import_counts`'s cache, and the import list (identity, length) it was counted for.
    _import_counts: dict = field(default_factory=dict, init=False, compare=False, repr=False)
    _import_counts_key: tuple = field(default=(), init=False, compare=False, repr=False)

    # -- index spaces: imports come first in each -------------------------------------

    def imports_of(self, kind: int) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    def func_type_indices(self) -> list[int]:
        """The type index of every function in the function index space."""
        return [imp.type for imp in self.imports if imp.kind == FUNC_KIND] + list(self.funcs)

    def func_type(self, funcidx: int) -> FuncType:
        return self.types[self.func_type_indices()[funcidx]].comp

    def table_types(self) -> list[TableType]:
        return [imp.type for imp in self.imports if imp.kind == TABLE_KIND] + [t.type for t in self.tables]

    def memory_types(self) -> list[MemType]:
        return [imp.type for imp in self.imports if imp.kind == MEMORY_KIND] + list(self.memories)

    def global_types(self) -> list[GlobalType]:
        return [imp.type for imp in self.imports if imp.kind == GLOBAL_KIND] + [g.type for g in self.globals]

    def tag_types(self) -> list[TagType]:
        return [imp.type for imp in self.imports if imp.kind == TAG_KIND] + list(self.tags)

    def count(self, kind: int) -> int:
        defined = {FUNC_KIND: self.funcs, TABLE_KIND: self.tables, MEMORY_KIND: self.memories,
                   GLOBAL_KIND: self.globals, TAG_KIND: self.tags}[kind]
        return self.import_counts().get(kind, 0) + len(defined)

    def import_counts(self) -> dict[int, int]:
        """How many imports of each kind: counted once per import list.

        Callers ask once per import (the merger's resolution), so a rescan each time would
        be quadratic. The import list is replaced or appended to, never edited in place to
        another kind, so its identity and length tell when to count again.
        """
        key = (id(self.imports), len(self.imports))
        if self._import_counts_key != key:
            counts: dict[int, int] = {}
            for imp in self.imports:
                counts[imp.kind] = counts.get(imp.kind, 0) + 1
            self._import_counts, self._import_counts_key = counts, key
        return self._import_counts

    def custom(self, name: str) -> CustomSection | None:
        return next((c for c in self.customs if c.name == name), None)
