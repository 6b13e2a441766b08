"""The output's own symbol table (-r and --emit-relocs), in wasm-ld 14's order.

wasm-ld lists, in this order:
1. every global symbol an object uses, in the symbol table's order (the order names
   were first met); the few it creates before reading any input (`__wasm_call_ctors`,
   `__stack_pointer`, the TLS ones with shared memory) come first, and an
   object-less synthetic symbol nothing refers to is not listed;
2. each object's local symbols, objects in link order; a stub the linker put in place
   of a symbol (signature mismatch, undefined weak function) is local, so every object
   naming it lists it again, and relocations name its last entry;
3. one section symbol per output custom section made from input sections, in output
   order (every input section symbol names it).
With --emit-relocs only live symbols are listed, the entry point is made visible, and a
function that a command-export wrapper now exports loses its EXPORTED flag and is hidden.
"""

from ..custom import linking as linking_section
from .demangle_lazy import shown_symbol
from .symbols import (BINDING_LOCAL, BINDING_WEAK, EXPLICIT_NAME, EXPORTED, NO_STRIP, SYMTAB_DATA, SYMTAB_FUNCTION,
                      SYMTAB_SECTION, SYMTAB_TABLE, UNDEFINED, VISIBILITY_HIDDEN)
from .symtab import TABLE_SYMBOL
from .synthetic import TLS_SYMBOLS

# The synthetic symbols wasm-ld 14 creates before it adds the input files.
_EARLY_UNSHARED = ("__wasm_call_ctors", "__stack_pointer")
EARLY_SYNTHETIC = (*_EARLY_UNSHARED, *TLS_SYMBOLS)


def early_synthetic(shared_memory: bool) -> tuple:
    """EARLY_SYNTHETIC for a link: the TLS symbols are among them with shared memory only
    (without, wasm-ld 14 makes `__tls_base` once the inputs are read, where their first
    reference put it). The exports' order and --emit-relocs' symbol table both go by it."""
    return EARLY_SYNTHETIC if shared_memory else _EARLY_UNSHARED
# Sections wasm-ld writes itself (never from inputs, so no section symbol).
_OWN_SECTIONS = ("linking", "name", "producers", "target_features", "build_id")


def output_symbols(symtab, layout, section_index, sections, live_only=False, entry=None, demangle_cxx=True,
                   table=None, shared_memory=False):
    """(symbol entries, {(id(object), input symbol index): output symbol index});
    `live_only` for --emit-relocs, whose `entry` point wasm-ld shows visible, and its
    table's symbol too when the table is "exported" or "imported" (`table`: then it is
    undefined, as wasm-ld lists an import); its stubs for weak functions are named as
    the name section names them (`demangle_cxx`)."""
    symbols, index_of = [], {}
    current = {}  # id(symbol) -> the index of its (latest) entry
    seg_index = {id(seg): k for k, seg in enumerate(layout.segments)}
    wrapped = {f.name[:-len(".command_export")] for f in layout.functions
               if f.chunk is None and f.name and f.name.endswith(".command_export")}

    def add(sym):
        current[id(sym)] = len(symbols)
        if table == "imported" and live_only and sym.kind == SYMTAB_TABLE and sym.name == TABLE_SYMBOL:
            symbols.append(linking_section.Symbol(SYMTAB_TABLE, UNDEFINED | NO_STRIP, None, 0))
            return
        visible = (sym.name == entry and sym.defined) or (table == "exported" and sym.kind == SYMTAB_TABLE
                                                          and sym.name == TABLE_SYMBOL)
        symbols.append(_entry(sym, seg_index, live_only, sym.name in wrapped, visible, demangle_cxx))

    used = {id(sym) for obj in symtab.objects for sym in obj.resolved}
    # (-r makes no symbols of its own)
    early = [symtab.symbols[n] for n in early_synthetic(shared_memory) if n in symtab.symbols and live_only]
    for sym in (*early, *symtab.symbols.values()):
        if id(sym) in current or sym.local or sym.kind == SYMTAB_SECTION:
            continue
        if id(sym) not in used and not (sym.name == TABLE_SYMBOL and sym.kind == SYMTAB_TABLE):
            continue  # a lazy member's symbol never loaded, or the linker's own nobody names
        if live_only and not _live(sym) and not (sym.kind == SYMTAB_TABLE and sym.out_index is not None
                                                 and layout.table_entries):
            continue  # (the table is there when it has slots in use, its symbol live or not)
        add(sym)
    stub_refs = []
    for obj in symtab.objects:
        for k, sym in enumerate(obj.resolved):
            if _stub(sym):
                # A stub the linker put in place of a symbol is local: every object naming
                # it lists it again among its locals, and relocations name the last entry.
                if not live_only or sym.live:
                    add(sym)
                    stub_refs.append((id(obj), k, sym))
            elif id(sym) in current:
                index_of[(id(obj), k)] = current[id(sym)]
            elif sym.kind != SYMTAB_SECTION and sym.local and sym.file is obj:
                if (live_only and not _live(sym)) or _in_discarded(sym, obj):
                    continue
                index_of[(id(obj), k)] = len(symbols)
                add(sym)
    for key, k, sym in stub_refs:
        index_of[(key, k)] = current[id(sym)]
    section_symbol = {}  # output custom section name -> its symbol's index
    for k, (label, _, _) in enumerate(sections):
        if label.startswith("CUSTOM(") and label[7:-1] not in _OWN_SECTIONS:
            section_symbol[label] = len(symbols)
            symbols.append(linking_section.Symbol(SYMTAB_SECTION, BINDING_LOCAL, None, section_index[label]))
    for obj in symtab.objects:
        for k, raw in enumerate(obj.symbols):
            if raw.kind == SYMTAB_SECTION:
                label = f"CUSTOM({obj.sections[raw.index].name})"
                if label in section_symbol:
                    index_of[(id(obj), k)] = section_symbol[label]
    return symbols, index_of


