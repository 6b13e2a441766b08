"""bytes -> Module. Every read is bounded by its section; every error names an offset."""

from ..errors import DecodeError
from ..features import ALL
from . import leb
from .valtypes import read_reftype, read_valtype
from .model import (CODE, CUSTOM, DATA, DATACOUNT, ELEMENT, EXPORT, FUNCTION, GLOBAL, IMPORT,
                    MEMORY, SECTION_NAMES, SECTION_ORDER, START, TABLE, TAG, TYPE, Code,
                    CustomSection, DataSegment, ElemSegment, Export, Expr, Global, Import,
                    Module, Table)
from .record import Record
from .bodies import CodeTable
from .segments import DataSegments
from .types import (FUNC_KIND, FUNCREF, GLOBAL_KIND, MEMORY_KIND, NUM_TYPES, PACKED_TYPES, TABLE_KIND,
                    TAG_KIND, ArrayType, FieldType, FuncType, GlobalType, Limits, MemType,
                    RecGroup, StructType, SubType, TableType, TagType)

# Opcode byte -> LEB width in bits of the one-instruction constant expressions read fast.
_CONST_BITS = {0x41: 32, 0x42: 64}  # i32.const, i64.const

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
_RANK = {sid: rank for rank, sid in enumerate(SECTION_ORDER)}
MAX_LOCALS = 2**32 - 1


class SectionInfo(Record):
    __slots__ = ("id", "offset", "size", "start", "name")

    def __init__(self, id: int, offset: int, size: int, start: int, name: str | None = None):
        self.id = id
        self.offset = offset  # of the section id byte
        self.size = size  # of the contents
        self.start = start  # of the contents
        self.name = name  # for custom sections

    @property
    def kind(self) -> str:
        return SECTION_NAMES.get(self.id, f"unknown({self.id})")


class Reader:
    """A cursor over `data[pos:end]`."""

    __slots__ = ("data", "pos", "end", "features")

    def __init__(self, data, pos: int, end: int, features=ALL):
        self.data, self.pos, self.end, self.features = data, pos, end, features

    def fail(self, message: str, at: int | None = None):
        raise DecodeError(message, self.pos if at is None else at)

    def byte(self) -> int:
        if self.pos >= self.end:
            self.fail("unexpected end of section or function")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def _bounded(self, read):
        try:
            value, pos = read(self.data, self.pos)
        except DecodeError as err:
            raise _cut_short(err) from None
        if pos > self.end:
            self.fail("unexpected end of section or function")
        self.pos = pos
        return value

    def u32(self) -> int:
        return self._bounded(leb.read_u32)

    def u64(self) -> int:
        return self._bounded(leb.read_u64)

    def bytes(self, n: int) -> bytes:
        if n > self.end - self.pos:
            self.fail("unexpected end of section or function")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def name(self) -> str:
        data, pos = self.data, self.pos
        # The length may be read past the section's end; it is then out of bounds. A
        # one-byte length (nearly every name: objects have one per import) is read inline.
        if pos < len(data) and data[pos] < 0x80:
            size = data[pos]
            pos += 1
        else:
            try:
                size, pos = leb.read_u32(data, pos)
            except DecodeError as err:
                raise _cut_short(err) from None
        self.pos = pos
        if size > self.end - pos:
            self.fail("length out of bounds")
        self.pos = pos + size
        try:
            return str(data[pos:pos + size], "utf-8")
        except UnicodeDecodeError:
            self.fail("malformed UTF-8 encoding", pos)

    def vec(self, read_item) -> list:
        # Never trust the count for allocation: items are appended as they are read,
        # and each takes at least one byte, so a bad count fails at the section's end.
        count = self.u32()
        return [read_item() for _ in range(count)]

    def valtype(self):
        return self._bounded(read_valtype)

    def reftype(self):
        return self._bounded(read_reftype)

    def expr(self) -> Expr:
        start = self.pos
        self.skip_expr()
        return Expr(bytes(self.data[start:self.pos]), start)

    def skip_expr(self) -> bool:
        """Move past a constant expression; True if it is one `i32.const`/`i64.const`
        (whose value no index remapping changes)."""
        start = self.pos
        data = self.data
        bits = _CONST_BITS.get(data[start]) if start < len(data) else None
        if bits is not None:
            # `i32.const N end` / `i64.const N end`, the usual segment offset and global
            # initialiser, read without the instruction decoder (real modules have ~10^5
            # of them); anything else, malformed included, takes the decoder below.
            try:
                _, pos = leb.read_signed(data, start + 1, bits)
            except DecodeError:
                pos = None
            if pos is not None and pos < len(data) and data[pos] == 0x0B:
                self.pos = pos + 1
                return True
        # Like the spec's decoder, read on past the section's end: an expression that
        # overruns it is then reported as a section size mismatch.
        from .code import decode_instrs  # lazy: the opcode table, for a constant expression no fast path reads
        _, end = decode_instrs(self.data, start, len(self.data), features=self.features)
        self.pos = end
        return False


