"""Value, reference and heap types as the binary format writes them.

Apart from the instruction decoder (code.py) because the module reader needs them for
the type, import and global sections of every module, and the opcode table the
instruction decoder is built on is a third of a small link's imports: a link, which
never decodes an instruction, loads only this.
"""

from ..errors import DecodeError
from . import leb
from .types import ABS_HEAPS, NUM_TYPES, AbsHeap, NumType, RefType


def read_heaptype(data, pos: int) -> tuple:
    value, end = leb.read_s33(data, pos)
    if value >= 0:
        return value, end
    heap = ABS_HEAPS.get(value & 0x7F) if value >= -64 else None
    if heap is None:
        raise DecodeError("malformed heap type", pos)
    return heap, end


def read_reftype(data, pos: int) -> tuple:
    byte = byte_at(data, pos)
    if byte in (0x63, 0x64):
        heap, end = read_heaptype(data, pos + 1)
        return RefType(byte == 0x63, heap), end
    heap = ABS_HEAPS.get(byte)
    if heap is None:
        raise DecodeError("malformed reference type", pos)
    return RefType(True, heap, short=True), pos + 1


def read_valtype(data, pos: int) -> tuple:
    byte = byte_at(data, pos)
    num = NUM_TYPES.get(byte)
    if num is not None:
        return num, pos + 1
    if byte in (0x63, 0x64) or byte in ABS_HEAPS:
        return read_reftype(data, pos)
    raise DecodeError("malformed value type", pos)


def write_heaptype(heap) -> bytes:
    if isinstance(heap, AbsHeap):
        return bytes((heap.code,))
    return leb.write_signed(heap)


def write_valtype(t) -> bytes:
    if isinstance(t, NumType):
        return bytes((t.code,))
    if t.short and t.nullable and isinstance(t.heap, AbsHeap):
        return bytes((t.heap.code,))
    return bytes((0x63 if t.nullable else 0x64,)) + write_heaptype(t.heap)


def byte_at(data, pos: int) -> int:
    try:
        return data[pos]
    except IndexError:
        raise DecodeError("unexpected end", pos) from None
