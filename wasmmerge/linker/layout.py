"""Layout: give every live piece its place in the output, as wasm-ld lays a module out.

Order of each index space: imports first, then synthetic functions/globals, then each
object's live definitions in input order (the GOT entries of PIC code come last among
globals). Memory and data segments are memory_plan.py's (`MemoryPlanner`, which Planner
extends). The table holds null at slot 0 and address-taken functions from
--table-base on, in the order their relocations are met.
"""

from array import array
from itertools import compress
from operator import attrgetter

from ..binary.types import FUNC_KIND, GLOBAL_KIND, I32, I64, MEMORY_KIND, TABLE_KIND, FuncType, GlobalType
from .exports import plan_exports
from .chunk_relocs import all_kept, kept_runs, named
from .marklive import first_references
from .features import features_allowed
from .shared import init_memory_body, init_tls_body, zero_fill_body
from .output import Layout, OutFunction, OutGlobal, OutImport
from .synthetic import UNREACHABLE_BODY, body, call
from .tags import plan_tags
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE, UNDEFINED
from .memory_plan import MemoryPlanner
from .relocations import kinds_naming, selector

# Relocations that may give a function a table slot: its address, or a GOT entry for it.
_SLOT_KINDS = kinds_naming("table_slot", "global")
_TABLE_SLOT_KINDS = kinds_naming("table_slot")  # always (a GOT entry: only a function's)
_SLOT_SELECTOR, _TABLE_SLOT_SELECTOR = selector(_SLOT_KINDS), selector(_TABLE_SLOT_KINDS)
_NAME = attrgetter("name")