def _cut_short(err: DecodeError) -> DecodeError:
    """The error for `err` raised by a reader inside a section: a read past the end of
    the bytes is the end of the section or function."""
    if err.message == "unexpected end":
        return DecodeError("unexpected end of section or function", err.offset)
    return err


# -- types ------------------------------------------------------------------------------

def _storage(r: Reader):
    packed = PACKED_TYPES.get(r.data[r.pos]) if r.pos < r.end else None
    if packed is not None:
        r.pos += 1
        return packed
    return r.valtype()


def _mutability(r: Reader) -> bool:
    at = r.pos
    flag = r.byte()
    if flag > 1:
        r.fail("malformed mutability", at)
    return flag == 1


def _comptype(r: Reader):
    at = r.pos
    form = r.byte()
    if form == 0x60:
        params = tuple(r.vec(r.valtype))
        results = tuple(r.vec(r.valtype))
        return FuncType(params, results)
    if form == 0x5F:
        return StructType(tuple(r.vec(lambda: FieldType(_storage(r), _mutability(r)))))
    if form == 0x5E:
        return ArrayType(FieldType(_storage(r), _mutability(r)))
    r.fail("integer representation too long" if form >= 0x80 else "malformed type", at)


def _subtype(r: Reader) -> SubType:
    form = r.data[r.pos] if r.pos < r.end else None
    if form in (0x50, 0x4F):
        r.pos += 1
        supers = tuple(r.vec(r.u32))
        return SubType(_comptype(r), supers, final=form == 0x4F, bare=False)
    return SubType(_comptype(r))


def _simple_functype(r: Reader, memo: dict) -> SubType | None:
    """A function type of at most 127 numeric params and results, read in one step.

    The common case, and the one a module of a million types is made of: read as a slice,
    and equal encodings share one (immutable) `SubType`. None: read it the general way.
    """
    data, pos, end = r.data, r.pos, r.end
    if pos + 2 >= end:
        return None
    nparams = data[pos + 1]
    results_at = pos + 2 + nparams
    if nparams >= 0x80 or results_at >= end:
        return None
    nresults = data[results_at]
    stop = results_at + 1 + nresults
    if nresults >= 0x80 or stop > end:
        return None
    key = bytes(data[pos:stop])
    st = memo.get(key)
    if st is None:
        try:
            params = tuple([NUM_TYPES[b] for b in key[2:2 + nparams]])
            results = tuple([NUM_TYPES[b] for b in key[3 + nparams:]])
        except KeyError:
            return None
        st = memo[key] = SubType(FuncType(params, results))
    r.pos = stop
    return st


def _type_section(r: Reader, m: Module):
    count = r.u32()
    memo: dict = {}
    types = m.types
    for _ in range(count):
        if r.pos < r.end and r.data[r.pos] == 0x60:
            st = _simple_functype(r, memo)
            if st is not None:
                types.append(st)
                continue
        if r.pos < r.end and r.data[r.pos] == 0x4E:
            r.pos += 1
            start = len(m.types)
            m.types.extend(r.vec(lambda: _subtype(r)))
            m.rec_groups.append(RecGroup(start, len(m.types) - start))
        else:
            m.types.append(_subtype(r))
    return count


