"""`-r`: link objects into one relocatable object that any wasm linker can link again.

Nothing is collected and nothing is placed for good: every function, global and data
segment is kept (the COMDAT copies that lost to another object's too, their symbols
resolved to the winner's), undefined symbols stay imports. As wasm-ld 14 does it:
- memory is defined (pages enough for the data, from address 0), or imported under
  --import-memory; the table is imported, first among the imports, when an object
  refers to it, and address-taken functions get slots from 1 in an element segment;
- input segments of the same name are one output segment (COMDAT members excepted),
  TLS ones are `.tdata`, ordered .tdata, .rodata, .data, others, .bss; string segments
  are merged at -O1 and above; every segment is written, .bss included;
- the writer copies and patches the bodies as for a module (the values are
  provisional), then this module adds what makes the result an object: a `linking`
  section (symbol table, segment info, init functions, COMDAT groups), a `reloc.*`
  section per relocated output section, then the name section.
The symbol table (symtab.py's order) is built by symbol_order.py, shared with --emit-relocs.
"""

from ..binary.types import FUNC_KIND, GLOBAL_KIND, I32, I64, MEMORY_KIND, TABLE_KIND, TAG_KIND
from ..custom import linking as linking_section
from ..custom import reloc as reloc_section
from ..errors import LinkError
from .features import encode_features
from .layout import fill_got, plan_got, slot_map, take_slot
from .memory_plan import PAGE, align, place_chunks, segment_rank
from .mismatch import replace_mismatched_calls
from .chunk_relocs import named, relocations
from .output import Layout, OutFunction, OutGlobal, OutImport, OutputSegment
from .strings import MergedStrings, mergeable
from .symbol_order import output_symbols
from .symbols import IMPORT_KIND, SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE, UNDEFINED
from .symtab import TABLE_SYMBOL
from .synthetic import UNREACHABLE_BODY
from .tags import plan_tags
from .writer import CUSTOM, Writer, _name, _section

# --emit-relocs: what wasm-ld 14 writes as the symbol of a relocation whose symbol was
# removed by --gc-sections (debug info naming a dead function or its data): its "no
# index", -1 as an unsigned LEB. The site itself holds a tombstone.
REMOVED_SYMBOL = 0xFFFFFFFF

_SEGMENT_TLS = 0x2  # WASM_SEG_FLAG_TLS


def _plan(symtab, opts, stubs) -> Layout:
    out = Layout(table_base=1)
    _imports(symtab, opts, out)
    for stub in stubs:  # the linker's own functions come first
        stub.out_index = out.num_imported_functions + len(out.functions)
        out.functions.append(OutFunction(stub.name, stub.signature, None, UNREACHABLE_BODY))
    global_base = {}  # object -> output index of its first defined global
    for obj in symtab.objects:
        for chunk in (*obj.functions, *obj.datas):
            chunk.live = True  # nothing is collected
    symtab.keep_live_discarded_chunks()
    for obj in symtab.objects:
        for chunk in obj.functions:
            chunk.out_index = out.num_imported_functions + len(out.functions)
            out.functions.append(chunk)  # as an output function (objects.py)
        ngi = obj.num_imported[GLOBAL_KIND]
        global_base[id(obj)] = out.num_imported_globals + len(out.globals)
        # The name section names a function or global by the first of the object's own
        # symbols defining it, whatever that name resolved to (a weak definition
        # overridden elsewhere keeps its body and its name).
        names = {}
        nfi = obj.num_imported[0]
        for raw in obj.symbols:
            if raw.kind == SYMTAB_GLOBAL and raw.index >= ngi and raw.name:
                names.setdefault(raw.index, raw.name)
            elif raw.kind == SYMTAB_FUNCTION and raw.index >= nfi and raw.name and not raw.flags & UNDEFINED:
                chunk = obj.functions[raw.index - nfi]
                if chunk.name is None:
                    chunk.name = raw.name
        for k, g in enumerate(obj.module.globals):
            name = names.get(ngi + k)
            out.globals.append(OutGlobal(name or "", g.type, g.init.code, named=name is not None))
    _segments(symtab, opts, out)
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
                chunk = sym.segment
                if chunk.merged_into is not None:
                    merged = chunk.merged_into
                    sym.address = chunk.output.start + merged.out_offset + merged.map(chunk, sym.offset)
                else:
                    sym.address = chunk.output.start + chunk.out_offset + sym.offset
    plan_got(symtab, out, I64 if opts.wasm64 else I32)
    _table(symtab, out)
    fill_got(symtab, out, opts.wasm64)
    return out


