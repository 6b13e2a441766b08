"""Garbage collection: mark what the roots reach through relocations (wasm-ld's MarkLive).

Roots: the entry point, exported symbols (--export, EXPORTED flags, --export-all/-dynamic)
and global NO_STRIP symbols (a local one is no root: wasm-ld 14 roots those of its symbol
table). A live symbol makes its chunk live (a function body or a data segment); a live
chunk makes every symbol its relocations name live. As in wasm-ld, the init functions
(constructors) of objects named on the command line or linked whole are roots; those of an
archive member extracted for a reference are live once anything it defines is;
__wasm_call_ctors is live when some init function is (or code calls it). So a library
member pulled in only by code that is then collected runs no constructor. Undefined
symbols reached this way are the ones reported as undefined: a reference from dead code is
no error, as in wasm-ld. A table slot of a weak function nobody defines marks nothing (its
address is 0; only a call needs its stub). With --no-gc-sections every chunk of every
object is live, the COMDAT copies that lost to another object's included; as in wasm-ld
14, such a copy is also live (and written) when a local symbol in it is reached.
"""

from itertools import compress

from .objects import FunctionChunk
from .relocations import RELOC_TYPES, TYPE_KINDS, selector
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL


SYMBOL_KINDS = frozenset(RELOC_TYPES) - TYPE_KINDS  # relocation types whose index is a symbol's
_SYMBOL_SELECTOR = selector(SYMBOL_KINDS)
# A function's address in the table, absolute (not the PIC, base-relative kind): against a
# weak function nobody defines it is 0, and marks nothing (wasm-ld's MarkLive: the stub
# such a function gets is only for calls).
ABSOLUTE_SLOT_KINDS = frozenset(t.number for t in RELOC_TYPES.values()
                                if t.target == "table_slot" and t.modifier is None)