def _limits(r: Reader, is_memory: bool) -> Limits:
    at = r.pos
    flags = r.byte()
    if "memory64" in r.features:
        allowed = 0x07 if is_memory else 0x05
        if flags & ~allowed:
            r.fail("malformed limits flags", at)
    else:
        # 2.0 reads the flags as a one-bit LEB128 (two bits with threads' shared flag).
        if flags & 0x80:
            r.fail("integer representation too long", at)
        if flags > (0x03 if is_memory and "threads" in r.features else 0x01):
            r.fail("integer too large", at)
    is64 = bool(flags & 0x04)
    # 3.0 reads every limit as u64 and lets validation bound it; 2.0 reads u32.
    read = r.u64 if "memory64" in r.features else r.u32
    minimum = read()
    maximum = read() if flags & 0x01 else None
    return Limits(minimum, maximum, is64, bool(flags & 0x02))


def _table_type(r: Reader) -> TableType:
    elem = r.reftype()
    return TableType(elem, _limits(r, False))


def _global_type(r: Reader) -> GlobalType:
    t = r.valtype()
    return GlobalType(t, _mutability(r))


def _tag_type(r: Reader) -> TagType:
    at = r.pos
    attribute = r.byte()
    if attribute != 0:
        r.fail("malformed tag attribute", at)
    return TagType(r.u32(), attribute)


def _import(r: Reader) -> Import:
    module = r.name()
    name = r.name()
    at = r.pos
    kind = r.byte()
    if kind == FUNC_KIND:
        desc = r.u32()
    elif kind == TABLE_KIND:
        desc = _table_type(r)
    elif kind == MEMORY_KIND:
        desc = MemType(_limits(r, True))
    elif kind == GLOBAL_KIND:
        desc = _global_type(r)
    elif kind == TAG_KIND and "exceptions" in r.features:
        desc = _tag_type(r)
    else:
        r.fail("malformed import kind", at)
    return Import(module, name, kind, desc)


read_import = _import  # one import entry at r.pos: the linker's object reader reads the unusual ones with it


def _table(r: Reader) -> Table:
    if r.pos + 1 < r.end and r.data[r.pos] == 0x40:
        at = r.pos + 1
        r.pos += 1
        if r.byte() != 0x00:
            r.fail("malformed table", at)
        ttype = _table_type(r)
        return Table(ttype, r.expr())
    return Table(_table_type(r))


def _export(r: Reader) -> Export:
    name = r.name()
    at = r.pos
    kind = r.byte()
    if kind > (TAG_KIND if "exceptions" in r.features else GLOBAL_KIND):
        r.fail("malformed export kind", at)
    return Export(name, kind, r.u32())


def _elemkind(r: Reader):
    at = r.pos
    if r.byte() != 0x00:
        r.fail("malformed element kind", at)
    return FUNCREF


def _elem(r: Reader) -> ElemSegment:
    at = r.pos
    flags = r.u32()
    if flags > 7:
        r.fail("malformed elements segment kind", at)
    passive_or_declarative = flags & 1
    explicit_table = flags & 2
    uses_exprs = flags & 4
    if passive_or_declarative:
        mode = "declarative" if explicit_table else "passive"
        table, offset = 0, None
    else:
        mode = "active"
        table = r.u32() if explicit_table else 0
        offset = r.expr()
    if flags & 3:  # the element kind or type is written out
        etype = r.reftype() if uses_exprs else _elemkind(r)
    else:
        etype = FUNCREF
    if uses_exprs:
        return ElemSegment(mode, etype, exprs=r.vec(r.expr), table=table, offset=offset, flags=flags)
    return ElemSegment(mode, etype, funcs=r.vec(r.u32), table=table, offset=offset, flags=flags)


def _data(r: Reader) -> DataSegment:
    at = r.pos
    flags = r.u32()
    if flags > 2:
        r.fail("malformed data segment kind", at)
    if flags == 1:
        return DataSegment("passive", r.bytes(r.u32()), flags=flags)
    memory = r.u32() if flags == 2 else 0
    offset = r.expr()
    return DataSegment("active", r.bytes(r.u32()), memory=memory, offset=offset, flags=flags)