def _live(sym) -> bool:
    """As wasm-ld judges a symbol: a definition in an object is live with its function
    or data segment (an unreferenced alias of a kept function included)."""
    obj = sym.file
    if obj is not None and sym.kind == SYMTAB_FUNCTION and sym.index >= obj.num_imported[0]:
        return obj.functions[sym.index - obj.num_imported[0]].live
    if obj is not None and sym.kind == SYMTAB_DATA and sym.segment is not None:
        return sym.segment.live
    return sym.live


def _stub(sym) -> bool:
    """A signature-mismatch stub, or the trapping body of an undefined weak function."""
    return sym.synthetic == "stub" or (sym.is_stub and sym.weak)


def _in_discarded(sym, obj) -> bool:
    if sym.file is not obj:
        return False
    if sym.kind == SYMTAB_FUNCTION and sym.index is not None and sym.index >= obj.num_imported[0]:
        return obj.functions[sym.index - obj.num_imported[0]].discarded
    if sym.kind == SYMTAB_DATA and sym.segment is not None:
        return sym.segment.discarded
    return False


def _entry(sym, seg_index, final: bool, wrapped: bool, entry: bool, demangle_cxx: bool = True):
    """`final`: --emit-relocs (a module), not -r; `entry`: the module's entry point."""
    Symbol = linking_section.Symbol
    if sym.is_stub and sym.weak:
        return Symbol(sym.kind, BINDING_LOCAL | VISIBILITY_HIDDEN, f"undefined_weak:{shown_symbol(sym.name, demangle_cxx)}",
                      sym.out_index)
    flags = sym.flags if sym.defined else (sym.flags | UNDEFINED)
    if final and wrapped:  # the command-export wrapper is the export now
        flags = (flags & ~EXPORTED) | VISIBILITY_HIDDEN
    elif final and entry:
        flags &= ~VISIBILITY_HIDDEN  # wasm-ld makes the entry point visible
    if sym.synthetic is not None and not _stub(sym) and not (final and entry):
        flags |= VISIBILITY_HIDDEN  # the linker defines its own symbols hidden
    if sym.synthetic == "table" and final:
        flags &= ~NO_STRIP  # wasm-ld defines the table afresh (a -r object's reference keeps it)
    if sym.kind == SYMTAB_DATA:
        if sym.segment is None:
            return Symbol(SYMTAB_DATA, (flags | UNDEFINED) & ~BINDING_LOCAL if not sym.defined else flags, sym.name)
        seg = sym.segment.output
        chunk = sym.segment
        if chunk.merged_into is not None:
            offset = chunk.merged_into.out_offset + chunk.merged_into.map(chunk, sym.offset)
        else:
            offset = chunk.out_offset + sym.offset
        return Symbol(SYMTAB_DATA, flags & ~UNDEFINED, sym.name, None, seg_index[id(seg)], offset, sym.size)
    if sym.defined or sym.is_stub:
        return Symbol(sym.kind, flags & ~UNDEFINED, sym.name, sym.out_index)
    explicit = sym.import_name is not None and sym.import_name != sym.name
    flags = (flags & ~EXPLICIT_NAME) | (EXPLICIT_NAME if explicit else 0)
    return Symbol(sym.kind, flags & (~BINDING_WEAK if not sym.weak else ~0), sym.name if explicit else None,
                  sym.out_index)
