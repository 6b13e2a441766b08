"""The `linking` custom section of relocatable objects (tool-conventions Linking.md, version 2).

`version:u32` then subsections: WASM_SEGMENT_INFO (5), WASM_INIT_FUNCS (6),
WASM_COMDAT_INFO (7), WASM_SYMBOL_TABLE (8). Each is declared below with `construct`
and read into dataclasses; an unknown subsection is kept as bytes. LLVM writes the
subsection sizes as 5-byte padded LEB128; the width is recorded so that
`encode(parse(b)) == b` holds for objects as clang writes them.

Placement: after the data section, before the `reloc.*` sections (LLVM's order).
"""

from dataclasses import dataclass, field

import construct as cs

from ..binary import leb
from ..binary.model import DATA
from ..errors import DecodeError
from . import declarative as d

AFTER = DATA
VERSION = 2

SEGMENT_INFO, INIT_FUNCS, COMDAT_INFO, SYMBOL_TABLE = 5, 6, 7, 8

# Symbol kinds (syminfo.kind).
SYMTAB_FUNCTION, SYMTAB_DATA, SYMTAB_GLOBAL, SYMTAB_SECTION, SYMTAB_TAG, SYMTAB_TABLE = range(6)
SYMBOL_KIND_NAMES = {0: "function", 1: "data", 2: "global", 3: "section", 4: "tag", 5: "table"}

# Symbol flags.
BINDING_WEAK = 0x1
BINDING_LOCAL = 0x2
VISIBILITY_HIDDEN = 0x4
UNDEFINED = 0x10
EXPORTED = 0x20
EXPLICIT_NAME = 0x40
NO_STRIP = 0x80
TLS = 0x100
ABSOLUTE = 0x200

# Segment flags.
SEGMENT_STRINGS = 0x1
SEGMENT_TLS = 0x2
SEGMENT_RETAIN = 0x4

# Comdat member kinds.
COMDAT_DATA, COMDAT_FUNCTION, COMDAT_GLOBAL, COMDAT_TAG, COMDAT_TABLE, COMDAT_SECTION = range(6)


@dataclass
class SegmentInfo:
    name: str
    alignment: int  # log2 of the alignment in bytes
    flags: int


@dataclass
class InitFunc:
    priority: int
    symbol: int  # index into the symbol table


@dataclass
class ComdatMember:
    kind: int
    index: int


@dataclass
class Comdat:
    name: str
    flags: int
    members: list[ComdatMember]


@dataclass(slots=True)  # slots: an object has one per function, global and data item
class Symbol:
    kind: int
    flags: int
    name: str | None = None  # absent for an undefined function/global/tag/table without EXPLICIT_NAME
    index: int | None = None  # function, global, tag, table or section index; None for data
    segment: int | None = None  # defined data symbols: segment index, offset and size in it
    offset: int | None = None
    size: int | None = None

    @property
    def undefined(self) -> bool:
        return bool(self.flags & UNDEFINED)


@dataclass
class Linking:
    version: int = VERSION
    symbols: list[Symbol] | None = None  # None: subsection absent
    segments: list[SegmentInfo] | None = None
    init_funcs: list[InitFunc] | None = None
    comdats: list[Comdat] | None = None
    unknown: dict[int, bytes] = field(default_factory=dict)
    # (subsection id, width of its size field) in file order, for exact re-encoding.
    layout: list[tuple[int, int]] = field(default_factory=list, compare=False)


def _defined_data(ctx) -> bool:
    return ctx.kind == SYMTAB_DATA and not ctx.flags & UNDEFINED


def _has_name(ctx) -> bool:
    if ctx.kind == SYMTAB_DATA:
        return True
    if ctx.kind == SYMTAB_SECTION:
        return False
    return not ctx.flags & UNDEFINED or bool(ctx.flags & EXPLICIT_NAME)


_SYMBOL = d.As(Symbol, cs.Struct(
    "kind" / d.OneOf(d.BYTE, SYMBOL_KIND_NAMES, "symbol kind"),
    "flags" / d.U32,
    "index" / cs.If(lambda ctx: ctx.kind != SYMTAB_DATA, d.U32),
    "name" / cs.If(_has_name, d.NAME),
    "segment" / cs.If(_defined_data, d.U32),
    "offset" / cs.If(_defined_data, d.U64),  # LLVM reads offset and size as 64-bit
    "size" / cs.If(_defined_data, d.U64),
))



class _SymbolTable(cs.Construct):
    """WASM_SYMBOL_TABLE read by hand: the linker reads every object's table, and
    construct's per-field machinery was two thirds of the time it took to read an object.
    The checks and the error wording are `_SYMBOL`'s; writing goes through `_SYMBOL`."""

    _BUILD = d.vec(_SYMBOL)

    def _parse(self, stream, context, path):
        data = stream.getvalue()
        pos = stream.tell()
        try:
            symbols, pos = _read_symbols(data, pos)
        except DecodeError as err:
            raise d._Malformed(err.message, err.offset) from None
        stream.seek(pos)
        return symbols

    def _build(self, obj, stream, context, path):
        return self._BUILD._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise cs.SizeofError("a symbol table has no fixed size", path=path)


