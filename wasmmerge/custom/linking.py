"""The `linking` custom section of relocatable objects (tool-conventions Linking.md, version 2).

`version:u32` then subsections: WASM_SEGMENT_INFO (5), WASM_INIT_FUNCS (6),
WASM_COMDAT_INFO (7), WASM_SYMBOL_TABLE (8). Each is read by hand into records
(`binary/record.py`: a dataclass's behaviour without its import cost) and written
through its `construct` declaration; an unknown subsection is kept as bytes. LLVM writes
the subsection sizes as 5-byte padded LEB128; the width is recorded so that
`encode(parse(b)) == b` holds for objects as clang writes them.

Placement: after the data section, before the `reloc.*` sections (LLVM's order).
"""

from ..binary import leb
from ..binary.model import DATA
from ..binary.record import Record
from ..errors import DecodeError
from .fields import name_at, vec_at

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


class SegmentInfo(Record):
    __slots__ = ("name", "alignment", "flags")

    def __init__(self, name: str, alignment: int, flags: int):
        self.name = name
        self.alignment = alignment  # log2 of the alignment in bytes
        self.flags = flags


class InitFunc(Record):
    __slots__ = ("priority", "symbol")

    def __init__(self, priority: int, symbol: int):
        self.priority = priority
        self.symbol = symbol  # index into the symbol table


class ComdatMember(Record):
    __slots__ = ("kind", "index")

    def __init__(self, kind: int, index: int):
        self.kind = kind
        self.index = index


class Comdat(Record):
    __slots__ = ("name", "flags", "members")

    def __init__(self, name: str, flags: int, members: list[ComdatMember]):
        self.name = name
        self.flags = flags
        self.members = members


class Symbol(Record):  # an object has one per function, global and data item
    __slots__ = ("kind", "flags", "name", "index", "segment", "offset", "size")

    def __init__(self, kind: int, flags: int, name: str | None = None, index: int | None = None,
                 segment: int | None = None, offset: int | None = None, size: int | None = None):
        self.kind = kind
        self.flags = flags
        self.name = name  # absent for an undefined function/global/tag/table without EXPLICIT_NAME
        self.index = index  # function, global, tag, table or section index; None for data
        self.segment = segment  # defined data symbols: segment index, offset and size in it
        self.offset = offset
        self.size = size

    @property
    def undefined(self) -> bool:
        return bool(self.flags & UNDEFINED)


class SymbolColumns(Record):
    """A symbol table as columns, the form the linker keeps of every object's: entry `k`
    is `kinds[k]`, `flags[k]`, `names[k]`, `indices[k]` (None for data), and for a
    defined data symbol `data[k]` = (segment, offset, size). A program's objects have
    tens of thousands of entries: a record each cost the link more memory than its
    relocations' headers and most of reading this section. `record(k)`/`records()` give
    the Symbol records the other readers of the section get."""

    __slots__ = ("kinds", "flags", "names", "indices", "data")

    def __init__(self, kinds: bytearray | None = None, flags: list | None = None, names: list | None = None,
                 indices: list | None = None, data: dict | None = None):
        self.kinds = bytearray() if kinds is None else kinds
        self.flags = [] if flags is None else flags
        self.names = [] if names is None else names
        self.indices = [] if indices is None else indices
        self.data = {} if data is None else data

    @classmethod
    def of(cls, records: list[Symbol]) -> "SymbolColumns":
        table = cls(bytearray(r.kind for r in records), [r.flags for r in records], [r.name for r in records],
                    [r.index for r in records])
        table.data = {k: (r.segment, r.offset, r.size) for k, r in enumerate(records)
                      if r.kind == SYMTAB_DATA and r.segment is not None}
        return table

    def __len__(self) -> int:
        return len(self.kinds)

    def record(self, k: int) -> Symbol:
        return Symbol(self.kinds[k], self.flags[k], self.names[k], self.indices[k], *self.data.get(k, ()))

    def records(self) -> list[Symbol]:
        return [self.record(k) for k in range(len(self.kinds))]