def _imports(symtab, opts, out):
    """The memory (--import-memory), the table if an object refers to it, then every other
    undefined function, global, tag and table, in symbol-table order."""
    if opts.import_memory:
        out.imports.append(OutImport(*opts.import_memory, MEMORY_KIND, None))
    first_named = {}  # id(symbol) -> the object that first names it (a tag's type is there)
    for obj in symtab.objects:
        for sym in obj.resolved:
            if not sym.defined and sym.kind in IMPORT_KIND and not sym.local:
                first_named.setdefault(id(sym), obj)
    table = symtab.symbols.get(TABLE_SYMBOL)
    undefined = [s for s in symtab.symbols.values() if id(s) in first_named and s is not table]
    if table is not None and not table.defined and table.kind == SYMTAB_TABLE:
        undefined.insert(0, table)  # table number 0, as wasm-ld places it
    counts = {FUNC_KIND: 0, GLOBAL_KIND: 0, TABLE_KIND: 0, TAG_KIND: 0}
    for sym in undefined:
        kind = IMPORT_KIND[sym.kind]
        if kind == TAG_KIND:  # the tag's function type, in the object that first named it
            obj = first_named[id(sym)]
            desc = obj.module.types[sym.tag_type.type].comp if sym.tag_type is not None else None
        elif kind == TABLE_KIND:
            desc = sym.table_type if sym is not table else None
        else:
            desc = {FUNC_KIND: sym.signature, GLOBAL_KIND: sym.global_type}[kind]
        if desc is None and kind != TABLE_KIND:
            raise LinkError(f"undefined symbol {sym.name} has no type", file=first_named.get(id(sym)).name
                            if id(sym) in first_named else None)
        sym.out_index = counts[kind]
        counts[kind] += 1
        out.imports.append(OutImport(sym.import_module or "env", sym.import_name or sym.name, kind, desc, sym))
    out.num_imported_functions = counts[FUNC_KIND]
    out.num_imported_globals = counts[GLOBAL_KIND]
    out.num_imported_tags = counts[TAG_KIND]


def _segments(symtab, opts, out):
    """Input segments grouped by name (TLS ones as `.tdata`); a COMDAT member stays its own
    segment so that the final link can still drop it."""
    by_name, segments = {}, []
    for obj in symtab.objects:
        in_comdat = {member.index for comdat in obj.comdats for member in comdat.members if member.kind == 0}
        for chunk in obj.datas:
            if chunk.discarded:
                continue
            tls = chunk.flags & _SEGMENT_TLS or chunk.name.startswith((".tdata", ".tbss"))
            name = ".tdata" if tls else chunk.name
            seg = None if chunk.index in in_comdat else by_name.get(name)
            if seg is None:
                seg = OutputSegment(name)
                segments.append(seg)
                if chunk.index not in in_comdat:
                    by_name[name] = seg
            seg.alignment = max(seg.alignment, chunk.alignment)
            chunk.output = seg
            if opts.optimize >= 1 and mergeable(chunk):
                merged = seg.merged.get(chunk.flags)
                if merged is None:  # takes the place of the first mergeable segment
                    merged = seg.merged[chunk.flags] = MergedStrings(chunk.flags)
                    seg.chunks.append(merged)
                merged.add(chunk)
            else:
                seg.chunks.append(chunk)
    segments.sort(key=lambda s: segment_rank(s.name))  # stable: input order within a rank
    ptr = 0
    for seg in segments:
        place_chunks(seg)
        ptr = align(ptr, 1 << seg.alignment)
        seg.start = ptr
        ptr += seg.size
    out.segments = segments
    out.data_end = ptr
    if opts.initial_memory:
        if opts.initial_memory % PAGE:
            raise LinkError(f"initial memory must be {PAGE}-byte aligned")
        if ptr > opts.initial_memory:
            raise LinkError(f"initial memory too small, {ptr} bytes needed")
        ptr = opts.initial_memory
    out.memory_pages = align(ptr, PAGE) // PAGE
    if opts.max_memory:
        if opts.max_memory % PAGE:
            raise LinkError(f"maximum memory must be {PAGE}-byte aligned")
        if opts.max_memory < out.memory_pages * PAGE:
            raise LinkError(f"maximum memory too small, {out.memory_pages * PAGE} bytes needed")
        out.memory_max_pages = opts.max_memory // PAGE