class Planner(MemoryPlanner):
    """Builds a Layout from the resolved, marked symbol table."""

    def __init__(self, symtab, opts, diag, marker):
        self.symtab = symtab
        self.opts = opts
        self.diag = diag
        self.marker = marker
        self.out = Layout(table_base=opts.table_base)
        self.ptr_type = I64 if opts.wasm64 else I32
        self.stubs_with_slots = []  # see _functions
        # An imported memory need not be zero: its .bss is written as zeros, or, where bulk
        # memory is allowed, zeroed by __wasm_init_memory (memory.fill), as wasm-ld 14 does.
        if opts.import_memory and not opts.shared_memory and not opts.relocatable:
            # (wasm-ld 14 decides after its feature checks: with --no-check-features, never written.)
            self.out.bss_written = opts.check_features and "bulk-memory" not in features_allowed(symtab.objects, opts)

    def run(self, wrap_exports: bool, dtors, stubs=()) -> Layout:
        self._imports()
        self._functions(wrap_exports, dtors, stubs)
        self.lay_out_memory()
        self._globals()
        plan_tags(self.symtab, self.out, not self.opts.gc_sections)
        self._table()
        for sym in self.stubs_with_slots:
            sym.is_stub = True  # (once its slot is taken: see _functions)
        if self.opts.shared_memory:
            self._shared_memory_bodies()
        elif self.out.init_memory is not None:  # imported memory: only .bss to zero
            fills = [(seg.start, seg.size) for seg in self.out.segments if seg.is_bss]
            self.out.functions[self.out.init_memory - self.out.num_imported_functions].body = zero_fill_body(fills, self.opts.wasm64)
        plan_exports(self, wrap_exports, dtors)
        return self.out

    # -- imports and undefined symbols -------------------------------------------------

    def _imports(self):
        out = self.out
        opts = self.opts
        if opts.import_memory:
            module, name = opts.import_memory
            out.imports.append(OutImport(module, name, MEMORY_KIND, None))
        if opts.import_table:
            out.imports.append(OutImport("env", "__indirect_function_table", TABLE_KIND, None))
        seen = {}
        live_undefined = self.marker.live_undefined
        # In symbol-table order (first mention of each name), as wasm-ld lists its imports.
        for sym in [s for s in self.symtab.symbols.values() if s in live_undefined] if live_undefined else ():
            if sym.kind not in (SYMTAB_FUNCTION, SYMTAB_GLOBAL):
                continue
            if sym.kind == SYMTAB_FUNCTION and self._stubbed(sym):
                continue  # becomes an unreachable stub, not an import
            module = sym.import_module or "env"
            name = sym.import_name or sym.name
            kind = FUNC_KIND if sym.kind == SYMTAB_FUNCTION else GLOBAL_KIND
            key = (module, name, kind)
            if key in seen:
                sym.out_index = seen[key].symbol.out_index
                continue
            imp = OutImport(module, name, kind, sym.signature if kind == FUNC_KIND else sym.global_type, sym)
            seen[key] = imp
            sym.out_index = sum(1 for i in out.imports if i.kind == kind)
            out.imports.append(imp)
        out.num_imported_functions = sum(1 for i in out.imports if i.kind == FUNC_KIND)
        out.num_imported_globals = sum(1 for i in out.imports if i.kind == GLOBAL_KIND)

    # -- functions ---------------------------------------------------------------------------

    def _stubbed(self, sym) -> bool:
        """An undefined function that traps instead of being imported: a weak one, or
        any without an explicit import name under --unresolved-symbols=ignore-all that
        neither --import-undefined nor --allow-undefined-file lets be imported (wasm-ld 14's
        reportUndefined)."""
        opts = self.opts
        return sym.weak or (opts.unresolved == "ignore-all" and sym.import_name is None and not opts.allows_import(sym))

    def _in_scan_order(self, wanted: dict) -> tuple[list, list]:
        """The symbols of `wanted` (id -> Symbol) as wasm-ld's relocation scan first meets
        them (`marklive.first_references`), and those of them whose first relocation there
        takes the function's address (a table slot, or a GOT entry holding one)."""
        first = first_references(self.symtab.objects, set(wanted.values()))
        order = [*first, *(sym for sym in wanted.values() if sym not in first)]
        return order, [sym for sym, kind in first.items() if kind in _SLOT_KINDS]

    def _functions(self, wrap_exports, dtors, stubs):
        out = self.out
        symtab = self.symtab
        functions = out.functions
        base = out.num_imported_functions
        ctors = symtab.symbols.get("__wasm_call_ctors")
        if ctors is not None and ctors.live and ctors.synthetic:
            ctors.out_index = base + len(functions)
            functions.append(OutFunction("__wasm_call_ctors", FuncType((), ()), None, None))
            out.init_functions = self._init_functions()
        # wasm-ld's order of synthetic functions: ctors, __wasm_init_tls, the stubs, then
        # __wasm_init_memory.
        init_tls = symtab.symbols.get("__wasm_init_tls")
        if init_tls is not None and init_tls.live and init_tls.synthetic:
            init_tls.out_index = base + len(functions)
            functions.append(OutFunction("__wasm_init_tls", FuncType((self.ptr_type,), ()), None, None))
        # wasm-ld's order of the trapping stubs: the calls with a mismatched signature
        # first (its driver resolves them before it looks at weak symbols), ...
        for sym in stubs:
            if sym.live:
                sym.out_index = base + len(functions)
                functions.append(OutFunction(sym.name, sym.signature, None, UNREACHABLE_BODY))
        stubbed = {id(sym): sym for sym in self.marker.live_undefined
                   if sym.kind == SYMTAB_FUNCTION and self._stubbed(sym)}
        # ... then a stub for each weak one in symbol-table order (made before GC), then
        # one `undefined_stub` per signature for --unresolved-symbols=ignore-all, in the
        # order its relocation scan meets them.
        weak = [sym for sym in symtab.symbols.values() if id(sym) in stubbed and sym.weak] if stubbed else []
        weak += [sym for sym in stubbed.values() if sym.weak and sym not in weak]  # local names
        # wasm-ld 14 makes an ignored undefined function a stub where its relocation scan
        # first meets it; met first where its address is taken, it has been given a table
        # slot (holding the stub) just before: `_table` gives those theirs, and only then
        # are they marked as stubs (`run`). Its address is 0 otherwise.
        in_scan_order, self.stubs_with_slots = self._in_scan_order(
            {k: s for k, s in stubbed.items() if not s.weak})
        with_slots = set(map(id, self.stubs_with_slots))
        by_signature = {}
        for sym in weak + in_scan_order:
            sym.is_stub = id(sym) not in with_slots
            key = None if sym.weak else (sym.signature.params, sym.signature.results)
            if key is not None and key in by_signature:
                sym.out_index = by_signature[key]
                continue
            sym.out_index = base + len(functions)
            if key is not None:
                by_signature[key] = sym.out_index
            name = f"undefined_weak:{sym.name}" if sym.weak else "undefined_stub"
            functions.append(OutFunction(name, sym.signature, None, UNREACHABLE_BODY))
        # __wasm_init_memory: wasm-ld's writer makes it after its driver's stubs.
        if (self.opts.shared_memory and self._has_passive_data()) or (out.bss_written is False and self._has_bss()):
            out.init_memory = base + len(functions)
            out.start = out.init_memory
            functions.append(OutFunction("__wasm_init_memory", FuncType((), ()), None, None))
        for obj in symtab.objects:
            if all_kept(obj.functions):  # (most objects: their bodies in one piece)
                for index, chunk in enumerate(obj.functions, base + len(functions)):
                    chunk.out_index = index
                functions += obj.functions  # as output functions (objects.py)
                continue
            for chunk in obj.functions:
                if chunk.live and not chunk.discarded:
                    chunk.out_index = base + len(functions)
                    functions.append(chunk)
        for obj in symtab.objects:  # symbols -> indices; names for the name section
            nfi = obj.num_imported[0]
            for sym in obj.resolved:
                if sym.kind == SYMTAB_FUNCTION and sym.file is obj and sym.index >= nfi:
                    chunk = obj.functions[sym.index - nfi]
                    if chunk.out_index is not None:
                        sym.out_index = chunk.out_index
                        # The name section shows the first symbol naming it (as wasm-ld).
                        if chunk.name is None:
                            chunk.name = sym.name
        for obj in symtab.objects:
            # A body kept that no resolved symbol names (a COMDAT copy that lost, a weak
            # definition overridden: --no-gc-sections keeps them) is named, as wasm-ld
            # names it, by the first of its object's own symbols defining it.
            if None not in map(_NAME, obj.functions):  # (every body named: most objects)
                continue
            unnamed = {chunk.index: chunk for chunk in obj.functions
                       if chunk.name is None and chunk.out_index is not None}
            if unnamed:
                for raw in obj.symbols:
                    if (raw.kind == SYMTAB_FUNCTION and raw.index in unnamed and raw.name
                            and not raw.flags & UNDEFINED):
                        unnamed.pop(raw.index).name = raw.name
        if ctors is not None and ctors.out_index is not None:
            instrs = b"".join(call(s.out_index) + b"\x1a" * len(s.signature.results) for s in out.init_functions)
            functions[ctors.out_index - base].body = body(instrs)

    def _shared_memory_bodies(self):
        out = self.out
        written = [seg for seg in out.segments if not seg.is_bss]
        index = {id(seg): k for k, seg in enumerate(written)}
        base = out.num_imported_functions
        if out.init_memory is not None:
            copies = [(seg.start, seg.size, index[id(seg)]) for seg in written if not seg.is_tls]
            fills = [(seg.start, seg.size) for seg in out.segments if seg.is_bss]
            drops = [index[id(seg)] for seg in written if not seg.is_tls]
            out.functions[out.init_memory - base].body = init_memory_body(out.init_memory_flag, copies, fills, drops,
                                                                         self.opts.wasm64)
        init_tls = self.symtab.symbols.get("__wasm_init_tls")
        tls_base = self.symtab.symbols.get("__tls_base")
        if init_tls is not None and init_tls.out_index is not None:
            tls = out.tls_segment
            out.functions[init_tls.out_index - base].body = init_tls_body(
                tls_base.out_index, tls.size if tls else 0, index[id(tls)] if tls else None)

    def _init_functions(self):
        entries = []
        for obj in self.symtab.objects:
            for init in obj.init_funcs:
                sym = obj.resolved[init.symbol]
                if sym.file is not None and sym.out_index is None and sym.live:
                    entries.append((init.priority, len(entries), sym))
                elif sym.live:
                    entries.append((init.priority, len(entries), sym))
        entries.sort(key=lambda e: (e[0], e[1]))
        return [sym for _, _, sym in entries]

    # -- globals ---------------------------------------------------------------------------------

    def _globals(self):
        out, opts = self.out, self.opts
        ptr = self.ptr_type
        glob = out.globals
        base = out.num_imported_globals
        tls = out.tls_segment
        values = {
            "__stack_pointer": (True, out.stack_pointer),
            # With shared memory each thread sets its own (__wasm_init_tls); else a constant.
            "__tls_base": (True, 0) if opts.shared_memory else (False, tls.start if tls else 0),
            "__tls_size": (False, tls.size if tls else 0),
            "__tls_align": (False, (1 << tls.alignment) if tls else 0),
            "__memory_base": (False, 0),
            "__table_base": (False, opts.table_base),
        }
        for name in values:
            sym = self.symtab.symbols.get(name)
            if sym is not None and sym.synthetic == "global" and sym.live:
                mutable, value = values[name]
                sym.out_index = base + len(glob)
                sym.global_type = GlobalType(ptr, mutable)
                glob.append(OutGlobal(name, sym.global_type, out.const(value, opts.wasm64)))
        for obj in self.symtab.objects:
            if not obj.module.globals:
                continue  # defines none (most objects: clang imports __stack_pointer)
            ngi = obj.num_imported[GLOBAL_KIND]
            done = {}
            for sym in obj.resolved:
                if sym.kind == SYMTAB_GLOBAL and sym.file is obj and sym.index >= ngi and sym.live:
                    if sym.index not in done:
                        g = obj.module.globals[sym.index - ngi]
                        done[sym.index] = base + len(glob)
                        glob.append(OutGlobal(sym.name, g.type, g.init.code))
                    sym.out_index = done[sym.index]
        plan_got(self.symtab, out, ptr)

    # -- table -----------------------------------------------------------------------------------

    def _table(self):
        out = self.out
        entries = out.table_entries
        base = out.table_base

        slot_of = slot_map(out)
        for obj in self.symtab.objects:
            resolved = obj.resolved
            # A relocation through a global takes a slot only for a GOT entry of a
            # function (PIC code): other objects' (__stack_pointer's) are not looked at.
            picked = _SLOT_SELECTOR if obj.names_got else _TABLE_SLOT_SELECTOR
            for columns, spans in (kept_runs(obj.code_relocs, obj.functions), kept_runs(obj.data_relocs, obj.datas)):
                for lo, hi in spans:
                    # Only the relocations that can take a slot, picked in C-level passes (a
                    # function has a dozen relocations and takes an address at one or two).
                    kinds = columns.kinds[lo:hi]
                    mask = kinds.translate(picked)
                    if 1 not in mask:
                        continue
                    for kind, index in zip(compress(kinds, mask), compress(columns.indices[lo:hi], mask)):
                        sym = resolved[index]
                        if sym.table_slot is None and (kind in _TABLE_SLOT_KINDS or sym.kind == SYMTAB_FUNCTION) \
                                and not sym.is_stub and sym.out_index is not None:
                            sym.table_slot = take_slot(sym, slot_of, entries, base)
        fill_got(self.symtab, out, self.opts.wasm64)
        for sym in self.symtab.symbols.values():
            if sym.kind == SYMTAB_TABLE and sym.synthetic == "table":
                sym.out_index = 0  # the one table, defined or (--import-table) imported


