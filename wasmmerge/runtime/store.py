"""The store: every function, table, memory, global, tag and segment instance, by address.

Instances are plain objects that the engine holds directly (a prepared `call` names its
`FuncInstance`, a load its memory's bytearray); `addr` is the index in the store's list
of that kind, as the spec's embedding interface speaks of addresses.
"""

from ..binary.types import (FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND, FuncType,
                            GlobalType, Limits, MemType, SubType, TableType, TagType)
from ..errors import Exhaustion, Trap
from ..validator.canon import TypeStore

PAGE_SIZE = 65536
# Memories never grow past this many pages, whatever their maximum says: a Python
# bytearray of 4 GiB is no use to anyone, and the spec lets growth fail.
DEFAULT_MAX_PAGES = 65536 // 4
MAX_TABLE_SIZE = 10_000_000  # elements, for the same reason


class FuncInstance:
    """A wasm function (module + body) or a host function (a Python callable)."""

    __slots__ = ("addr", "type", "type_id", "module", "code", "index", "host", "prepared", "name")

    def __init__(self, type: FuncType, module=None, code=None, index=None, host=None, name=None,
                 type_id=None):
        self.addr = None
        self.type = type
        self.type_id = type_id  # canonical id in the store's TypeStore (for subtyping checks)
        self.module = module  # its ModuleInstance (None for host functions)
        self.code = code      # model.Code
        self.index = index    # in its module's function index space
        self.host = host      # callable(*args) -> None | value | sequence of values
        self.prepared = None  # engine form, made on first call
        self.name = name

    kind = FUNC_KIND

    def __repr__(self):
        what = self.name or (f"func {self.index}" if self.host is None else "host func")
        return f"<{what} {self.type}>"


class TableInstance:
    __slots__ = ("addr", "type", "elem_type", "elems", "max")

    kind = TABLE_KIND

    def __init__(self, type: TableType, init=None, elem_type=None):
        self.addr = None
        self.type = type
        self.elem_type = elem_type or type.elem  # with canonical type ids
        if type.limits.min > MAX_TABLE_SIZE:
            raise Exhaustion(f"out of memory: a table of {type.limits.min} elements")
        self.elems = [init] * type.limits.min
        self.max = type.limits.max

    def grow(self, delta: int, init=None) -> int:
        """Grow by `delta` slots; the old size, or -1 when it cannot."""
        old = len(self.elems)
        new = old + delta
        limit = self.max if self.max is not None else self.type.limits.address64 and (1 << 64) - 1 or 0xFFFF_FFFF
        if new > limit or new > MAX_TABLE_SIZE:
            return -1
        self.elems.extend([init] * delta)
        return old

    def get(self, index: int):
        if index >= len(self.elems):
            raise Trap("out of bounds table access")
        return self.elems[index]

    def set(self, index: int, value):
        if index >= len(self.elems):
            raise Trap("out of bounds table access")
        self.elems[index] = value

    @property
    def size(self) -> int:
        return len(self.elems)


class MemoryInstance:
    """Linear memory; `data` is one bytearray for the memory's life (grown in place)."""

    __slots__ = ("addr", "type", "data", "max")

    kind = MEMORY_KIND

    def __init__(self, type: MemType, max_pages: int = DEFAULT_MAX_PAGES):
        self.addr = None
        self.type = type
        if type.limits.min > max_pages:
            raise Exhaustion(f"out of memory: a memory of {type.limits.min} pages "
                             f"(this store allows {max_pages})")
        self.data = bytearray(type.limits.min * PAGE_SIZE)
        limit = type.limits.max if type.limits.max is not None else 1 << 48
        self.max = min(limit, max_pages)

    @property
    def pages(self) -> int:
        return len(self.data) // PAGE_SIZE

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages; the old size in pages, or -1 when it cannot."""
        old = self.pages
        if old + delta > self.max:
            return -1
        self.data.extend(bytes(delta * PAGE_SIZE))
        return old

    def read(self, address: int, size: int) -> bytes:
        if address + size > len(self.data):
            raise Trap("out of bounds memory access")
        return bytes(self.data[address:address + size])

    def write(self, address: int, data: bytes):
        if address + len(data) > len(self.data):
            raise Trap("out of bounds memory access")
        self.data[address:address + len(data)] = data


class GlobalInstance:
    __slots__ = ("addr", "type", "value_type", "value")

    kind = GLOBAL_KIND

    def __init__(self, type: GlobalType, value, value_type=None):
        self.addr = None
        self.type = type
        self.value_type = value_type or type.type  # with canonical type ids
        self.value = value


class TagInstance:
    """An exception tag; exceptions match a catch clause by tag identity."""

    __slots__ = ("addr", "type", "functype", "type_id")

    kind = TAG_KIND

    def __init__(self, type: TagType, functype: FuncType, type_id=None):
        self.addr = None
        self.type = type
        self.functype = functype
        self.type_id = type_id  # canonical id of functype


class ExnInstance:
    """A thrown exception: its tag and payload (what an exnref refers to)."""

    __slots__ = ("tag", "values")

    def __init__(self, tag: TagInstance, values: list):
        self.tag = tag
        self.values = values

    def __repr__(self):
        return f"<exception {self.tag.functype} {self.values}>"


class ElemInstance:
    """An element segment's references; emptied by elem.drop."""

    __slots__ = ("addr", "type", "elems")

    def __init__(self, type, elems: list):
        self.addr = None
        self.type = type
        self.elems = elems


