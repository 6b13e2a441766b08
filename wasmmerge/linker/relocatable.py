"""`-r`: link objects into one relocatable object that any wasm linker can link again.

Nothing is collected and nothing is placed for good: every non-discarded function,
global and data segment is kept (segments keep their own names), undefined symbols stay
imports, and memory and table are imported as objects import them. The writer copies
and patches the bodies as for a module (the values are provisional), then this module
adds what makes the result an object: a `linking` section (symbol table, segment info,
init functions, COMDAT groups) and a `reloc.*` section per relocated output section,
every offset rebased onto the output and every index renumbered.
"""

from ..binary.types import FUNC_KIND, GLOBAL_KIND, TABLE_KIND, TAG_KIND
from ..custom import linking as linking_section
from ..custom import reloc as reloc_section
from ..errors import LinkError
from .features import encode_features
from .layout import PAGE, _align
from .objects import relocations
from .output import Layout, OutFunction, OutGlobal, OutImport, OutputSegment
from .tags import plan_tags
from .symbols import (BINDING_LOCAL, BINDING_WEAK, EXPLICIT_NAME, SYMTAB_DATA, SYMTAB_FUNCTION,
                      SYMTAB_GLOBAL, SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG, UNDEFINED)
from .writer import CUSTOM, Writer, _name, _section

# --emit-relocs: what wasm-ld 14 writes as the symbol of a relocation whose symbol was
# removed by --gc-sections (debug info naming a dead function or its data): its "no
# index", -1 as an unsigned LEB. The site itself holds a tombstone.
REMOVED_SYMBOL = 0xFFFFFFFF

_IMPORT_KIND = {SYMTAB_FUNCTION: FUNC_KIND, SYMTAB_GLOBAL: GLOBAL_KIND, SYMTAB_TABLE: TABLE_KIND,
                SYMTAB_TAG: TAG_KIND}


def _plan(symtab, opts) -> Layout:
    out = Layout(table_base=0)
    out.imports.append(OutImport("env", "__linear_memory", 2, None))
    counts = {FUNC_KIND: 0, GLOBAL_KIND: 0, TABLE_KIND: 0, TAG_KIND: 0}
    seen = {}
    for obj in symtab.objects:
        for sym in obj.resolved:
            if sym.defined or sym.kind not in _IMPORT_KIND or sym.local or id(sym) in seen:
                continue
            kind = _IMPORT_KIND[sym.kind]
            if kind == TAG_KIND:  # the tag's function type, in the object that first named it
                desc = obj.module.types[sym.tag_type.type].comp if sym.tag_type is not None else None
            else:
                desc = {FUNC_KIND: sym.signature, GLOBAL_KIND: sym.global_type, TABLE_KIND: sym.table_type}[kind]
            if desc is None:
                raise LinkError(f"undefined symbol {sym.name} has no type", file=obj.name)
            sym.out_index = counts[kind]
            counts[kind] += 1
            seen[id(sym)] = sym
            out.imports.append(OutImport(sym.import_module or "env", sym.import_name or sym.name, kind, desc, sym))
    out.num_imported_functions = counts[FUNC_KIND]
    out.num_imported_globals = counts[GLOBAL_KIND]
    out.num_imported_tags = counts[TAG_KIND]
    global_base = {}  # object -> output index of its first defined global
    for obj in symtab.objects:
        for chunk in (*obj.functions, *obj.datas):
            chunk.live = not chunk.discarded  # nothing is collected
        for chunk in obj.functions:
            if not chunk.discarded:
                chunk.out_index = out.num_imported_functions + len(out.functions)
                out.functions.append(OutFunction(None, obj.module.types[chunk.type_index].comp, chunk))
        ngi = obj.num_imported[GLOBAL_KIND]
        global_base[id(obj)] = out.num_imported_globals + len(out.globals)
        for k, g in enumerate(obj.module.globals):
            out.globals.append(OutGlobal(f"{obj.name}:global{ngi + k}", g.type, g.init.code))
    ptr = 0
    for obj in symtab.objects:
        for chunk in obj.datas:
            if chunk.discarded:
                continue
            seg = OutputSegment(chunk.name, chunk.alignment, chunk.size, [chunk])
            ptr = _align(ptr, 1 << chunk.alignment)
            seg.start = ptr
            ptr += chunk.size
            chunk.output, chunk.out_offset = seg, 0
            out.segments.append(seg)
    out.data_end = ptr
    out.memory_pages = _align(ptr, PAGE) // PAGE
    plan_tags(symtab, out, keep_all=True)
    for obj in symtab.objects:  # provisional values for the writer to patch with
        nfi = obj.num_imported[0]
        ngi = obj.num_imported[GLOBAL_KIND]
        for sym in obj.resolved:
            if sym.file is not obj:
                continue
            if sym.kind == SYMTAB_FUNCTION and sym.index >= nfi:
                sym.out_index = obj.functions[sym.index - nfi].out_index
            elif sym.kind == SYMTAB_GLOBAL and sym.index >= ngi:
                sym.out_index = global_base[id(obj)] + sym.index - ngi
            elif sym.kind == SYMTAB_DATA and sym.segment is not None and sym.segment.output is not None:
                sym.address = sym.segment.output.start + sym.offset
    return out


