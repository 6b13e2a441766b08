"""Exports: which symbols the module exports, and the command-export wrappers.

wasm-ld exports the memory (unless imported), the table with --export-table, then, in
symbol-table order, the entry point and every symbol the objects mark EXPORTED or the
command line names (--export, --export-if-defined, --export-all, --export-dynamic for
non-hidden ones). A
data symbol is exported as an immutable global holding its address. In a command whose
code never calls `__wasm_call_ctors`, each exported function is reached through
`NAME.command_export`, which runs the constructors, the function, then the destructors;
those exports come after all the others.
"""

from ..binary import leb
from ..binary.types import FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND, GlobalType
from .output import OutFunction, OutGlobal
from .symbol_order import early_synthetic
from .symbols import EXPORTED, SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE, SYMTAB_TAG
from .synthetic import TABLE_SYMBOLS, body, call


def plan_exports(planner, wrap_exports: bool, dtors) -> None:
    """The export list: memory, table, then each exported symbol (the entry among them) in
    symbol-table order."""
    out, opts, symtab = planner.out, planner.opts, planner.symtab
    exports = out.exports
    if opts.export_memory and not opts.import_memory or (opts.import_memory and opts.export_memory != "memory"):
        exports.append((opts.export_memory, MEMORY_KIND, 0))
    # The entry is exported where its symbol sits in the symbol table, as every other
    # export is: wasm-ld gives it no place of its own (so with --export-all the
    # constructors' function, made before any input, comes before it).
    entry = opts.entry if not opts.relocatable else None
    # --export-table exports the table where its symbol sits, as a name given would be.
    named = {*opts.exports, *opts.exports_if_defined, *([entry] if entry else []),
             *(TABLE_SYMBOLS if opts.export_table else ())}
    # Without --export-all/-dynamic only the symbols named or flagged are exported: the
    # rest (a program's every symbol) is passed over on the cheapest test first.
    every = opts.export_all or opts.export_dynamic
    names = []
    for name, sym in _in_wasm_ld_order(symtab.symbols, opts.shared_memory):
        if not sym.live:
            continue
        explicit = sym.flags & EXPORTED or name in named
        if not (explicit or every) or not sym.defined:
            continue
        if sym.kind == SYMTAB_GLOBAL and sym.file is None and sym.global_type is not None \
                and sym.global_type.mutable and not explicit:
            continue  # wasm-ld exports a mutable global of its own (__stack_pointer) only when named; an object's, always
        if sym.kind == SYMTAB_TABLE and opts.import_table and not explicit:
            continue  # an imported table is not a definition to export
        if explicit or opts.export_all or (opts.export_dynamic and not sym.hidden and sym.synthetic is None):
            names.append(name)
    listed = set(names)
    names.extend(name for name in dict.fromkeys(opts.exports) if name not in listed)
    ctors = symtab.symbols.get("__wasm_call_ctors")
    # A wrapper's symbol is made after every other, so the wrapped functions' exports
    # come last (still in symbol-table order among themselves), as in wasm-ld.
    wrapped = []
    for name in names:
        sym = symtab.symbols.get(name)
        if sym is None or not sym.defined:
            continue
        if sym.kind == SYMTAB_FUNCTION:
            if wrap_exports and sym.file is not None:
                wrapped.append((_export_name(sym) or name, FUNC_KIND, _wrapper(out, sym, ctors, dtors)))
            else:
                exports.append((_export_name(sym) or name, FUNC_KIND, sym.out_index))
        elif sym.kind == SYMTAB_GLOBAL:
            exports.append((name, GLOBAL_KIND, sym.out_index))
        elif sym.kind == SYMTAB_DATA and sym.address is not None:
            # A data symbol is exported as an immutable global holding its address; a
            # thread-local one with shared memory, as its offset in each thread's block.
            address = sym.address
            tls = out.tls_segment
            if opts.shared_memory and tls is not None and sym.segment is not None and sym.segment.output is tls:
                address -= tls.start
            index = out.num_imported_globals + len(out.globals)
            out.globals.append(OutGlobal(name, GlobalType(planner.ptr_type, False),
                                         out.const(address, opts.wasm64), named=False))
            exports.append((name, GLOBAL_KIND, index))
        elif sym.kind == SYMTAB_TAG:
            exports.append((name, TAG_KIND, sym.out_index))
        elif sym.kind == SYMTAB_TABLE:
            exports.append((name, TABLE_KIND, 0))
    if opts.export_all and out.init_memory is not None:
        # wasm-ld 14 makes these symbols after every input's, visible: --export-all exports
        # them last (the flag, which only shared memory has, as a global holding its address).
        if out.init_memory_flag is not None:
            index = out.num_imported_globals + len(out.globals)
            out.globals.append(OutGlobal("__wasm_init_memory_flag", GlobalType(planner.ptr_type, False),
                                         out.const(out.init_memory_flag, opts.wasm64), named=False))
            exports.append(("__wasm_init_memory_flag", GLOBAL_KIND, index))
        exports.append(("__wasm_init_memory", FUNC_KIND, out.init_memory))
    exports.extend(wrapped)


def _in_wasm_ld_order(symbols: dict, shared_memory: bool):
    """The (name, symbol) pairs in wasm-ld's table order: the ones it makes before it
    reads any input (`symbol_order.early_synthetic`) first, so first among the exports
    with --export-all. Made as they are walked: a list of a program's every symbol
    would be the layout's largest allocation."""
    first = [(name, symbols[name]) for name in early_synthetic(shared_memory)
             if name in symbols and symbols[name].synthetic]
    yield from first
    made = {name for name, _ in first}
    for item in symbols.items():
        if item[0] not in made:
            yield item


def _export_name(sym) -> str | None:
    """The name `__attribute__((export_name))` gave a function: the object's own export of
    it (wasm-ld exports it under that name, e.g. a C++ function under a plain one)."""
    obj = sym.file
    if obj is None or not obj.module.exports:
        return None
    return next((e.name for e in obj.module.exports if e.kind == FUNC_KIND and e.index == sym.index), None)


def _wrapper(out, sym, ctors, dtors) -> int:
    """`NAME.command_export`: run the constructors, the export, then the destructors."""
    instrs = b""
    if ctors is not None and ctors.out_index is not None:
        instrs += call(ctors.out_index)
    instrs += b"".join(b"\x20" + leb.write_unsigned(k) for k in range(len(sym.signature.params)))
    instrs += call(sym.out_index)
    if dtors is not None and dtors.out_index is not None and dtors is not sym:
        instrs += call(dtors.out_index)
    index = out.num_imported_functions + len(out.functions)
    out.functions.append(OutFunction(f"{sym.name}.command_export", sym.signature, None, body(instrs)))
    return index