def _data_rows(r: Reader, table: DataSegments, buffer: int) -> int:
    """The data section as rows of `table` (see segments.py): what `_data` reads, with
    the same checks and errors, but nothing copied. Returns the segment count."""
    count = r.u32()
    for _ in range(count):
        at = r.pos
        flags = r.u32()
        if flags > 2:
            r.fail("malformed data segment kind", at)
        memory = r.u32() if flags == 2 else 0
        offset_start = offset_end = 0
        constant = False
        if flags != 1:
            offset_start = r.pos
            constant = r.skip_expr()
            offset_end = r.pos
        size = r.u32()
        if size > r.end - r.pos:
            r.fail("unexpected end of section or function")
        table.add_row(buffer, flags, memory, offset_start, offset_end, r.pos, size, constant)
        r.pos += size
    return count


def _code(r: Reader) -> Code:
    """One code entry, its body a copy (`_code_rows` reads the section without copies)."""
    data, pos = r.data, r.pos
    # The common small body without locals, read without a cursor of its own.
    if pos + 1 < r.end and 0 < data[pos] < 0x80 and data[pos + 1] == 0 and pos + 1 + data[pos] <= r.end:
        end = pos + 1 + data[pos]
        r.pos = end
        return Code([], bytes(data[pos + 2:end]), pos + 2)
    start, end, groups, instrs = _sized_body(r)
    r.pos = end
    return Code(groups, bytes(r.data[instrs:end]), instrs)


def _sized_body(r: Reader) -> tuple[int, int, list, int]:
    """A code entry from its size field: (where the body starts, where it ends, its local
    declarations `(count, type)`, where its instructions start)."""
    size = r.u32()
    start = r.pos
    end = start + size
    if end > r.end:
        r.fail("unexpected end of section or function" if r.end < len(r.data) else "unexpected end")
    body = Reader(r.data, start, end)
    groups = []
    total = 0
    for _ in range(body.u32()):
        count = body.u32()
        total += count
        if total > MAX_LOCALS:
            body.fail("too many locals")
        groups.append((count, body.valtype()))
    return start, end, groups, body.pos


def _code_rows(r: Reader, table: CodeTable, buffer: int) -> int:
    """The code section as rows of `table` (see bodies.py): what `_code` reads, with the
    same checks and errors, but no object per body. Returns the body count."""
    count = r.u32()
    data = r.data
    none = table.locals_index(())
    seen: dict = {}  # the encoded local declarations -> their index in `table`
    for _ in range(count):
        pos = r.pos
        # The common small body without locals, read without a cursor of its own.
        if pos + 1 < r.end and 0 < data[pos] < 0x80 and data[pos + 1] == 0 and pos + 1 + data[pos] <= r.end:
            r.pos = pos + 1 + data[pos]
            table.add_row(buffer, pos + 2, r.pos, none)
            continue
        start, end, groups, instrs = _sized_body(r)
        raw = bytes(data[start:instrs])
        index = seen.get(raw)
        if index is None:
            index = seen[raw] = table.locals_index(groups)
        table.add_row(buffer, instrs, end, index)
        r.pos = end
    return count


# -- sections ---------------------------------------------------------------------------

def iter_sections(data):
    """Yield the sections of a module, checked for framing and order but not decoded.

    A generator, so that a decoder consuming it reports the first error in file order.
    """
    if len(data) < 4:
        raise DecodeError("unexpected end", len(data))
    if len(data) < 4 or bytes(data[:4]) != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if len(data) < 8:
        raise DecodeError("unexpected end", len(data))
    if bytes(data[4:8]) != VERSION:
        raise DecodeError("unknown binary version", 4)
    pos = 8
    last_rank = -1
    while pos < len(data):
        offset = pos
        sid = data[pos]
        if sid > TAG:
            raise DecodeError("malformed section id", pos)
        size, pos = leb.read_u32(data, pos + 1)
        if size > len(data) - pos:
            raise DecodeError("length out of bounds", pos)
        info = SectionInfo(sid, offset, size, pos)
        if sid == CUSTOM:
            r = Reader(data, pos, pos + size)
            try:
                info.name = r.name()
            except DecodeError as err:
                # A custom section too short for its own name is cut short, as the spec says.
                if err.message == "length out of bounds":
                    raise DecodeError("unexpected end", err.offset) from None
                raise
        else:
            rank = _RANK[sid]
            if rank <= last_rank:
                raise DecodeError("unexpected content after last section", offset)
            last_rank = rank
        yield info
        pos += size