def write_relocatable(symtab, opts, features=()) -> tuple[bytes, Layout, list]:
    opts.import_memory = ("env", "__linear_memory")  # the writer then keeps .bss and imports memory
    opts.import_table = True
    opts.export_memory = None
    layout = _plan(symtab, opts)
    writer = Writer(layout, symtab, opts)
    body = writer.write(as_object=True)
    section_index = {label: k for k, (label, _, _) in enumerate(writer.sections)}
    symbols, index_of = _symbol_table(symtab, layout, section_index)
    parts = [body]
    linking = linking_section.Linking(
        symbols=symbols,
        segments=[linking_section.SegmentInfo(s.name, s.alignment, s.chunks[0].flags) for s in layout.segments],
        init_funcs=[linking_section.InitFunc(init.priority, index_of[(id(obj), init.symbol)])
                    for obj in symtab.objects for init in obj.init_funcs
                    if (id(obj), init.symbol) in index_of] or None,
        comdats=_comdats(symtab, layout) or None)
    parts.append(_section(CUSTOM, _name("linking") + linking_section.encode(linking)))
    parts.extend(_reloc_sections(symtab, layout, index_of, writer, section_index))
    parts.extend(writer.producers_section())
    target_features = encode_features(features)
    if target_features and (not opts.strip_all or "target_features" in opts.keep_sections):
        parts.append(_section(CUSTOM, _name("target_features") + target_features))  # as wasm-ld -r
    if opts.build_id:
        parts.append(writer.build_id_section())
    return b"".join(parts), layout, writer.sections


def _reloc_sections(symtab, layout, index_of, writer, section_index, removed=None) -> list[bytes]:
    out = []
    # in the order of the sections they apply to, as wasm-ld writes them
    per_section = sorted((item for item in _relocations(symtab, layout, index_of, writer.obj_types, removed)
                          if item[0] in section_index), key=lambda item: section_index[item[0]])
    for label, entries in per_section:
        if entries:
            rs = reloc_section.RelocSection(section_index[label], entries)
            name = "reloc.CODE" if label == "CODE" else "reloc.DATA" if label == "DATA" else f"reloc.{label[7:-1]}"
            out.append(_section(CUSTOM, _name(name) + reloc_section.encode(rs)))
    return out


def add_emitted_relocs(data: bytes, symtab, layout, writer) -> bytes:
    """--emit-relocs: the linked module plus a `linking` symbol table and `reloc.*`
    sections describing its own relocation sites, inserted before the name section."""
    section_index = {label: k for k, (label, _, _) in enumerate(writer.sections)}
    symbols, index_of = _symbol_table(symtab, layout, section_index, live_only=True)
    linking = linking_section.Linking(
        symbols=symbols,
        segments=[linking_section.SegmentInfo(s.name, s.alignment, s.chunks[0].flags) for s in layout.segments])
    extra = [_section(CUSTOM, _name("linking") + linking_section.encode(linking)),
             *_reloc_sections(symtab, layout, index_of, writer, section_index, REMOVED_SYMBOL)]
    names_at = next((writer.section_starts[k] for k, (label, _, _) in enumerate(writer.sections)
                     if label == "CUSTOM(name)" or label == "CUSTOM(producers)"), len(data))
    return data[:names_at] + b"".join(extra) + data[names_at:]


