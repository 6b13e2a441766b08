"""Instructions the engine runs out of line: tables, bulk memory, v128 memory access.

Each takes the instances its immediates name (bound by `prepare`) and then the value
stack, popping its operands and pushing its result. Numeric and vector semantics come
from `numerics.OPS` and `simd.OPS` (see `numeric`).
"""

from ..errors import Trap, Unsupported
from . import numerics, simd

MEMORY_OOB = "out of bounds memory access"
TABLE_OOB = "out of bounds table access"
M32 = 0xFFFF_FFFF
M64 = 0xFFFF_FFFF_FFFF_FFFF


def numeric(name: str):
    """The function computing a numeric or vector instruction."""
    fn = numerics.OPS.get(name) or simd.OPS.get(name)
    if fn is None:
        raise Unsupported(f"unsupported: instruction {name}")
    return fn


def simd_load(name: str):
    try:
        return simd.LOADS[name]
    except KeyError:
        raise Unsupported(f"unsupported: instruction {name}") from None


def ref_is_null(value):
    return 1 if value is None else 0


def ref_as_non_null(value):
    if value is None:
        raise Trap("null reference")
    return value


# -- tables ----------------------------------------------------------------------------------

def table_get(table, stack):
    index = stack[-1]
    if index >= len(table.elems):
        raise Trap(TABLE_OOB)
    stack[-1] = table.elems[index]


def table_set(table, stack):
    value = stack.pop()
    index = stack.pop()
    if index >= len(table.elems):
        raise Trap(TABLE_OOB)
    table.elems[index] = value


def table_size(table, stack):
    stack.append(len(table.elems))


def table_grow(table, stack):
    delta = stack.pop()
    init = stack.pop()
    stack.append(table.grow(delta, init) & (M64 if table.type.limits.address64 else M32))


def table_fill(table, stack):
    count = stack.pop()
    value = stack.pop()
    start = stack.pop()
    if start + count > len(table.elems):
        raise Trap(TABLE_OOB)
    table.elems[start:start + count] = [value] * count


def table_copy(dst, src, stack):
    count = stack.pop()
    s = stack.pop()
    d = stack.pop()
    if s + count > len(src.elems) or d + count > len(dst.elems):
        raise Trap(TABLE_OOB)
    dst.elems[d:d + count] = src.elems[s:s + count]


def table_init(table, elem, stack):
    count = stack.pop()
    s = stack.pop()
    d = stack.pop()
    init(table, elem, d, s, count)


def init(table, elem, d, s, count):
    if s + count > len(elem.elems) or d + count > len(table.elems):
        raise Trap(TABLE_OOB)
    table.elems[d:d + count] = elem.elems[s:s + count]


def elem_drop(elem, stack):
    elem.elems = []


# -- memories --------------------------------------------------------------------------------

def memory_size(mem, stack):
    stack.append(len(mem.data) >> 16)


def memory_grow(mem, stack):
    stack[-1] = mem.grow(stack[-1]) & (M64 if mem.type.limits.address64 else M32)


def memory_init(mem, data, stack):
    count = stack.pop()
    s = stack.pop()
    d = stack.pop()
    init_memory(mem, data, d, s, count)


def init_memory(mem, data, d, s, count):
    if s + count > len(data.data) or d + count > len(mem.data):
        raise Trap(MEMORY_OOB)
    mem.data[d:d + count] = data.data[s:s + count]


def data_drop(data, stack):
    data.data = b""


def memory_copy(dst, src, stack):
    count = stack.pop()
    s = stack.pop()
    d = stack.pop()
    if s + count > len(src.data) or d + count > len(dst.data):
        raise Trap(MEMORY_OOB)
    dst.data[d:d + count] = src.data[s:s + count]


def memory_fill(mem, stack):
    count = stack.pop()
    value = stack.pop()
    d = stack.pop()
    if d + count > len(mem.data):
        raise Trap(MEMORY_OOB)
    mem.data[d:d + count] = bytes((value & 0xFF,)) * count


def _read(mem, address, size) -> int:
    if address + size > len(mem.data):
        raise Trap(MEMORY_OOB)
    return int.from_bytes(mem.data[address:address + size], "little")


def _write(mem, address, size, value):
    if address + size > len(mem.data):
        raise Trap(MEMORY_OOB)
    mem.data[address:address + size] = value.to_bytes(size, "little")


def v128_load(mem, offset, size, widen, stack):
    raw = _read(mem, stack[-1] + offset, size)
    stack[-1] = widen(raw) if widen is not None else raw


def v128_store(mem, offset, stack):
    value = stack.pop()
    _write(mem, stack.pop() + offset, 16, value)


def v128_load_lane(mem, offset, size, lane, stack):
    vector = stack.pop()
    raw = _read(mem, stack[-1] + offset, size)
    shift = lane * size * 8
    mask = ((1 << (size * 8)) - 1) << shift
    stack[-1] = (vector & ~mask) | (raw << shift)


def v128_store_lane(mem, offset, size, lane, stack):
    vector = stack.pop()
    raw = (vector >> (lane * size * 8)) & ((1 << (size * 8)) - 1)
    _write(mem, stack.pop() + offset, size, raw)