class Linking(Record):
    __slots__ = ("version", "symbols", "segments", "init_funcs", "comdats", "unknown", "layout")
    _compared = ("version", "symbols", "segments", "init_funcs", "comdats", "unknown")

    def __init__(self, version: int = VERSION, symbols: list[Symbol] | None = None,
                 segments: list[SegmentInfo] | None = None, init_funcs: list[InitFunc] | None = None,
                 comdats: list[Comdat] | None = None, unknown: dict[int, bytes] | None = None,
                 layout: list[tuple[int, int]] | None = None):
        self.version = version
        self.symbols = symbols  # None: subsection absent
        self.segments = segments
        self.init_funcs = init_funcs
        self.comdats = comdats
        self.unknown = {} if unknown is None else unknown
        # (subsection id, width of its size field) in file order, for exact re-encoding
        # (not compared).
        self.layout = [] if layout is None else layout


# -- reading: by hand ---------------------------------------------------------------------
# The linker reads the section of every object it links, so reading is hand-written
# (construct's per-field machinery cost more than the rest of reading an object, and
# importing construct alone a tenth of a small link). The declarations below, used for
# writing, are the format's reference; each reader follows its declaration field for
# field, with the same checks and wording.

def _read_symbols(data: bytes, pos: int) -> tuple[SymbolColumns, int]:
    # An object has a symbol per function, global and data item: one-byte flags, indices
    # and name lengths (nearly all of them) are decoded inline, into columns.
    read_u32, read_u64 = leb.read_u32, leb.read_u64
    end = len(data)
    count, pos = read_u32(data, pos)
    table = SymbolColumns()
    add_kind, add_flags, add_name, add_index = (table.kinds.append, table.flags.append, table.names.append,
                                                table.indices.append)
    defined_data = table.data
    for k in range(count):
        if pos >= end:
            raise DecodeError("unexpected end", pos)
        kind = data[pos]
        if kind not in SYMBOL_KIND_NAMES:
            raise DecodeError(f"unknown symbol kind {kind!r}", pos)
        flags = data[pos + 1] if pos + 1 < end else 0x80
        if flags < 0x80:
            pos += 2
        else:
            flags, pos = read_u32(data, pos + 1)
        if kind == SYMTAB_DATA:
            name, pos = name_at(data, pos)
            if not flags & UNDEFINED:
                segment, pos = read_u32(data, pos)
                offset, pos = read_u64(data, pos)  # LLVM reads offset and size as 64-bit
                size, pos = read_u64(data, pos)
                defined_data[k] = (segment, offset, size)
            index = None
        else:
            index = data[pos] if pos < end else 0x80
            if index < 0x80:
                pos += 1
            else:
                index, pos = read_u32(data, pos)
            name = None
            if kind != SYMTAB_SECTION and (not flags & UNDEFINED or flags & EXPLICIT_NAME):
                length = data[pos] if pos < end else 0x80
                if length < 0x80 and length < end - pos:
                    pos += 1
                    try:
                        name = str(data[pos:pos + length], "utf-8")
                    except UnicodeDecodeError:
                        raise DecodeError("malformed UTF-8 encoding", pos) from None
                    pos += length
                else:
                    name, pos = name_at(data, pos)
        add_kind(kind)
        add_flags(flags)
        add_name(name)
        add_index(index)
    return table, pos