class DataInstance:
    """A data segment's bytes; emptied by data.drop."""

    __slots__ = ("addr", "data")

    def __init__(self, data: bytes):
        self.addr = None
        self.data = data


class Store:
    """All instances, by address, plus the engine's limits.

    `max_call_depth`: frames before "call stack exhausted"; `fuel`: instructions left
    before "out of fuel" (None: unlimited), consumed across invocations.
    """

    def __init__(self, max_call_depth: int = 10_000, fuel: int | None = None,
                 max_memory_pages: int = DEFAULT_MAX_PAGES, engine: str = "reference"):
        self.funcs: list[FuncInstance] = []
        self.tables: list[TableInstance] = []
        self.memories: list[MemoryInstance] = []
        self.globals: list[GlobalInstance] = []
        self.tags: list[TagInstance] = []
        self.elems: list[ElemInstance] = []
        self.datas: list[DataInstance] = []
        self.max_call_depth = max_call_depth
        self.fuel = fuel
        self.max_memory_pages = max_memory_pages
        self.reentry = 0  # nested invocations in progress (host functions calling back in)
        self.engine = engine  # "reference", or "compiled" (runtime/compiled: wasm as Python)
        self.types = TypeStore()  # canonical types of every module and host function

    def _add(self, space: list, inst):
        inst.addr = len(space)
        space.append(inst)
        return inst

    # -- allocation (the embedding interface's func_alloc, table_alloc, ...) ------------

    def alloc_host_func(self, type: FuncType, fn, name: str | None = None) -> FuncInstance:
        type_id = self.types.add_types([SubType(type)])[0]
        return self._add(self.funcs, FuncInstance(type, host=fn, name=name, type_id=type_id))

    def alloc_func(self, inst: FuncInstance) -> FuncInstance:
        return self._add(self.funcs, inst)

    def alloc_table(self, type: TableType, init=None, elem_type=None) -> TableInstance:
        return self._add(self.tables, TableInstance(type, init, elem_type))

    def alloc_memory(self, type: MemType) -> MemoryInstance:
        return self._add(self.memories, MemoryInstance(type, self.max_memory_pages))

    def alloc_global(self, type: GlobalType, value, value_type=None) -> GlobalInstance:
        return self._add(self.globals, GlobalInstance(type, value, value_type))

    def alloc_tag(self, type: TagType, functype: FuncType, type_id=None) -> TagInstance:
        if type_id is None:
            type_id = self.types.add_types([SubType(functype)])[0]
        return self._add(self.tags, TagInstance(type, functype, type_id))

    def alloc_elem(self, type, elems: list) -> ElemInstance:
        return self._add(self.elems, ElemInstance(type, elems))

    def alloc_data(self, data: bytes) -> DataInstance:
        return self._add(self.datas, DataInstance(data))


def limits_match(actual: Limits, expected: Limits) -> bool:
    """Import subtyping of limits: at least as large, and at most as large a maximum."""
    if actual.address64 != expected.address64 or actual.shared != expected.shared:
        return False
    if actual.min < expected.min:
        return False
    if expected.max is None:
        return True
    return actual.max is not None and actual.max <= expected.max
