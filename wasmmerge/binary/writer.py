"""Module -> bytes: the inverse of reader.py for every encoding choice the model records."""

from itertools import chain

from . import leb
from .valtypes import write_valtype
from .model import (CODE, CUSTOM, DATA, DATACOUNT, ELEMENT, EXPORT, FUNCTION, GLOBAL, IMPORT,
                    MEMORY, SECTION_ORDER, START, TABLE, TAG, TYPE, Module)
from .types import (FUNC_KIND, FUNCREF, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND,
                    ArrayType, FuncType, PackedType, StructType)
from .reader import MAGIC, VERSION
from .segments import DataSegments

u32 = leb.write_unsigned


def _vec(items, write) -> bytes:
    return u32(len(items)) + b"".join(write(x) for x in items)


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return u32(len(raw)) + raw


def _storage(t) -> bytes:
    return bytes((t.code,)) if isinstance(t, PackedType) else write_valtype(t)


def _field(f) -> bytes:
    return _storage(f.storage) + (b"\x01" if f.mutable else b"\x00")


def _comptype(c) -> bytes:
    if isinstance(c, FuncType):
        return b"\x60" + _vec(c.params, write_valtype) + _vec(c.results, write_valtype)
    if isinstance(c, StructType):
        return b"\x5f" + _vec(c.fields, _field)
    if isinstance(c, ArrayType):
        return b"\x5e" + _field(c.field)
    raise TypeError(f"not a composite type: {c!r}")


def _subtype(s) -> bytes:
    if s.bare and s.final and not s.supers:
        return _comptype(s.comp)
    return (b"\x4f" if s.final else b"\x50") + _vec(s.supers, u32) + _comptype(s.comp)


def _types(m: Module) -> bytes:
    groups = {}
    for g in m.rec_groups:
        groups.setdefault(g.start, []).append(g.size)
    entries = []
    i = 0
    n = len(m.types)
    while i <= n:
        for size in groups.get(i, ()):
            entries.append(b"\x4e" + u32(size) + b"".join(_subtype(s) for s in m.types[i:i + size]))
            if size:
                i += size
                break
        else:
            if i < n:
                entries.append(_subtype(m.types[i]))
            i += 1
    return u32(len(entries)) + b"".join(entries)


def _limits(lim, is_memory: bool) -> bytes:
    flags = (1 if lim.max is not None else 0) | (2 if lim.shared else 0) | (4 if lim.address64 else 0)
    out = bytes((flags,)) + u32(lim.min)
    if lim.max is not None:
        out += u32(lim.max)
    return out


def _table_type(t) -> bytes:
    return write_valtype(t.elem) + _limits(t.limits, False)


def _global_type(g) -> bytes:
    return write_valtype(g.type) + (b"\x01" if g.mutable else b"\x00")


def _tag_type(t) -> bytes:
    return bytes((t.attribute,)) + u32(t.type)


def _import(imp) -> bytes:
    out = _name(imp.module) + _name(imp.name) + bytes((imp.kind,))
    if imp.kind == FUNC_KIND:
        return out + u32(imp.type)
    if imp.kind == TABLE_KIND:
        return out + _table_type(imp.type)
    if imp.kind == MEMORY_KIND:
        return out + _limits(imp.type.limits, True)
    if imp.kind == GLOBAL_KIND:
        return out + _global_type(imp.type)
    if imp.kind == TAG_KIND:
        return out + _tag_type(imp.type)
    raise ValueError(f"unknown import kind {imp.kind}")


def _table(t) -> bytes:
    if t.init is not None:
        return b"\x40\x00" + _table_type(t.type) + t.init.code
    return _table_type(t.type)


def _elem_flags(e) -> int:
    uses_exprs = e.exprs is not None
    if e.flags is not None and bool(e.flags & 4) == uses_exprs and _flags_fit(e, e.flags):
        return e.flags
    if e.mode == "passive":
        flags = 1
    elif e.mode == "declarative":
        flags = 3
    else:
        flags = 0 if e.table == 0 and e.type == FUNCREF else 2
    return flags | (4 if uses_exprs else 0)


def _flags_fit(e, flags: int) -> bool:
    mode = ("active", "passive", "active", "declarative")[flags & 3]
    if mode != e.mode:
        return False
    if flags & 3 == 0 and (e.table != 0 or e.type != FUNCREF):
        return False
    if not flags & 4 and e.type != FUNCREF:
        return False
    return True


def _elem(e) -> bytes:
    flags = _elem_flags(e)
    out = u32(flags)
    if e.mode == "active":
        if flags & 2:
            out += u32(e.table)
        out += e.offset.code
    if flags & 3:
        out += write_valtype(e.type) if flags & 4 else b"\x00"
    if flags & 4:
        return out + _vec(e.exprs, lambda x: x.code)
    return out + _vec(e.funcs, u32)


