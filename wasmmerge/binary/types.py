"""Value, heap, reference, storage and composite types; limits; extern types.

Abstract heap types and number types are interned singletons, so `is` and `==` both
work; a concrete heap type is a plain int (a type index, module-relative). The others are
frozen records (`record.py`: a frozen dataclass's behaviour, without its import cost).
"""

from . import spaces
from .record import Frozen, set_field


class NumType:
    """i32, i64, f32, f64 and v128 (v128 is the one vector type)."""

    __slots__ = ("name", "code", "size")

    def __init__(self, name: str, code: int, size: int):
        self.name, self.code, self.size = name, code, size

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_num_by_name, (self.name,))


I32 = NumType("i32", 0x7F, 4)
I64 = NumType("i64", 0x7E, 8)
F32 = NumType("f32", 0x7D, 4)
F64 = NumType("f64", 0x7C, 8)
V128 = NumType("v128", 0x7B, 16)
NUM_TYPES = {t.code: t for t in (I32, I64, F32, F64, V128)}
_NUM_BY_NAME = {t.name: t for t in NUM_TYPES.values()}


def _num_by_name(name):
    return _NUM_BY_NAME[name]


class PackedType:
    """i8 and i16: storage types of struct fields and array elements only."""

    __slots__ = ("name", "code", "size")

    def __init__(self, name, code, size):
        self.name, self.code, self.size = name, code, size

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_packed_by_name, (self.name,))


I8 = PackedType("i8", 0x78, 1)
I16 = PackedType("i16", 0x77, 2)
PACKED_TYPES = {I8.code: I8, I16.code: I16}


def _packed_by_name(name):
    return {"i8": I8, "i16": I16}[name]


class AbsHeap:
    """An abstract heap type: func, extern, any, eq, i31, struct, array, exn and bottoms."""

    __slots__ = ("name", "code")

    def __init__(self, name: str, code: int):
        self.name, self.code = name, code

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __reduce__(self):
        return (abs_heap_by_name, (self.name,))


FUNC = AbsHeap("func", 0x70)
EXTERN = AbsHeap("extern", 0x6F)
ANY = AbsHeap("any", 0x6E)
EQ = AbsHeap("eq", 0x6D)
I31 = AbsHeap("i31", 0x6C)
STRUCT = AbsHeap("struct", 0x6B)
ARRAY = AbsHeap("array", 0x6A)
EXN = AbsHeap("exn", 0x69)
NOFUNC = AbsHeap("nofunc", 0x73)
NOEXTERN = AbsHeap("noextern", 0x72)
NONE = AbsHeap("none", 0x71)
NOEXN = AbsHeap("noexn", 0x74)
ABS_HEAPS = {h.code: h for h in (FUNC, EXTERN, ANY, EQ, I31, STRUCT, ARRAY, EXN, NOFUNC, NOEXTERN, NONE, NOEXN)}
_ABS_BY_NAME = {h.name: h for h in ABS_HEAPS.values()}


def abs_heap_by_name(name: str) -> AbsHeap:
    return _ABS_BY_NAME[name]


HeapType = AbsHeap | int

_SHORT_NAMES = {
    "func": "funcref", "extern": "externref", "any": "anyref", "eq": "eqref", "i31": "i31ref",
    "struct": "structref", "array": "arrayref", "exn": "exnref", "nofunc": "nullfuncref",
    "noextern": "nullexternref", "none": "nullref", "noexn": "nullexnref",
}


class RefType(Frozen):
    __slots__ = ("nullable", "heap", "short")
    # `short`: written as the one-byte shorthand (0x70 funcref) rather than 0x63 0x70.
    # Only the encoding differs, so it takes no part in equality.
    _compared = ("nullable", "heap")

    def __init__(self, nullable: bool, heap: HeapType, short: bool = False):
        set_field(self, "nullable", nullable)
        set_field(self, "heap", heap)
        set_field(self, "short", short)

    def __str__(self) -> str:
        if self.nullable and isinstance(self.heap, AbsHeap):
            return _SHORT_NAMES[self.heap.name]
        return f"(ref {'null ' if self.nullable else ''}{self.heap})"

    __repr__ = __str__


FUNCREF = RefType(True, FUNC, short=True)
EXTERNREF = RefType(True, EXTERN, short=True)
EXNREF = RefType(True, EXN, short=True)

