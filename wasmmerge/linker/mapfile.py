"""The link map (-Map=FILE, --print-map): where every section, function and data chunk went.

Modelled on wasm-ld's map: one line per output section (file offset and size), under
CODE one line per function with the object it came from and its offset in the section,
under DATA one line per output segment (its address) and per input segment with the
symbols it defines. Columns: Addr (memory address, `-` where none), Off (file offset),
Size, then the indented name.
"""

from .symbols import SYMTAB_DATA


def _line(addr, off, size, depth: int, text: str) -> str:
    addr_text = f"{addr:x}" if addr is not None else "-"
    return f"{addr_text:>8} {off:>8x} {size:>8x} {'        ' * depth}{text}"


def render_map(result) -> str:
    layout = result.layout
    lines = [f"{'Addr':>8} {'Off':>8} {'Size':>8} Out     In      Symbol"]
    data_symbols = {}
    for obj in result.symtab.objects:
        for sym in obj.resolved:
            if sym.kind == SYMTAB_DATA and sym.file is obj and sym.segment is not None and sym.address is not None:
                data_symbols.setdefault(id(sym.segment), []).append(sym)
    for label, off, size in result.sections:
        lines.append(_line(None, off, size, 0, label))
        if label == "CODE":
            for f in layout.functions:
                chunk = f.chunk
                if chunk is None:
                    continue
                fsize = chunk.end - chunk.size_start
                lines.append(_line(None, off + chunk.out_offset, fsize, 1, f"{chunk.file.name}:({chunk.name})"))
                if chunk.name:
                    lines.append(_line(None, off + chunk.out_offset, fsize, 2, chunk.name))
            for f in layout.functions:
                if f.chunk is None:
                    lines.append(_line(None, off, 0, 1, f"<internal>:({f.name})"))
        elif label == "DATA":
            for seg in layout.segments:
                lines.append(_line(seg.start, off, seg.size, 1, seg.name))
                for chunk in seg.chunks:
                    addr = seg.start + chunk.out_offset
                    if chunk.file is None:  # merged string segments
                        sources = ", ".join(f"{c.file.name}:({c.name})" for c in chunk.sources)
                        lines.append(_line(addr, off, chunk.size, 2, f"<merged strings of {sources}>"))
                        continue
                    lines.append(_line(addr, off, chunk.size, 2, f"{chunk.file.name}:({chunk.name})"))
                    for sym in data_symbols.get(id(chunk), ()):
                        lines.append(_line(sym.address, off, sym.size, 3, sym.name))
    return "\n".join(lines) + "\n"