def _data_head(d) -> bytes:
    """A data segment's encoding up to its bytes."""
    if d.mode == "passive":
        return b"\x01" + u32(len(d.data))
    if d.memory != 0 or d.flags == 2:
        head = b"\x02" + u32(d.memory)
    else:
        head = b"\x00"
    return head + d.offset.code + u32(len(d.data))


def _data_parts(datas) -> tuple[list, int]:
    """The data section as pieces: segments' bytes are written as they are, not joined."""
    count = u32(len(datas))
    if isinstance(datas, DataSegments):  # rows over the inputs' bytes: written from them
        return chain([count], datas.encoded_pieces(_data_head)), len(count) + datas.encoded_size(_data_head)
    parts, size = [count], len(count)
    for d in datas:
        head = _data_head(d)
        parts += (head, d.data)
        size += len(head) + len(d.data)
    return parts, size


def code_entry_writer():
    """`entry(code) -> (head, raw_locals)`: what precedes a body in the code section.

    Local declarations repeat (most functions declare a few i32s): each distinct one is
    encoded once.
    """
    local_cache = {}

    def entry(c):
        key = tuple(c.locals)
        raw_locals = local_cache.get(key)
        if raw_locals is None:
            raw_locals = local_cache[key] = _vec(c.locals, lambda g: u32(g[0]) + write_valtype(g[1]))
        return u32(len(raw_locals) + len(c.body)), raw_locals

    return entry


def _code_parts(codes) -> tuple[list[bytes], int]:
    """The code section as pieces written one by one: bodies are the largest thing we
    write, so they are never concatenated into an intermediate section."""
    count = u32(len(codes))
    parts, size = [count], len(count)
    entry = code_entry_writer()
    for c in codes:
        head, raw_locals = entry(c)
        parts += (head, raw_locals, c.body)
        size += len(head) + len(raw_locals) + len(c.body)
    return parts, size


class CodeSection:
    """A code section whose entries are written elsewhere (a merge's spill files):
    `count` entries of `size` bytes in all, written to a file by `write_to(out)`."""

    def __init__(self, count: int, size: int, write_to):
        self.count, self.size, self.write_to = count, size, write_to


def _section_bodies(m: Module, code: CodeSection | None = None) -> dict[int, tuple[list, int]]:
    """Each section to write, as (pieces, total size); pieces are an iterable of bytes
    or callables writing themselves to the output."""
    present = m.empty_sections
    out = {}

    def whole(sid, body: bytes):
        out[sid] = ([body], len(body))

    def put(sid, items, write):
        if items or sid in present:
            whole(sid, _vec(items, write))

    if m.types or m.rec_groups or TYPE in present:
        whole(TYPE, _types(m))
    put(IMPORT, m.imports, _import)
    put(FUNCTION, m.funcs, u32)
    put(TABLE, m.tables, _table)
    put(MEMORY, m.memories, lambda mem: _limits(mem.limits, True))
    put(TAG, m.tags, _tag_type)
    put(GLOBAL, m.globals, lambda g: _global_type(g.type) + g.init.code)
    put(EXPORT, m.exports, lambda e: _name(e.name) + bytes((e.kind,)) + u32(e.index))
    if m.start is not None:
        whole(START, u32(m.start))
    put(ELEMENT, m.elems, _elem)
    if m.datacount is not None:
        whole(DATACOUNT, u32(m.datacount))
    if code is not None and (code.count or CODE in present):
        count = u32(code.count)
        out[CODE] = ([count, code.write_to], len(count) + code.size)
    elif m.codes or CODE in present:
        out[CODE] = _code_parts(m.codes)
    if m.datas or DATA in present:
        out[DATA] = _data_parts(m.datas)
    return out


def encode_module(m: Module) -> bytes:
    parts = []
    _write_sections(m, parts.append, None)
    return b"".join(parts)


def write_module(m: Module, out, code: CodeSection | None = None) -> int:
    """Write `m` to the binary file `out` section by section (nothing joined); return its
    size. `code`: the code section's entries, when they are not in `m.codes`."""
    return _write_sections(m, out.write, code, out)


def _write_sections(m: Module, write, code: CodeSection | None, out=None) -> int:
    bodies = _section_bodies(m, code)
    rank = {sid: i for i, sid in enumerate(SECTION_ORDER)}
    pending = sorted(m.customs, key=lambda c: rank.get(c.after, -1))  # stable
    written = len(MAGIC) + len(VERSION)
    write(MAGIC)
    write(VERSION)

    def emit(sid: int, body: list, size: int):
        nonlocal written
        head = bytes((sid,)) + u32(size)
        write(head)
        for piece in body:
            if callable(piece):
                piece(out)
            else:
                write(piece)
        written += len(head) + size

    def emit_customs_up_to(limit: int):
        while pending and rank.get(pending[0].after, -1) < limit:
            c = pending.pop(0)
            body = _name(c.name) + c.data
            emit(CUSTOM, [body], len(body))

    for sid in SECTION_ORDER:
        if sid in bodies:
            emit_customs_up_to(rank[sid])
            emit(sid, *bodies[sid])
    emit_customs_up_to(len(SECTION_ORDER))
    return written