def _symbol_table(symtab, layout, section_index, live_only=False):
    """Every object's symbols, globals once; (object, input index) -> output index."""
    symbols, index_of, global_index = [], {}, {}
    seg_index = {id(seg): k for k, seg in enumerate(layout.segments)}
    for obj in symtab.objects:
        for k, raw in enumerate(obj.symbols):
            sym = obj.resolved[k]
            if sym.local and sym.file is obj and _in_discarded(sym, obj):
                continue  # names a dropped COMDAT member: nothing kept refers to it
            if live_only and (not sym.live if sym.kind != SYMTAB_SECTION else
                              f"CUSTOM({obj.sections[raw.index].name})" not in section_index):
                continue  # removed by --gc-sections (or --strip-debug): nothing refers to it
            if not sym.local and sym.kind != SYMTAB_SECTION:
                if id(sym) in global_index:
                    index_of[(id(obj), k)] = global_index[id(sym)]
                    continue
                global_index[id(sym)] = len(symbols)
            index_of[(id(obj), k)] = len(symbols)
            symbols.append(_entry(sym, raw, obj, seg_index, section_index))
    return symbols, index_of


def _in_discarded(sym, obj) -> bool:
    if sym.kind == SYMTAB_FUNCTION and sym.index >= obj.num_imported[0]:
        return obj.functions[sym.index - obj.num_imported[0]].discarded
    if sym.kind == SYMTAB_DATA and sym.segment is not None:
        return sym.segment.discarded
    return False


def _entry(sym, raw, obj, seg_index, section_index):
    Symbol = linking_section.Symbol
    if sym.kind == SYMTAB_SECTION:
        chunk = obj.sections[raw.index]
        return Symbol(SYMTAB_SECTION, raw.flags, None, section_index[f"CUSTOM({chunk.name})"])
    flags = sym.flags if sym.defined else (sym.flags | UNDEFINED)
    if sym.kind == SYMTAB_DATA:
        if sym.segment is None:
            return Symbol(SYMTAB_DATA, (flags | UNDEFINED) & ~BINDING_LOCAL if not sym.defined else flags, sym.name)
        seg = sym.segment.output
        offset = sym.address - seg.start if sym.address is not None else sym.segment.out_offset + sym.offset
        return Symbol(SYMTAB_DATA, flags & ~UNDEFINED, sym.name, None, seg_index[id(seg)], offset, sym.size)
    if sym.defined or sym.is_stub:
        return Symbol(sym.kind, flags & ~UNDEFINED, sym.name, sym.out_index)
    explicit = sym.import_name is not None and sym.import_name != sym.name
    flags = (flags & ~EXPLICIT_NAME) | (EXPLICIT_NAME if explicit else 0)
    return Symbol(sym.kind, flags & (~BINDING_WEAK if not sym.weak else ~0), sym.name if explicit else None,
                  sym.out_index)


def _comdats(symtab, layout):
    comdats = []
    for name, obj in symtab.comdats.items():
        for comdat in obj.comdats:
            if comdat.name != name:
                continue
            members = []
            for member in comdat.members:
                if member.kind == 1:  # function: its output index
                    chunk = obj.functions[member.index - obj.num_imported[0]]
                    members.append(linking_section.ComdatMember(1, chunk.out_index))
                elif member.kind == 0:  # data segment: its output segment
                    seg = obj.datas[member.index].output
                    members.append(linking_section.ComdatMember(0, layout.segments.index(seg)))
            comdats.append(linking_section.Comdat(comdat.name, comdat.flags, members))
    return comdats


def _relocations(symtab, layout, index_of, obj_types, removed=None):
    """(section label, entries) for code, data and each custom section; a relocation whose
    symbol is not in the output names symbol `removed` (None: it is left out)."""
    code, data, customs = [], [], {}
    writer_types = obj_types
    for f in layout.functions:
        chunk = f.chunk
        if chunk is None:
            continue
        shift = chunk.out_offset + (chunk.start - chunk.size_start)
        code.extend(_rebased(chunk, shift, index_of, writer_types, removed))
    for seg in layout.segments:
        for chunk in seg.chunks:
            data.extend(_rebased(chunk, seg.payload_offset + chunk.out_offset, index_of, writer_types, removed))
    for obj in symtab.objects:
        for chunk in obj.customs:
            customs.setdefault(f"CUSTOM({chunk.name})", []).extend(
                _rebased(chunk, chunk.out_offset, index_of, writer_types, removed))
    return [("CODE", code), ("DATA", data), *customs.items()]


def _rebased(chunk, shift, index_of, obj_types, removed=None):
    obj = chunk.file
    out = []
    for rt, off, index, addend in relocations(chunk):
        if rt.target == "type":
            new_index = obj_types[id(obj)][index]
        else:
            new_index = index_of.get((id(obj), index), removed)
            if new_index is None:
                continue
        out.append((rt.number, shift + off, new_index, addend if rt.has_addend else None))
    return out