def _read_symbols(data: bytes, pos: int) -> tuple[list[Symbol], int]:
    read_u32, read_u64 = leb.read_u32, leb.read_u64
    end = len(data)

    def name_at(pos):
        length, pos = read_u32(data, pos)
        if length > end - pos:
            raise DecodeError("unexpected end", pos)
        try:
            return data[pos:pos + length].decode("utf-8"), pos + length
        except UnicodeDecodeError:
            raise DecodeError("malformed UTF-8 encoding", pos) from None

    count, pos = read_u32(data, pos)
    symbols = []
    append = symbols.append
    for _ in range(count):
        if pos >= end:
            raise DecodeError("unexpected end", pos)
        kind = data[pos]
        if kind not in SYMBOL_KIND_NAMES:
            raise DecodeError(f"unknown symbol kind {kind!r}", pos)
        flags, pos = read_u32(data, pos + 1)
        if kind == SYMTAB_DATA:
            name, pos = name_at(pos)
            if flags & UNDEFINED:
                append(Symbol(kind, flags, name))
            else:
                segment, pos = read_u32(data, pos)
                offset, pos = read_u64(data, pos)
                size, pos = read_u64(data, pos)
                append(Symbol(kind, flags, name, None, segment, offset, size))
        else:
            index, pos = read_u32(data, pos)
            name = None
            if kind != SYMTAB_SECTION and (not flags & UNDEFINED or flags & EXPLICIT_NAME):
                name, pos = name_at(pos)
            append(Symbol(kind, flags, name, index))
    return symbols, pos


_SEGMENT = d.As(SegmentInfo, cs.Struct("name" / d.NAME, "alignment" / d.U32, "flags" / d.U32))


class _SegmentInfo(cs.Construct):
    """WASM_SEGMENT_INFO read by hand, for the same reason as the symbol table (an object
    has a segment per variable and string); writing goes through `_SEGMENT`."""

    _BUILD = d.vec(_SEGMENT)

    def _parse(self, stream, context, path):
        data = stream.getvalue()
        read_u32 = leb.read_u32
        try:
            count, pos = read_u32(data, stream.tell())
            segments = []
            for _ in range(count):
                length, pos = read_u32(data, pos)
                if length > len(data) - pos:
                    raise DecodeError("unexpected end", pos)
                try:
                    name = data[pos:pos + length].decode("utf-8")
                except UnicodeDecodeError:
                    raise DecodeError("malformed UTF-8 encoding", pos) from None
                alignment, pos = read_u32(data, pos + length)
                flags, pos = read_u32(data, pos)
                segments.append(SegmentInfo(name, alignment, flags))
        except DecodeError as err:
            raise d._Malformed(err.message, err.offset) from None
        stream.seek(pos)
        return segments

    def _build(self, obj, stream, context, path):
        return self._BUILD._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise cs.SizeofError("segment info has no fixed size", path=path)
_INIT_FUNC = d.As(InitFunc, cs.Struct("priority" / d.U32, "symbol" / d.U32))
_COMDAT = d.As(Comdat, cs.Struct(
    "name" / d.NAME,
    "flags" / d.U32,
    "members" / d.vec(d.As(ComdatMember, cs.Struct(
        "kind" / d.OneOf(d.BYTE, range(COMDAT_SECTION + 1), "comdat member kind"),
        "index" / d.U32))),
))

_SUBSECTIONS = d.Subsections("linking", {
    SYMBOL_TABLE: ("symbols", "WASM_SYMBOL_TABLE", _SymbolTable()),
    SEGMENT_INFO: ("segments", "WASM_SEGMENT_INFO", _SegmentInfo()),
    INIT_FUNCS: ("init_funcs", "WASM_INIT_FUNCS", d.vec(_INIT_FUNC)),
    COMDAT_INFO: ("comdats", "WASM_COMDAT_INFO", d.vec(_COMDAT)),
})
_HEAD = cs.Struct("version" / d.U32, "end" / cs.Tell, "rest" / cs.GreedyBytes)


def parse(data: bytes, base: int = 0) -> Linking:
    """`base`: the payload's offset in the file, added to error offsets."""
    head = d.parse(_HEAD, data, "linking section", base)
    if head.version != VERSION:
        raise DecodeError(f"malformed linking section: unsupported version {head.version} "
                          f"(only version {VERSION} is defined)", base)
    out = Linking(head.version)
    _SUBSECTIONS.decode_into(out, data, head.end, base)
    return out


def encode(linking: Linking) -> bytes:
    return d.build(d.U32, linking.version, "linking section") + _SUBSECTIONS.encode(linking)


def summary(linking: Linking) -> str:
    parts = [f"version {linking.version}"]
    for label, items in (("symbols", linking.symbols), ("segments", linking.segments),
                         ("init functions", linking.init_funcs), ("comdats", linking.comdats)):
        if items is not None:
            parts.append(f"{len(items)} {label}")
    return ", ".join(parts)
