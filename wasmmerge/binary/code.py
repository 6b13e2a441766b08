"""Instruction streams: decode and encode, driven by the opcode table.

`decode_code` turns bytes into a flat list of `Instr`; `encode_instrs` is its inverse for
minimal encodings. Both learn each instruction's immediates from `opcodes.py`, and the
layout of each immediate kind from `spaces.py`: `READERS` and `WRITERS` hold one entry
per kind.
"""

from collections import namedtuple

from ..errors import DecodeError
from . import leb
from ..features import ALL
from .opcodes import ALL_OPS, PREFIXED, SINGLE, Op
from .spaces import MEMORY, S32, S64, U32, by_layout
from .types import ABS_HEAPS, NUM_TYPES, AbsHeap, NumType, RefType
from .valtypes import byte_at, read_heaptype, read_reftype, read_valtype, write_heaptype, write_valtype  # noqa: F401 (the codec's names for them)

MemArg = namedtuple("MemArg", "align offset memory")
# kind: 0 catch, 1 catch_ref, 2 catch_all, 3 catch_all_ref; tag is None for catch_all*.
Catch = namedtuple("Catch", "kind tag label")

BLOCK_OPENERS = frozenset(("block", "loop", "if", "try", "try_table"))
NEEDS_DATACOUNT = frozenset(("memory.init", "data.drop"))


class Instr:
    """One decoded instruction: its table row, immediate values, and offset in the file."""

    __slots__ = ("op", "args", "offset")

    def __init__(self, op: Op, args: tuple, offset: int):
        self.op, self.args, self.offset = op, args, offset

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self) -> str:
        args = " ".join(map(str, self.args))
        return f"{self.op.name}{' ' + args if args else ''}"

    def __eq__(self, other):
        return isinstance(other, Instr) and self.op is other.op and self.args == other.args

    __hash__ = None


# Value, reference and heap types: valtypes.py (imported above; also the module reader's).


# -- immediates: one reader and one writer per kind -------------------------------------

def _read_blocktype(data, pos):
    byte = byte_at(data, pos)
    if byte == 0x40:
        return None, pos + 1
    if byte in NUM_TYPES or byte in ABS_HEAPS or byte in (0x63, 0x64):
        return read_valtype(data, pos)
    value, end = leb.read_s33(data, pos)
    if value < 0:
        raise DecodeError("malformed block type", pos)
    return value, end


def _read_labels(data, pos):
    count, pos = leb.read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    labels = []
    for _ in range(count + 1):
        label, pos = leb.read_u32(data, pos)
        labels.append(label)
    return tuple(labels), pos


def _read_memarg(data, pos):
    flags, pos = leb.read_u32(data, pos)
    memory = 0
    if flags >= 0x80:
        raise DecodeError("malformed memop flags", pos)
    if flags & 0x40:
        memory, pos = leb.read_u32(data, pos)
        flags -= 0x40
    offset, pos = leb.read_u64(data, pos)
    return MemArg(flags, offset, memory), pos


def _read_fixed(size):
    def read(data, pos):
        end = pos + size
        if end > len(data):
            raise DecodeError("unexpected end", len(data))
        return int.from_bytes(data[pos:end], "little"), end
    return read


def _read_shuffle(data, pos):
    end = pos + 16
    if end > len(data):
        raise DecodeError("unexpected end", len(data))
    return bytes(data[pos:end]), end


def _read_byte(data, pos):
    return byte_at(data, pos), pos + 1


def _read_zero(data, pos):
    if byte_at(data, pos) != 0:
        raise DecodeError("zero byte expected", pos)
    return 0, pos + 1


def _read_castflags(data, pos):
    flags = byte_at(data, pos)
    if flags > 3:
        raise DecodeError("malformed cast flags", pos)
    return flags, pos + 1


def _read_valtypes(data, pos):
    count, pos = leb.read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    types = []
    for _ in range(count):
        t, pos = read_valtype(data, pos)
        types.append(t)
    return tuple(types), pos


def _read_catches(data, pos):
    count, pos = leb.read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    catches = []
    for _ in range(count):
        kind = byte_at(data, pos)
        if kind > 3:
            raise DecodeError("malformed catch clause", pos)
        pos += 1
        tag = None
        if kind < 2:
            tag, pos = leb.read_u32(data, pos)
        label, pos = leb.read_u32(data, pos)
        catches.append(Catch(kind, tag, label))
    return tuple(catches), pos