def symbol_kinds(data: bytes) -> bytearray:
    """The kind of each entry of a linking section's symbol table (`data`: the payload),
    read without the rest: for a process that checks relocations ahead of the linker
    (objects.relocations_alone), which needs no names. Follows `_read_symbols` field for
    field but checks nothing: the linker reads the section whole too, and refuses it
    there if it is malformed (this then raises anything, or reads some kinds)."""
    read_u32 = leb.read_u32
    version, pos = read_u32(data, 0)
    end = len(data)
    while pos < end:  # to the symbol table's subsection
        sid = data[pos]
        size, payload = read_u32(data, pos + 1)
        pos = payload + size
        if sid == SYMBOL_TABLE:
            break
    else:
        return bytearray()
    count, pos = read_u32(data, payload)
    kinds = bytearray(count)
    for k in range(count):
        kind = kinds[k] = data[pos]
        flags = data[pos + 1]
        if flags < 0x80:
            pos += 2
        else:
            flags, pos = read_u32(data, pos + 1)
        if kind == SYMTAB_DATA:
            length = data[pos]  # the name
            pos = pos + 1 + length if length < 0x80 else sum(read_u32(data, pos))
            if not flags & UNDEFINED:  # segment, offset and size
                for _ in range(3):
                    while data[pos] & 0x80:
                        pos += 1
                    pos += 1
        else:
            while data[pos] & 0x80:  # the index
                pos += 1
            pos += 1
            if kind != SYMTAB_SECTION and flags & (UNDEFINED | EXPLICIT_NAME) != UNDEFINED:
                length = data[pos]  # the name
                pos = pos + 1 + length if length < 0x80 else sum(read_u32(data, pos))
    return kinds


def _segment(data: bytes, pos: int) -> tuple[SegmentInfo, int]:
    name, pos = name_at(data, pos)
    alignment, pos = leb.read_u32(data, pos)
    flags, pos = leb.read_u32(data, pos)
    return SegmentInfo(name, alignment, flags), pos


def _init_func(data: bytes, pos: int) -> tuple[InitFunc, int]:
    priority, pos = leb.read_u32(data, pos)
    symbol, pos = leb.read_u32(data, pos)
    return InitFunc(priority, symbol), pos


def _comdat_member(data: bytes, pos: int) -> tuple[ComdatMember, int]:
    if pos >= len(data):
        raise DecodeError("unexpected end", pos)
    kind = data[pos]
    if kind > COMDAT_SECTION:
        raise DecodeError(f"unknown comdat member kind {kind!r}", pos)
    index, pos = leb.read_u32(data, pos + 1)
    return ComdatMember(kind, index), pos


def _comdat(data: bytes, pos: int) -> tuple[Comdat, int]:
    name, pos = name_at(data, pos)
    flags, pos = leb.read_u32(data, pos)
    members, pos = vec_at(data, pos, _comdat_member)
    return Comdat(name, flags, members), pos


# Subsection id -> (Linking attribute, subsection name, reader).
_READERS = {
    SYMBOL_TABLE: ("symbols", "WASM_SYMBOL_TABLE", _read_symbols),
    SEGMENT_INFO: ("segments", "WASM_SEGMENT_INFO", lambda data, pos: vec_at(data, pos, _segment)),
    INIT_FUNCS: ("init_funcs", "WASM_INIT_FUNCS", lambda data, pos: vec_at(data, pos, _init_func)),
    COMDAT_INFO: ("comdats", "WASM_COMDAT_INFO", lambda data, pos: vec_at(data, pos, _comdat)),
}