def plan_got(symtab, out, ptr) -> None:
    """GOT entries: a global for each data or function symbol a kept chunk's relocation
    names as a global (PIC code), holding its address or table slot (`_got_value`, once
    the table is laid out), after the other globals, in the order wasm-ld's relocation
    scan meets them. -r makes them too, as wasm-ld 14 does."""
    base = out.num_imported_globals
    for obj in symtab.objects:
        if not obj.names_got:
            continue
        for chunk in (*obj.functions, *obj.datas):
            if not chunk.live or chunk.discarded:
                continue
            for rt, index in named(chunk):
                if rt.target == "global":
                    sym = obj.resolved[index]
                    if sym.kind in (SYMTAB_DATA, SYMTAB_FUNCTION) and sym.got_index is None:
                        sym.got_index = base + len(out.globals)
                        out.globals.append(OutGlobal(_got_name(sym), GlobalType(ptr, False), b""))


def fill_got(symtab, out, wasm64: bool) -> None:
    """Each GOT entry's value (`_got_value`), once addresses and table slots are known."""
    if any(obj.names_got for obj in symtab.objects):
        first = out.num_imported_globals
        for obj in symtab.objects:
            for sym in obj.resolved:
                if sym.got_index is not None:
                    out.globals[sym.got_index - first].init = out.const(_got_value(sym, out.num_imported_functions),
                                                                         wasm64)