# Every index, u32, i32, i64, f32, f64 and v128 by its layout; the rest one by one.
READERS = by_layout({U32: leb.read_u32, S32: leb.read_s32, S64: leb.read_s64}, _read_fixed)
READERS.update({
    "blocktype": _read_blocktype, "labels": _read_labels, "memarg": _read_memarg,
    "heaptype": read_heaptype, "valtypes": _read_valtypes, "catches": _read_catches,
    "lane": _read_byte, "shuffle": _read_shuffle, "castflags": _read_castflags, "zero": _read_zero,
})


def _write_blocktype(value):
    if value is None:
        return b"\x40"
    if isinstance(value, int):
        return leb.write_signed(value)
    return write_valtype(value)


def _write_memarg(m):
    if m.memory:
        return leb.write_unsigned(m.align | 0x40) + leb.write_unsigned(m.memory) + leb.write_unsigned(m.offset)
    return leb.write_unsigned(m.align) + leb.write_unsigned(m.offset)


def _write_vec(items, write):
    return leb.write_unsigned(len(items)) + b"".join(write(x) for x in items)


def _write_catch(c):
    out = bytes((c.kind,))
    if c.tag is not None:
        out += leb.write_unsigned(c.tag)
    return out + leb.write_unsigned(c.label)


def _write_fixed(size):
    return lambda v: v.to_bytes(size, "little")


WRITERS = by_layout({U32: leb.write_unsigned, S32: leb.write_signed, S64: leb.write_signed}, _write_fixed)
WRITERS.update({
    "blocktype": _write_blocktype,
    "labels": lambda labels: leb.write_unsigned(len(labels) - 1) + b"".join(map(leb.write_unsigned, labels)),
    "memarg": _write_memarg, "heaptype": write_heaptype,
    "valtypes": lambda ts: _write_vec(ts, write_valtype),
    "catches": lambda cs: _write_vec(cs, _write_catch),
    "lane": lambda v: bytes((v,)), "shuffle": bytes, "castflags": lambda v: bytes((v,)),
    "zero": lambda v: b"\x00",
})


def _read_memarg_single(data, pos):
    # Without multi-memory, flag bit 6 is no memory-index marker, and the 2.0 suite
    # rejects alignments whose power of two does not fit in 32 bits.
    flags, after = leb.read_u32(data, pos)
    if flags >= 32:
        raise DecodeError("malformed memop flags", pos)
    offset, after = leb.read_u32(data, after)
    return MemArg(flags, offset, 0), after


# Without multi-memory, memory-index immediates are reserved zero bytes.
SINGLE_MEMORY_READERS = dict(READERS, **{MEMORY: _read_zero, "memarg": _read_memarg_single})



# What an instruction does to the block structure the decoder tracks.
_OPENS, _CLOSES, _MIDDLE, _NEEDS_DATACOUNT = 1, 2, 3, 4
_FLOW = {}
for _op in ALL_OPS:
    if _op.name in BLOCK_OPENERS:
        _FLOW[_op] = _OPENS
    elif _op.name in ("end", "delegate"):
        _FLOW[_op] = _CLOSES
    elif _op.name in ("else", "catch", "catch_all"):
        _FLOW[_op] = _MIDDLE
    elif _op.name in NEEDS_DATACOUNT:
        _FLOW[_op] = _NEEDS_DATACOUNT


class Profile:
    """What a decoder accepts under a feature set: its opcodes and immediate readers."""

    def __init__(self, features):
        enabled = features | {"mvp"}
        self.single = {code: op for code, op in SINGLE.items() if op.feature in enabled}
        self.prefixed = {prefix: {code: op for code, op in ops.items() if op.feature in enabled}
                         for prefix, ops in PREFIXED.items()}
        self.multi_memory = "multi-memory" in features
        table = READERS if self.multi_memory else SINGLE_MEMORY_READERS
        self.readers = {op: tuple(table[kind] for kind in op.imms) for op in ALL_OPS}
        # The decode loop's view of an instruction: (op, readers, flow, the reader when it
        # is the only one), by first byte for one-byte opcodes (None for prefixes and
        # illegal bytes), by op for the rest.
        self.entries = {op: (op, self.readers[op], _FLOW.get(op),
                             self.readers[op][0] if len(self.readers[op]) == 1 else None)
                        for op in ALL_OPS}
        self.by_byte = [self.entries[self.single[b]] if b in self.single else None for b in range(256)]


_PROFILES: dict = {}


def profile(features=None) -> Profile:
    key = ALL if features is None else frozenset(features)
    found = _PROFILES.get(key)
    if found is None:
        found = _PROFILES[key] = Profile(key)
    return found