def parse(data: bytes, base: int = 0, columns: bool = False) -> Linking:
    """`base`: the payload's offset in the file, added to error offsets. The symbol table
    is a list of Symbol records, or with `columns` (the linker) a SymbolColumns."""
    try:
        version, pos = leb.read_u32(data, 0)
    except DecodeError as err:
        raise DecodeError(f"malformed linking section: {err.message}", base + err.offset) from None
    if version != VERSION:
        raise DecodeError(f"malformed linking section: unsupported version {version} "
                          f"(only version {VERSION} is defined)", base)
    out = Linking(version)
    end = len(data)
    while pos < end:
        frame_start = pos
        sid = data[pos]
        try:
            size, payload = leb.read_u32(data, pos + 1)
        except DecodeError as err:
            raise DecodeError(f"malformed linking section: {err.message}", base + err.offset) from None
        if size > end - payload:
            raise DecodeError("malformed linking section: unexpected end", base + payload)
        if any(sid == seen for seen, _ in out.layout):
            raise DecodeError(f"malformed linking section: duplicate subsection {sid}", base + frame_start)
        out.layout.append((sid, payload - pos - 1))
        pos = payload + size
        if sid not in _READERS:
            out.unknown[sid] = data[payload:pos]
            continue
        attribute, name, reader = _READERS[sid]
        body = data[payload:pos]
        try:
            value, used = reader(body, 0)
        except DecodeError as err:
            raise DecodeError(f"malformed linking {name} subsection: {err.message}", base + payload + err.offset) \
                from None
        except IndexError:  # a LEB128 read ran off the end
            raise DecodeError(f"malformed linking {name} subsection: unexpected end", base + pos) from None
        if used != size:
            raise DecodeError(f"malformed linking {name} subsection: {size - used} unexpected bytes at the end",
                              base + payload + used)
        setattr(out, attribute, value)
    if out.symbols is not None and not columns:
        out.symbols = out.symbols.records()
    return out


# -- writing: declared with construct ----------------------------------------------------

def _defined_data(ctx) -> bool:
    return ctx.kind == SYMTAB_DATA and not ctx.flags & UNDEFINED


def _has_name(ctx) -> bool:
    if ctx.kind == SYMTAB_DATA:
        return True
    if ctx.kind == SYMTAB_SECTION:
        return False
    return not ctx.flags & UNDEFINED or bool(ctx.flags & EXPLICIT_NAME)


_WRITER = None


def _subsections():
    """The section's construct declaration, built on first use (only writing needs it)."""
    global _WRITER
    if _WRITER is None:
        import construct as cs  # lazy: only writing a linking section needs construct

        from . import declarative as d  # lazy: it imports construct
        symbol = d.As(Symbol, cs.Struct(
            "kind" / d.OneOf(d.BYTE, SYMBOL_KIND_NAMES, "symbol kind"),
            "flags" / d.U32,
            "index" / cs.If(lambda ctx: ctx.kind != SYMTAB_DATA, d.U32),
            "name" / cs.If(_has_name, d.NAME),
            "segment" / cs.If(_defined_data, d.U32),
            "offset" / cs.If(_defined_data, d.U64),  # LLVM reads offset and size as 64-bit
            "size" / cs.If(_defined_data, d.U64),
        ))
        segment = d.As(SegmentInfo, cs.Struct("name" / d.NAME, "alignment" / d.U32, "flags" / d.U32))
        init_func = d.As(InitFunc, cs.Struct("priority" / d.U32, "symbol" / d.U32))
        comdat = d.As(Comdat, cs.Struct(
            "name" / d.NAME,
            "flags" / d.U32,
            "members" / d.vec(d.As(ComdatMember, cs.Struct(
                "kind" / d.OneOf(d.BYTE, range(COMDAT_SECTION + 1), "comdat member kind"),
                "index" / d.U32))),
        ))
        _WRITER = (d, d.Subsections("linking", {
            SYMBOL_TABLE: ("symbols", "WASM_SYMBOL_TABLE", d.vec(symbol)),
            SEGMENT_INFO: ("segments", "WASM_SEGMENT_INFO", d.vec(segment)),
            INIT_FUNCS: ("init_funcs", "WASM_INIT_FUNCS", d.vec(init_func)),
            COMDAT_INFO: ("comdats", "WASM_COMDAT_INFO", d.vec(comdat)),
        }))
    return _WRITER


def encode(linking: Linking) -> bytes:
    d, subsections = _subsections()
    return d.build(d.U32, linking.version, "linking section") + subsections.encode(linking)


def summary(linking: Linking) -> str:
    parts = [f"version {linking.version}"]
    for label, items in (("symbols", linking.symbols), ("segments", linking.segments),
                         ("init functions", linking.init_funcs), ("comdats", linking.comdats)):
        if items is not None:
            parts.append(f"{len(items)} {label}")
    return ", ".join(parts)
