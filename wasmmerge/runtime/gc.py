"""Garbage-collected references: structs, arrays, i31, casts (WebAssembly 3.0 GC).

Objects carry the canonical id of their type (in the store's TypeStore), so casts and
`call_indirect` see the same subtyping. An externref converted to anyref (and back) is
the same Python object: `any.convert_extern` and `extern.convert_any` are identities.
Packed fields (i8, i16) hold their wrapped unsigned value.
"""

from ..binary.types import (ANY, ARRAY, EQ, EXTERN, FUNC, I8, I16, I31, NOEXN, NOEXTERN, NOFUNC,
                            NONE, STRUCT, AbsHeap, ArrayType, NumType, PackedType)
from ..errors import Trap
from .store import FuncInstance

M32 = 0xFFFF_FFFF


class I31Ref:
    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value & 0x7FFF_FFFF

    def __eq__(self, other):
        return isinstance(other, I31Ref) and other.value == self.value

    def __hash__(self):
        return hash(("i31", self.value))

    def __repr__(self):
        return f"(ref.i31 {self.value})"


class GcStruct:
    __slots__ = ("type_id", "fields")

    def __init__(self, type_id: int, fields: list):
        self.type_id = type_id
        self.fields = fields

    def __repr__(self):
        return f"(struct #{self.type_id} {self.fields})"


class GcArray:
    __slots__ = ("type_id", "elems")

    def __init__(self, type_id: int, elems: list):
        self.type_id = type_id
        self.elems = elems

    def __repr__(self):
        return f"(array #{self.type_id} len {len(self.elems)})"


# -- storage types ------------------------------------------------------------------------

def wrap(t, value):
    """A value as stored in a field of storage type `t`."""
    if t is I8:
        return value & 0xFF
    if t is I16:
        return value & 0xFFFF
    return value


def unpack(t, value, signed: bool):
    """A packed field's value as an i32 (sign- or zero-extended)."""
    if signed:
        bits = 8 if t is I8 else 16
        if value >> (bits - 1):
            return (value - (1 << bits)) & M32
    return value


def default(t):
    return 0 if isinstance(t, (NumType, PackedType)) else None


def read_elements(t, data: bytes, offset: int, count: int) -> list:
    """`count` values of storage type `t` read little-endian from `data` at `offset`."""
    size = t.size
    if offset + count * size > len(data):
        raise Trap("out of bounds memory access")
    return [int.from_bytes(data[offset + i * size:offset + (i + 1) * size], "little")
            for i in range(count)]


# -- casts ----------------------------------------------------------------------------------

_ABS_MEMBERS = {
    ANY: lambda v, types: True, EQ: lambda v, types: isinstance(v, (I31Ref, GcStruct, GcArray)),
    I31: lambda v, types: isinstance(v, I31Ref), STRUCT: lambda v, types: isinstance(v, GcStruct),
    ARRAY: lambda v, types: isinstance(v, GcArray),
    FUNC: lambda v, types: isinstance(v, FuncInstance), EXTERN: lambda v, types: True,
}
_BOTTOMS = (NONE, NOFUNC, NOEXTERN, NOEXN)


def matches(value, heap, nullable: bool, types) -> bool:
    """Whether a reference is in `(ref null? heap)` (heap: abstract, or a canonical id)."""
    if value is None:
        return nullable
    if isinstance(heap, AbsHeap):
        if heap in _BOTTOMS:
            return False
        test = _ABS_MEMBERS.get(heap)
        return test is not None and test(value, types)
    type_id = getattr(value, "type_id", None)
    if type_id is None or not isinstance(value, (GcStruct, GcArray, FuncInstance)):
        return False
    return types.is_subtype(type_id, heap)


def ref_eq(a, b) -> int:
    if a is None or b is None:
        return 1 if a is b else 0
    if isinstance(a, I31Ref):
        return 1 if a == b else 0
    return 1 if a is b else 0


# -- instruction bodies (callouts: they take the value stack last) ------------------------------

def struct_new(type_id, count, storage, stack):
    fields = stack[len(stack) - count:] if count else []
    del stack[len(stack) - count:]
    stack.append(GcStruct(type_id, [wrap(t, v) for t, v in zip(storage, fields)]))


def struct_new_default(type_id, storage, stack):
    stack.append(GcStruct(type_id, [default(t) for t in storage]))


def _struct(ref):
    if ref is None:
        raise Trap("null structure reference")
    return ref