def _got_name(sym) -> str:
    """A GOT entry's name, as wasm-ld 14 names it: after the symbol, or after the stub that
    stands for a weak function nobody defines (`undefined_weak:NAME`)."""
    if sym.kind == SYMTAB_DATA:
        return f"GOT.data.internal.{sym.name}"
    stub = sym.is_stub and sym.weak and sym.file is None
    return f"GOT.func.internal.{'undefined_weak:' if stub else ''}{sym.name}"


def _got_value(sym, num_imported_functions: int) -> int:
    """What a GOT entry holds: a data symbol's address, a function's table slot; 0 for a
    function that is a trapping stub (undefined, neither imported nor defined), as
    wasm-ld 14 writes it (though the stub has a slot of its own)."""
    if sym.kind != SYMTAB_FUNCTION:
        return sym.address or 0
    if sym.file is None and sym.synthetic is None and (sym.out_index is None
                                                       or sym.out_index >= num_imported_functions):
        return 0
    return sym.table_slot or 0


def slot_map(out) -> array:
    """Each output function's table slot, -1 while it has none (`take_slot`): a machine
    integer per function, where a dict of a program's thousands cost 0.6 MB."""
    return array("q", [-1]) * (out.num_imported_functions + len(out.functions))


def take_slot(sym, slot_of: array, entries: list, base: int) -> int:
    """The table slot of a function whose address is taken. Symbols of one defined function
    (C++ constructor and destructor aliases: D1 and D2 name one body) share its slot, as
    wasm-ld keeps the slot on the function (`slot_of`, by output function index); an
    imported function's is its symbol's."""
    key = sym.out_index if sym.file is not None else None
    slot = slot_of[key] if key is not None else -1
    if slot < 0:
        slot = base + len(entries)
        entries.append(sym)
        if key is not None:
            slot_of[key] = slot
    return slot