def _funcidx(r: Reader) -> int:
    return r.u32()


def _memory(r: Reader) -> MemType:
    return MemType(_limits(r, True))


def _global(r: Reader) -> Global:
    return Global(_global_type(r), r.expr())


# Sections that are one vector: the Module list they fill, and how to read one item.
_VECTOR_SECTIONS = {
    IMPORT: ("imports", _import), FUNCTION: ("funcs", _funcidx), TABLE: ("tables", _table),
    MEMORY: ("memories", _memory), TAG: ("tags", _tag_type), GLOBAL: ("globals", _global),
    EXPORT: ("exports", _export), ELEMENT: ("elems", _elem), DATA: ("datas", _data),
    CODE: ("codes", _code),
}


def decode_module(data, lazy: bool = False, features=ALL, views: bool = False) -> Module:
    """Decode a module. With `lazy`, function bodies are split off but not decoded.

    With `views` (and `lazy`), the bodies are a `CodeTable` and the data segments a
    `DataSegments` table, both of byte ranges of `data` (no object or copy each; a body
    read from it is a memoryview into `data`): the merger reads large inputs this way,
    holding their bytes once.
    """
    rows = views and lazy
    m = Module()
    after = 0
    for info in iter_sections(data):
        r = Reader(data, info.start, info.start + info.size, features)
        if info.id == CUSTOM:
            r.name()
            m.customs.append(CustomSection(info.name, bytes(data[r.pos:r.end]), after))
            continue
        after = info.id
        if info.id == TYPE:
            count = _type_section(r, m)
        elif info.id == START:
            m.start = r.u32()
            count = 1
        elif info.id == DATACOUNT:
            m.datacount = r.u32()
            count = 1
        elif info.id == CODE and rows:
            # Bodies as rows over `data` (bodies.py): no object each.
            m.codes = CodeTable()
            count = _code_rows(r, m.codes, m.codes.buffer_index(data))
        elif info.id == DATA and rows:
            # Data segments as rows over `data` (segments.py): no object each.
            m.datas = DataSegments()
            count = _data_rows(r, m.datas, m.datas.buffer_index(data))
        else:
            attr, read_item = _VECTOR_SECTIONS[info.id]
            if info.id == CODE:
                items = r.vec(lambda: _code(r))
            else:
                items = r.vec(lambda: read_item(r))
            getattr(m, attr).extend(items)
            count = len(items)
            if info.id == CODE and not lazy:
                _check_bodies(data, m, features)
        if r.pos != r.end:
            raise DecodeError("section size mismatch", r.pos)
        if count == 0:
            m.empty_sections.add(info.id)
    if len(m.funcs) != len(m.codes):
        raise DecodeError("function and code section have inconsistent lengths", None)
    if m.datacount is not None and m.datacount != len(m.datas):
        raise DecodeError("data count and data section have inconsistent lengths", None)
    return m


def _check_bodies(data, m: Module, features) -> None:
    """Decode every body, as the spec does while reading the code section."""
    from .code import decode_instrs  # lazy: a lazy decode (the linker's) never decodes a body
    has_datacount = m.datacount is not None
    for code in m.codes:
        if code.body == b"\x0b":  # an empty body: nothing to decode
            continue
        # Decode from the file, not the body's slice: a body whose instructions end
        # elsewhere than its declared size is a size mismatch, as in the spec.
        _, end = decode_instrs(data, code.offset, len(data), 0, has_datacount, features=features)
        if end != code.offset + len(code.body):
            raise DecodeError("section size mismatch", end)
