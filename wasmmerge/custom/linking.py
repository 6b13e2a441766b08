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


@dataclass
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

_SEGMENT = d.As(SegmentInfo, cs.Struct("name" / d.NAME, "alignment" / d.U32, "flags" / d.U32))
_INIT_FUNC = d.As(InitFunc, cs.Struct("priority" / d.U32, "symbol" / d.U32))
_COMDAT = d.As(Comdat, cs.Struct(
    "name" / d.NAME,
    "flags" / d.U32,
    "members" / d.vec(d.As(ComdatMember, cs.Struct(
        "kind" / d.OneOf(d.BYTE, range(COMDAT_SECTION + 1), "comdat member kind"),
        "index" / d.U32))),
))

_SUBSECTIONS = d.Subsections("linking", {
    SYMBOL_TABLE: ("symbols", "WASM_SYMBOL_TABLE", d.vec(_SYMBOL)),
    SEGMENT_INFO: ("segments", "WASM_SEGMENT_INFO", d.vec(_SEGMENT)),
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