def struct_get(index, storage, signed, stack):
    value = _struct(stack[-1]).fields[index]
    stack[-1] = unpack(storage, value, signed) if isinstance(storage, PackedType) else value


def struct_set(index, storage, stack):
    value = stack.pop()
    _struct(stack.pop()).fields[index] = wrap(storage, value)


MAX_ARRAY = 10_000_000  # elements; a bigger array is a trap rather than a MemoryError


def _new_array(type_id, count, elems_fn):
    if count > MAX_ARRAY:
        raise Trap("out of memory: array too large")
    return GcArray(type_id, elems_fn())


def array_new(type_id, storage, stack):
    count = stack.pop()
    init = wrap(storage, stack[-1])
    stack[-1] = _new_array(type_id, count, lambda: [init] * count)


def array_new_default(type_id, storage, stack):
    count = stack[-1]
    stack[-1] = _new_array(type_id, count, lambda: [default(storage)] * count)


def array_new_fixed(type_id, count, storage, stack):
    values = stack[len(stack) - count:] if count else []
    del stack[len(stack) - count:]
    stack.append(GcArray(type_id, [wrap(storage, v) for v in values]))


def array_new_data(type_id, storage, data, stack):
    count = stack.pop()
    offset = stack[-1]
    if count > MAX_ARRAY:
        raise Trap("out of bounds memory access")
    stack[-1] = GcArray(type_id, read_elements(storage, data.data, offset, count))


def array_new_elem(type_id, elem, stack):
    count = stack.pop()
    offset = stack[-1]
    if offset + count > len(elem.elems):
        raise Trap("out of bounds table access")
    stack[-1] = GcArray(type_id, elem.elems[offset:offset + count])


def _array(ref):
    if ref is None:
        raise Trap("null array reference")
    return ref


def array_get(storage, signed, stack):
    index = stack.pop()
    elems = _array(stack[-1]).elems
    if index >= len(elems):
        raise Trap("out of bounds array access")
    value = elems[index]
    stack[-1] = unpack(storage, value, signed) if isinstance(storage, PackedType) else value


def array_set(storage, stack):
    value = stack.pop()
    index = stack.pop()
    elems = _array(stack.pop()).elems
    if index >= len(elems):
        raise Trap("out of bounds array access")
    elems[index] = wrap(storage, value)


def array_len(stack):
    stack[-1] = len(_array(stack[-1]).elems)


def array_fill(storage, stack):
    count = stack.pop()
    value = wrap(storage, stack.pop())
    start = stack.pop()
    elems = _array(stack.pop()).elems
    if start + count > len(elems):
        raise Trap("out of bounds array access")
    elems[start:start + count] = [value] * count


def array_copy(stack):
    count = stack.pop()
    s = stack.pop()
    src = _array(stack.pop()).elems
    d = stack.pop()
    dst = _array(stack.pop()).elems
    if s + count > len(src) or d + count > len(dst):
        raise Trap("out of bounds array access")
    dst[d:d + count] = src[s:s + count]


def array_init_data(storage, data, stack):
    count = stack.pop()
    s = stack.pop()
    d = stack.pop()
    elems = _array(stack.pop()).elems
    if d + count > len(elems):
        raise Trap("out of bounds array access")
    elems[d:d + count] = read_elements(storage, data.data, s, count)


def array_init_elem(elem, stack):
    count = stack.pop()
    s = stack.pop()
    d = stack.pop()
    elems = _array(stack.pop()).elems
    if d + count > len(elems):
        raise Trap("out of bounds array access")
    if s + count > len(elem.elems):
        raise Trap("out of bounds table access")
    elems[d:d + count] = elem.elems[s:s + count]


def ref_i31(value):
    return I31Ref(value)


def i31_get(signed, ref):
    if ref is None:
        raise Trap("null i31 reference")
    value = ref.value
    if signed and value >> 30:
        return (value - (1 << 31)) & M32
    return value


def ref_test(heap, nullable, types, ref):
    return 1 if matches(ref, heap, nullable, types) else 0


def ref_cast(heap, nullable, types, ref):
    if not matches(ref, heap, nullable, types):
        raise Trap("cast failure")
    return ref


def identity(ref):
    return ref


def composite(module, typeidx):
    return module.types[typeidx]


def field_storage(comp) -> list:
    return [f.storage for f in comp.fields]


def element_storage(comp: ArrayType):
    return comp.field.storage

