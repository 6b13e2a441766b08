"""The link map (-Map=FILE, --print-map): where every section, function and data chunk went.

Written as wasm-ld writes its map, line for line: one line per output section (the file
offset of its id byte, its whole size); under CODE one line per function in output
order, the linker's own ones (`<internal>:(__wasm_call_ctors)`, stubs, wrappers) among
them, each followed by the symbols it defines; under DATA one line per output segment
and per input segment, with their symbols' addresses and sizes; under GLOBAL one line per
defined global, its index in the Addr column. Columns: Addr (memory address, `-` where
none), Off, Size, then the indented name. Like wasm-ld's, offsets inside CODE and DATA
are the section's file offset plus the offset in the section's payload (not counting
the section header), and symbol names are demangled unless --no-demangle.

The positions are read back from the written module itself, so the map is right whatever
was inserted after the writer ran (--emit-relocs' `linking` and `reloc.*`).
"""

from ..binary import leb
from ..binary.model import CODE, CUSTOM, DATA, GLOBAL
from ..binary.types import GLOBAL_KIND
from .demangle_lazy import shown_symbol  # the grammar loads at the first C++ name
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION
from .writer import SECTION_LABELS

HEADER = "    Addr      Off     Size Out     In      Symbol"


def _line(addr, off: int, size: int, text: str) -> str:
    head = f"       - {off:8x} {size:8x} " if addr is None else f"{addr:8x} {off:8x} {size:8x} "
    return head + text


def _sections(data: bytes):
    """(label, file offset of the id byte, whole size, payload offset) of each section."""
    pos = 8
    while pos < len(data):
        size, head = leb.read_u32(data, pos + 1)
        label = SECTION_LABELS.get(data[pos], str(data[pos]))
        if data[pos] == CUSTOM:
            length, at = leb.read_u32(data, head)
            label = f"CUSTOM({data[at:at + length].decode('utf-8', 'replace')})"
        yield data[pos], label, pos, head + size - pos, head
        pos = head + size


def _entries(data: bytes, payload: int) -> list[tuple[int, int]]:
    """(offset in the payload, size) of each entry of a code section: size field and body."""
    count, at = leb.read_u32(data, payload)
    out = []
    for _ in range(count):
        size, body = leb.read_u32(data, at)
        out.append((at - payload, body + size - at))
        at = body + size
    return out


def _symbols_by_chunk(symtab, demangled) -> dict:
    """id(chunk) -> the symbols each object defines in it, in symbol-table order (a symbol
    is live when its chunk is, as in wasm-ld: aliases nobody named are listed too)."""
    by_chunk = {}
    for obj in symtab.objects:
        for sym in obj.resolved:
            # (a symbol --wrap redirected is no longer its object's, for wasm-ld's map)
            if sym.file is not obj or id(sym) in symtab.wrapped:
                continue
            if sym.kind == SYMTAB_FUNCTION and sym.index >= obj.num_imported[0]:
                chunk = obj.functions[sym.index - obj.num_imported[0]]
            elif sym.kind == SYMTAB_DATA and sym.segment is not None:
                chunk = sym.segment
            else:
                continue
            if chunk.live and not chunk.discarded:
                by_chunk.setdefault(id(chunk), []).append((sym, demangled(sym.name)))
    return by_chunk


def render_map(result) -> str:
    layout, symtab, data = result.layout, result.symtab, result.data
    demangle_cxx = getattr(result, "demangle", True)

    def demangled(name):
        return shown_symbol(name, demangle_cxx)

    by_chunk = _symbols_by_chunk(symtab, demangled)
    # The functions an `undefined_stub` stands for (--unresolved-symbols=ignore-all: one
    # stub per signature), listed under it as wasm-ld lists them, in symbol-table order.
    stubbed = {}
    for sym in symtab.symbols.values():
        if sym.is_stub and not sym.weak and sym.out_index is not None:
            stubbed.setdefault(sym.out_index, []).append(demangled(sym.name))
    lines = [HEADER]
    for sid, label, start, size, payload in _sections(data):
        lines.append(_line(None, start, size, label))
        if sid == CODE:
            first = layout.num_imported_functions
            for index, (f, (off, fsize)) in enumerate(zip(layout.functions, _entries(data, payload)), first):
                where = start + off
                chunk = f.chunk
                if chunk is None:  # stubs are listed by the symbol they stand for
                    name = f.name.partition(":")[2] or f.name
                    lines.append(_line(None, where, fsize, f"        <internal>:({name})"))
                    lines.extend(_line(None, where, 0, f"                {stands_for}")
                                 for stands_for in (stubbed.get(index, ()) if name == "undefined_stub" else ()))
                    continue
                # (a body no symbol names, as in a relinked -r object's losing COMDAT copy: `()`)
                lines.append(_line(None, where, fsize, f"        {chunk.file.name}:({chunk.name or ''})"))
                for _, name in by_chunk.get(id(chunk), ()):
                    lines.append(_line(None, where, fsize, f"                {name}"))
        elif sid == DATA:
            lines.extend(_data_lines(layout, by_chunk, data, start, payload, result.shared_memory))
        elif sid == GLOBAL:
            lines.extend(_global_lines(layout, symtab))
    return "\n".join(lines) + "\n"


def _data_lines(layout, by_chunk, data, start, payload, tls_relative):
    written = {}  # id(segment) -> offset of its header in the payload
    count, at = leb.read_u32(data, payload)
    segments = iter(s for s in layout.segments if getattr(s, "payload_offset", 0))
    for seg in segments:
        written[id(seg)] = at - payload
        at = payload + seg.payload_offset + seg.size
    lines = []
    for seg in layout.segments:
        in_file = id(seg) in written
        lines.append(_line(seg.start, start + written.get(id(seg), 0), seg.size, seg.name))
        for chunk in seg.chunks:
            addr = seg.start + chunk.out_offset
            where = start + seg.payload_offset + chunk.out_offset if in_file else 0
            if chunk.file is None:  # merged string pieces: the linker's own chunk
                lines.append(_line(addr, where, chunk.size, f"        <internal>:({seg.name})"))
                continue
            lines.append(_line(addr, where, chunk.size, f"        {chunk.file.name}:({chunk.name})"))
            for sym, name in by_chunk.get(id(chunk), ()):
                addr = sym.address
                if tls_relative and seg.is_tls:  # wasm-ld: relative to __tls_base
                    addr -= seg.start
                lines.append(_line(addr, where + sym.offset, sym.size, f"                {name}"))
    return lines


def _global_lines(layout, symtab):
    """Globals the objects and the linker define; not GOT entries nor exported data
    addresses, which wasm-ld keeps in lists of their own."""
    data_exports = {name for name, kind, _ in layout.exports
                    if kind == GLOBAL_KIND and getattr(symtab.symbols.get(name), "kind", None) == SYMTAB_DATA}
    lines = []
    for k, g in enumerate(layout.globals):
        if g.name.startswith("GOT.") or g.name in data_exports:
            continue
        lines.append(_line(layout.num_imported_globals + k, 0, 0, f"        {g.name}"))
    return lines
