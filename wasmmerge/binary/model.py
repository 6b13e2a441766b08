"""The module model: one record per section entry, and the module.

Code bodies and constant expressions stay bytes (what the file holds, including the
final `end`), decoded on demand by `code.py`: most tools touch only some of them, and
bytes are what the merger copies. (The merger reads its inputs with bodies and data
segments as rows over the input's bytes instead, `bodies.CodeTable` and
`segments.DataSegments`: see `reader.decode_module(views=True)`.) Entries are slotted
records (`record.py`: a dataclass's behaviour without its import cost): a
module may hold hundreds of thousands of them.
"""

from .record import Record
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


class Expr(Record):
    """A constant expression: its instruction bytes, `end` included."""

    __slots__ = ("code", "offset")
    _compared = ("code",)

    def __init__(self, code: bytes, offset: int = 0):
        self.code = code
        self.offset = offset  # in the file it came from, for errors


class Import(Record):
    __slots__ = ("module", "name", "kind", "type")

    def __init__(self, module: str, name: str, kind: int, type: int | TableType | MemType | GlobalType | TagType):
        self.module = module
        self.name = name
        self.kind = kind  # FUNC_KIND ...
        self.type = type  # a type index for functions


class Export(Record):
    __slots__ = ("name", "kind", "index")

    def __init__(self, name: str, kind: int, index: int):
        self.name = name
        self.kind = kind
        self.index = index


class Table(Record):
    __slots__ = ("type", "init")

    def __init__(self, type: TableType, init: Expr | None = None):
        self.type = type
        self.init = init  # 3.0: a table with an explicit initialiser (0x40 0x00 form)


class Global(Record):
    __slots__ = ("type", "init")

    def __init__(self, type: GlobalType, init: Expr):
        self.type = type
        self.init = init


class ElemSegment(Record):
    __slots__ = ("mode", "type", "funcs", "exprs", "table", "offset", "flags")
    _compared = ("mode", "type", "funcs", "exprs", "table", "offset")

    def __init__(self, mode: str, type: RefType, funcs: list[int] | None = None, exprs: list[Expr] | None = None,
                 table: int = 0, offset: Expr | None = None, flags: int | None = None):
        self.mode = mode  # "active", "passive" or "declarative"
        self.type = type
        # Exactly one of the two is set: function indices (flags 0-3) or expressions (4-7).
        self.funcs = funcs
        self.exprs = exprs
        self.table = table
        self.offset = offset
        self.flags = flags  # the encoding read, if any (not compared)

    @property
    def count(self) -> int:
        return len(self.funcs) if self.funcs is not None else len(self.exprs)


class DataSegment(Record):
    __slots__ = ("mode", "data", "memory", "offset", "flags")
    _compared = ("mode", "data", "memory", "offset")

    def __init__(self, mode: str, data: bytes, memory: int = 0, offset: Expr | None = None,
                 flags: int | None = None):
        self.mode = mode  # "active" or "passive"
        self.data = data
        self.memory = memory
        self.offset = offset
        self.flags = flags  # the encoding read, if any (not compared)


class Code(Record):
    """A function body: local declarations as run-length groups, then the instructions."""

    __slots__ = ("locals", "body", "offset")
    _compared = ("locals", "body")

    def __init__(self, locals: list[tuple[int, ValType]], body: bytes, offset: int = 0):
        self.locals = locals
        self.body = body
        self.offset = offset  # of `body` in the file, for errors (not compared)

    def local_types(self) -> list[ValType]:
        out = []
        for count, t in self.locals:
            out.extend([t] * count)
        return out


class CustomSection(Record):
    __slots__ = ("name", "data", "after")

    def __init__(self, name: str, data: bytes, after: int = 0):
        self.name = name
        self.data = data
        # Id of the standard section it follows (0: before all of them). When that section
        # is absent from the output the custom section follows the nearest earlier one.
        self.after = after


# A module's fields, as `__init__` takes them, `repr` prints them and `replace` copies them.
_MODULE_FIELDS = ("types", "rec_groups", "imports", "funcs", "tables", "memories", "tags", "globals", "exports",
                  "start", "elems", "datacount", "codes", "datas", "customs", "empty_sections")


class Module(Record):
    """A whole module: each section's entries, in index order (imports first in each space).

    Each list (and `empty_sections`) defaults to a fresh empty one. Not slotted (there is
    one per input): the runtime keeps its caches in a module's `__dict__`."""

    _compared = _MODULE_FIELDS[:-1]  # not empty_sections: how the file was written

    def __init__(self, types: list[SubType] | None = None, rec_groups: list[RecGroup] | None = None,
                 imports: list[Import] | None = None, funcs: list[int] | None = None,
                 tables: list[Table] | None = None, memories: list[MemType] | None = None,
                 tags: list[TagType] | None = None, globals: list[Global] | None = None,
                 exports: list[Export] | None = None, start: int | None = None,
                 elems: list[ElemSegment] | None = None, datacount: int | None = None,
                 codes: list[Code] | None = None, datas: list[DataSegment] | None = None,
                 customs: list[CustomSection] | None = None, empty_sections: set[int] | None = None):
        self.types = [] if types is None else types
        self.rec_groups = [] if rec_groups is None else rec_groups  # explicit `rec` groups only
        self.imports = [] if imports is None else imports
        self.funcs = [] if funcs is None else funcs  # type index of each defined function
        self.tables = [] if tables is None else tables
        self.memories = [] if memories is None else memories
        self.tags = [] if tags is None else tags
        self.globals = [] if globals is None else globals
        self.exports = [] if exports is None else exports
        self.start = start
        self.elems = [] if elems is None else elems
        self.datacount = datacount
        self.codes = [] if codes is None else codes  # or a bodies.CodeTable
        self.datas = [] if datas is None else datas  # or a segments.DataSegments
        self.customs = [] if customs is None else customs
        # Standard sections present in the file although empty (written back the same way).
        self.empty_sections = set() if empty_sections is None else empty_sections
        # `import_counts`'s cache, and the import list (identity, length) it was counted for.
        self._import_counts = {}
        self._import_counts_key = ()

    def __repr__(self) -> str:  # every field but the cache
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _MODULE_FIELDS)
        return f"Module({fields})"

    def replace(self, **changes) -> "Module":
        """A shallow copy with the named fields replaced (what `dataclasses.replace` did)."""
        fields = {name: getattr(self, name) for name in _MODULE_FIELDS}
        fields.update(changes)
        return Module(**fields)

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