def _features(features, multi_memory: bool):
    if features is not None:
        return features
    return ALL if multi_memory else ALL - {"multi-memory"}


# -- instruction streams ----------------------------------------------------------------

# Everything we read: the profile of callers that name none (built once, at import).
ALL_PROFILE = profile()


def read_op(data, pos: int, prof: Profile = ALL_PROFILE) -> tuple[Op, int]:
    """The opcode at `pos` and the position of its first immediate."""
    byte = byte_at(data, pos)
    op = prof.single.get(byte)
    if op is not None:
        return op, pos + 1
    table = prof.prefixed.get(byte)
    if table is None:
        raise DecodeError(f"illegal opcode {byte:02x}", pos)
    sub, end = leb.read_u32(data, pos + 1)
    op = table.get(sub)
    if op is None:
        raise DecodeError(f"illegal opcode {byte:02x} {sub}", pos)
    return op, end


def decode_instrs(data, pos: int = 0, end: int | None = None, base: int = 0,
                  datacount: bool = True, multi_memory: bool = True,
                  features=None) -> tuple[list[Instr], int]:
    """Decode one expression: instructions up to and including its closing `end`.

    Returns the instructions and the position after the closing `end`. Offsets in the
    instructions and errors are `base + position`. `datacount` says whether the module
    has a data count section, which memory.init and data.drop require. `features`
    (default: all) decides which opcodes are legal and how memory indices are read;
    `multi_memory=False` alone selects the 2.0 memory-index encoding.
    """
    prof = profile(_features(features, multi_memory))
    by_byte = prof.by_byte
    entries = prof.entries
    if end is None:
        end = len(data)
    view = data if (pos == 0 and end == len(data)) else memoryview(data)[:end]
    instrs = []
    append = instrs.append
    depth = 0
    while True:
        if pos >= end:
            raise DecodeError("unexpected end of section or function" if end == len(data) else "END opcode expected",
                              base + pos)
        start = pos
        try:
            entry = by_byte[view[pos]]
            if entry is None:
                op, pos = read_op(view, pos, prof)
                entry = entries[op]
            else:
                pos += 1
            op, readers, flow, only = entry
            if only is not None:
                value, pos = only(view, pos)
                args = (value,)
            elif not readers:
                args = ()
            else:
                args = []
                for read in readers:
                    value, pos = read(view, pos)
                    args.append(value)
                args = tuple(args)
        except DecodeError as err:
            raise _in_module(err, base, end) from None
        append(Instr(op, args, base + start))
        if flow is not None:
            if flow == _OPENS:
                depth += 1
            elif flow == _CLOSES:
                depth -= 1
                if depth < 0:
                    return instrs, pos
            elif flow == _MIDDLE:
                if depth == 0:
                    raise DecodeError("END opcode expected", base + start)
            elif not datacount:
                raise DecodeError("data count section required", base + start)


def _in_module(err: DecodeError, base: int, end: int) -> DecodeError:
    """The error to raise for `err`, raised by an immediate reader, which knows positions in
    the bytes it was given only: made once, with the offset in the module, and saying that
    a read past `end` ran out of the section or function."""
    if err.offset is None:
        return err
    message = err.message
    if message == "unexpected end" and err.offset >= end:
        message = "unexpected end of section or function"
    return DecodeError(message, base + err.offset)


def decode_expr(expr, datacount: bool = True, multi_memory: bool = True, features=None) -> list[Instr]:
    """The instructions of a constant expression (an `Expr`), `end` included."""
    instrs, pos = decode_instrs(expr.code, 0, len(expr.code), expr.offset, datacount, multi_memory, features)
    if pos != len(expr.code):
        raise DecodeError("END opcode expected", expr.offset + pos)
    return instrs


def decode_code(code, datacount: bool = True, multi_memory: bool = True, features=None) -> list[Instr]:
    """The instructions of a function body (a `Code`), final `end` included."""
    instrs, pos = decode_instrs(code.body, 0, len(code.body), code.offset, datacount, multi_memory, features)
    if pos != len(code.body):
        raise DecodeError("section size mismatch", code.offset + pos)
    return instrs


def encode_instr(op: Op, *args) -> bytes:
    out = op.encoding
    for kind, value in zip(op.imms, args):
        out += WRITERS[kind](value)
    return out


def encode_instrs(instrs) -> bytes:
    return b"".join(encode_instr(i.op, *i.args) for i in instrs)