class MarkLive:
    def __init__(self, symtab, roots, gc: bool, pending=None):
        self.symtab = symtab
        self.roots = roots
        self.gc = gc
        # The objects whose relocations are still to be taken (prefetch.LaterRelocations),
        # or None: marking takes one whenever it can mark nothing more without, while the
        # process reading ahead reads on.
        self.pending = pending
        self.queue = []
        self.live_undefined = {}  # Symbol -> [ObjectFile referencing it from live code]
        self.ctors_live = False  # some init function is live: __wasm_call_ctors has work
        self.live_objects = set()  # each object something live is defined in

    def run(self):
        symtab = self.symtab
        if not self.gc:
            for obj in symtab.objects:
                for chunk in obj.functions:
                    self._chunk(chunk)
                for chunk in obj.datas:
                    self._chunk(chunk)
                for sym in obj.resolved:
                    self.enqueue(sym, obj)
        for obj in symtab.objects:
            if not obj.on_demand:
                self.live_objects.add(obj)
                self._init_functions(obj)
        for sym in self.roots:
            self.enqueue(sym, None)
        self._mark()
        symtab.keep_live_discarded_chunks()
        self.ctors_live = any(obj.resolved[init.symbol].live for obj in symtab.objects for init in obj.init_funcs)
        ctors = symtab.symbols.get("__wasm_call_ctors")
        if ctors is not None and ctors.synthetic and self.ctors_live:
            ctors.live = True

    def _init_functions(self, obj):
        for init in obj.init_funcs:
            self.enqueue(obj.resolved[init.symbol], obj)

    def enqueue(self, sym, referrer):
        if sym.live:
            return
        sym.live = True
        if sym.file is None:
            if sym.synthetic is None and sym.kind is not None:
                self.live_undefined.setdefault(sym, []).append(referrer)
            return
        obj = sym.file
        if obj not in self.live_objects:
            self.live_objects.add(obj)
            if obj.init_funcs:
                self._init_functions(obj)
        if sym.kind == SYMTAB_FUNCTION:  # (a defined symbol names a defined function: objects.py)
            self._chunk(obj.functions[sym.index - obj.num_imported[0]])
        elif sym.kind == SYMTAB_DATA:
            if sym.segment is not None:
                self._chunk(sym.segment)
        elif sym.kind == SYMTAB_GLOBAL:
            pass  # defined globals carry no relocations

    def _chunk(self, chunk):
        if chunk.live:
            return
        chunk.live = True
        self.queue.append(chunk)

    def _mark(self):
        queue = self.queue
        enqueue = self.enqueue
        live_undefined = self.live_undefined  # empty in most links: then no lookup at all
        # The weak functions nobody defines, and the objects naming them (none in most links).
        weak_stubs = set(map(id, self.symtab.weak_undefined_functions()))
        naming_stubs = {}  # id(object) -> whether its symbols include one of them
        function_chunk = FunctionChunk
        symbol_selector = _SYMBOL_SELECTOR
        pending = self.pending
        waiting = {}  # id(object) -> its chunks reached before its relocations were taken
        while True:
            if not queue:
                # Nothing more to mark without the next object's relocations.
                obj = pending.next() if pending is not None else None
                if obj is None:
                    break
                queue.extend(waiting.pop(id(obj), ()))
                continue
            chunk = queue.pop()
            obj = chunk.file
            if obj.later_relocations is not None:
                waiting.setdefault(id(obj), []).append(chunk)
                continue
            if chunk.__class__ is function_chunk:  # most chunks: their run found inline
                columns = obj.code_relocs
                if columns is None:
                    continue
                k = chunk.index - obj.num_imported[0]
                bounds = obj.code_bounds
                lo, hi = bounds[k], bounds[k + 1]
            else:
                columns, lo, hi = chunk.reloc_span()
            if lo == hi:
                continue
            if weak_stubs:
                names = naming_stubs.get(id(obj))
                if names is None:
                    names = naming_stubs[id(obj)] = any(id(sym) in weak_stubs for sym in obj.resolved)
                if names:
                    self._follow_skipping_stub_slots(obj, columns, lo, hi, weak_stubs)
                    continue
            # The symbols named (a type relocation's index is a type's), in C-level passes.
            named_symbols = compress(columns.indices[lo:hi], columns.kinds[lo:hi].translate(symbol_selector))
            for sym in map(obj.resolved.__getitem__, named_symbols):
                if not sym.live:
                    enqueue(sym, obj)
                elif live_undefined and sym in live_undefined and obj not in live_undefined[sym]:
                    live_undefined[sym].append(obj)

    def _follow_skipping_stub_slots(self, obj, columns, lo, hi, weak_stubs):
        """`_mark`'s walk over one chunk's relocations, a table slot of a weak function
        nobody defines left out."""
        resolved, live_undefined = obj.resolved, self.live_undefined
        for kind, index in zip(columns.kinds[lo:hi], columns.indices[lo:hi]):
            if kind not in SYMBOL_KINDS:
                continue
            sym = resolved[index]
            if kind in ABSOLUTE_SLOT_KINDS and id(sym) in weak_stubs:
                continue
            if not sym.live:
                self.enqueue(sym, obj)
            elif live_undefined and sym in live_undefined and obj not in live_undefined[sym]:
                live_undefined[sym].append(obj)


def first_references(objects, wanted: set) -> dict:
    """Each symbol of `wanted` a live relocation names, in the order wasm-ld 14's relocation
    scan first meets it (Writer::scanRelocations: the objects in order, each one's live
    functions, live data segments, then custom sections, COMDAT losers left out), with the
    type number of that first relocation. Its undefined-symbol messages and the stubs of
    --unresolved-symbols=ignore-all follow this order. Reads every relocation up to the
    last wanted symbol's: run only for the few symbols that need it."""
    first = {}
    for obj in objects:
        if len(first) == len(wanted):  # (none wanted, most links: nothing read)
            break
        resolved = obj.resolved
        for chunk in (*obj.functions, *obj.datas, *obj.customs):
            if chunk.discarded or not getattr(chunk, "live", True):  # (custom sections have no `live`)
                continue
            columns, lo, hi = chunk.reloc_span()
            for kind, index in zip(columns.kinds[lo:hi], columns.indices[lo:hi]) if lo != hi else ():
                if kind in SYMBOL_KINDS:
                    sym = resolved[index]
                    if sym in wanted and sym not in first:
                        first[sym] = kind
    return first