ValType = NumType | RefType
StorageType = ValType | PackedType


def is_num(t) -> bool:
    return isinstance(t, NumType)


def is_ref(t) -> bool:
    return isinstance(t, RefType)


class FuncType(Frozen):
    __slots__ = ("params", "results")

    def __init__(self, params: tuple = (), results: tuple = ()):
        set_field(self, "params", params)
        set_field(self, "results", results)

    def __str__(self):
        return f"[{' '.join(map(str, self.params))}] -> [{' '.join(map(str, self.results))}]"


class FieldType(Frozen):
    __slots__ = ("storage", "mutable")

    def __init__(self, storage: StorageType, mutable: bool = False):
        set_field(self, "storage", storage)
        set_field(self, "mutable", mutable)


class StructType(Frozen):
    __slots__ = ("fields",)

    def __init__(self, fields: tuple = ()):
        set_field(self, "fields", fields)


class ArrayType(Frozen):
    __slots__ = ("field",)

    def __init__(self, field: FieldType):
        set_field(self, "field", field)


CompType = FuncType | StructType | ArrayType


class SubType(Frozen):
    __slots__ = ("comp", "supers", "final", "bare")
    # `bare`: written without the 0x50/0x4F prefix (only a final type with no supertypes
    # can be). Only the encoding differs, so it takes no part in equality.
    _compared = ("comp", "supers", "final")

    def __init__(self, comp: CompType, supers: tuple = (), final: bool = True, bare: bool = True):
        set_field(self, "comp", comp)
        set_field(self, "supers", supers)
        set_field(self, "final", final)
        set_field(self, "bare", bare)


class RecGroup(Frozen):
    """An explicit `rec` group of `size` types starting at type index `start`."""

    __slots__ = ("start", "size")

    def __init__(self, start: int, size: int):
        set_field(self, "start", start)
        set_field(self, "size", size)


class Limits(Frozen):
    __slots__ = ("min", "max", "address64", "shared")

    def __init__(self, min: int, max: int | None = None, address64: bool = False, shared: bool = False):
        set_field(self, "min", min)
        set_field(self, "max", max)
        set_field(self, "address64", address64)
        set_field(self, "shared", shared)

    def with_min(self, min: int) -> "Limits":
        """The same limits with another minimum (a table's or memory's current size)."""
        return Limits(min, self.max, self.address64, self.shared)

    def __str__(self):
        text = f"{self.min}" if self.max is None else f"{self.min}..{self.max}"
        return text + (" i64" if self.address64 else "") + (" shared" if self.shared else "")


class TableType(Frozen):
    __slots__ = ("elem", "limits")

    def __init__(self, elem: RefType, limits: Limits):
        set_field(self, "elem", elem)
        set_field(self, "limits", limits)


class MemType(Frozen):
    __slots__ = ("limits",)

    def __init__(self, limits: Limits):
        set_field(self, "limits", limits)


class GlobalType(Frozen):
    __slots__ = ("type", "mutable")

    def __init__(self, type: ValType, mutable: bool = False):
        set_field(self, "type", type)
        set_field(self, "mutable", mutable)


class TagType(Frozen):
    __slots__ = ("type", "attribute")

    def __init__(self, type: int, attribute: int = 0):  # `type`: index of a function type
        set_field(self, "type", type)
        set_field(self, "attribute", attribute)


def block_signature(blocktype, types) -> tuple[int, int] | None:
    """(parameter count, result count) of a decoded `blocktype` immediate.

    `types` are the module's types, `SubType`s or their composite types. None when the
    block type names a type that is not a function type (the caller says why it cannot).
    """
    if blocktype is None:
        return 0, 0
    if isinstance(blocktype, int):
        comp = types[blocktype]
        if isinstance(comp, SubType):
            comp = comp.comp
        if not isinstance(comp, FuncType):
            return None
        return len(comp.params), len(comp.results)
    return 0, 1


# External kinds, as encoded in imports and exports, and the index space each one adds to.
FUNC_KIND, TABLE_KIND, MEMORY_KIND, GLOBAL_KIND, TAG_KIND = 0, 1, 2, 3, 4
KIND_NAMES = {FUNC_KIND: spaces.FUNC, TABLE_KIND: spaces.TABLE, MEMORY_KIND: spaces.MEMORY,
              GLOBAL_KIND: spaces.GLOBAL, TAG_KIND: spaces.TAG}