def _table(symtab, out):
    """Slots from 1 for functions whose address is taken (a GOT entry's too), in the order
    their relocations are met (an object's functions, then its data), as wasm-ld's
    relocation scan."""
    entries = out.table_entries
    slot_of = slot_map(out)
    for obj in symtab.objects:
        for chunk in (*obj.functions, *obj.datas):
            if chunk.discarded:
                continue
            for rt, index in named(chunk):
                if rt.target == "table_slot" or rt.target == "global" and obj.resolved[index].kind == SYMTAB_FUNCTION:
                    sym = obj.resolved[index]  # (a function's GOT entry holds its slot)
                    if sym.table_slot is None and sym.out_index is not None:
                        sym.table_slot = take_slot(sym, slot_of, entries, out.table_base)
    table = symtab.symbols.get(TABLE_SYMBOL)
    if table is not None and table.kind == SYMTAB_TABLE and not table.defined:
        table.out_index = 0


def write_relocatable(symtab, opts, features=()) -> tuple[bytes, Layout, list]:
    opts.import_table = True  # the writer then defines no table (an import stands for it)
    opts.export_memory = None
    # A call whose signature differs from the definition's goes to a trapping stub, as in
    # a full link (the stub's symbol is local to the object).
    layout = _plan(symtab, opts, replace_mismatched_calls(symtab))
    writer = Writer(layout, symtab, opts)
    body = writer.write(as_object=True)
    section_index = {label: k for k, (label, _, _) in enumerate(writer.sections)}
    symbols, index_of = output_symbols(symtab, layout, section_index, writer.sections)
    parts = [body]
    linking = linking_section.Linking(
        symbols=symbols or None,  # (no symbols: no symbol table subsection, as wasm-ld writes it)
        segments=[linking_section.SegmentInfo(s.name, s.alignment, 0) for s in layout.segments] or None,
        init_funcs=_init_funcs(symtab, index_of),
        comdats=_comdats(symtab, layout) or None)
    parts.append(_section(CUSTOM, _name("linking") + linking_section.encode(linking)))
    parts.extend(_reloc_sections(symtab, layout, index_of, writer, section_index))
    if not opts.strip_all or "name" in opts.keep_sections:
        names = writer._names()
        if names and names[0] != 9:  # as wasm-ld: only if a function or a global has a name
            parts.append(_section(CUSTOM, _name("name") + names))
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
    per_section = sorted((item for item in _relocations(symtab, layout, index_of, writer, removed)
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
    symbols, index_of = output_symbols(symtab, layout, section_index, writer.sections, live_only=True,
                                       entry=writer.opts.entry, demangle_cxx=writer.opts.demangle,
                                       table="exported" if writer.opts.export_table
                                       else "imported" if writer.opts.import_table else None,
                                       shared_memory=writer.opts.shared_memory)
    linking = linking_section.Linking(
        symbols=symbols or None,  # (no symbols: no symbol table subsection, as wasm-ld writes it)
        segments=[linking_section.SegmentInfo(s.name, s.alignment, 0) for s in layout.segments] or None,
        init_funcs=_init_funcs(symtab, index_of, live_only=True),
        comdats=_comdats(symtab, layout) or None)  # (as wasm-ld 14 writes them here too)
    extra = [_section(CUSTOM, _name("linking") + linking_section.encode(linking)),
             *_reloc_sections(symtab, layout, index_of, writer, section_index, REMOVED_SYMBOL)]
    names_at = next((writer.section_starts[k] for k, (label, _, _) in enumerate(writer.sections)
                     if label == "CUSTOM(name)" or label == "CUSTOM(producers)"), len(data))
    return data[:names_at] + b"".join(extra) + data[names_at:]


def _init_funcs(symtab, index_of, live_only=False):
    """The objects' init functions by priority (input order within one), as listed."""
    entries = [linking_section.InitFunc(init.priority, index_of[(id(obj), init.symbol)])
               for obj in symtab.objects for init in obj.init_funcs
               if (id(obj), init.symbol) in index_of and (not live_only or obj.resolved[init.symbol].live)]
    return sorted(entries, key=lambda f: f.priority) or None


def _comdats(symtab, layout):
    """Each group, by name, with every output function, then every output segment, that
    belongs to it in any object (as wasm-ld 14 lists them: the copies that lost are
    members too; a merged segment belongs to the group of its first input segment)."""
    group_of = {}  # id(chunk) -> its group's name
    flags = {}
    for obj in symtab.objects:
        for comdat in obj.comdats:
            flags.setdefault(comdat.name, comdat.flags)
            for member in comdat.members:
                if member.kind == 1:
                    group_of[id(obj.functions[member.index - obj.num_imported[0]])] = comdat.name
                elif member.kind == 0:
                    group_of[id(obj.datas[member.index])] = comdat.name
    members = {name: [] for name in symtab.comdats}
    for f in layout.functions:
        if f.chunk is not None and id(f.chunk) in group_of:
            members[group_of[id(f.chunk)]].append(linking_section.ComdatMember(1, f.chunk.out_index))
    for k, seg in enumerate(layout.segments):
        # a COMDAT member is a segment of its own (merged strings never are members)
        if seg.chunks and id(seg.chunks[0]) in group_of:
            members[group_of[id(seg.chunks[0])]].append(linking_section.ComdatMember(0, k))
    return [linking_section.Comdat(name, flags[name], group) for name, group in sorted(members.items()) if group]


def _relocations(symtab, layout, index_of, writer, removed=None):
    """(section label, entries) for code, data and each custom section; a relocation whose
    symbol is not in the output names symbol `removed` (None: it is left out)."""
    obj_types = writer.obj_types
    code, data, customs = [], [], {}
    for f in layout.functions:
        chunk = f.chunk
        if chunk is None:
            continue
        shift = writer.code_offset(chunk) + (chunk.start - chunk.size_start)
        code.extend(_rebased(chunk, shift, index_of, obj_types, removed))
    for seg in layout.segments:
        for chunk in seg.chunks:
            if isinstance(chunk, MergedStrings):
                continue  # strings: nothing in them is relocated
            data.extend(_rebased(chunk, seg.payload_offset + chunk.out_offset, index_of, obj_types, removed))
    for obj in symtab.objects:
        for chunk in obj.customs:
            if chunk.discarded:
                continue
            customs.setdefault(f"CUSTOM({chunk.name})", []).extend(
                _rebased(chunk, chunk.out_offset, index_of, obj_types, removed))
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
        if rt.target == "section_offset":
            addend = _section_offset(obj, index, addend)
        out.append((rt.number, shift + off, new_index, addend if rt.has_addend else None))
    return out


def _section_offset(obj, index, addend) -> int:
    """A section-relative addend becomes relative to the output section (through the
    merged strings of .debug_str or .debug_line_str), as wasm-ld 14 rewrites it."""
    chunk = obj.sections.get(obj.resolved[index].index)
    if chunk is None:
        return addend
    if chunk.merged_into is not None:
        return chunk.merged_into.map(chunk, addend)
    return chunk.out_offset + addend
