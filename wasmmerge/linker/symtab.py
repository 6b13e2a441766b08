"""The symbol table: one global Symbol per name, resolved as wasm-ld resolves them.

Rules (tool-conventions Linking.md, wasm-ld's behaviour):
- a strong definition replaces a weak one or an undefined/lazy symbol; two strong
  definitions are an error naming both objects; of two weak ones the first wins;
- a non-weak undefined reference to a lazy symbol extracts the archive member that
  defines it; weak references never extract;
- COMDAT groups: the first object that defines a group keeps it; later objects' members
  of that group are discarded and their symbols become references to the winner (a
  discarded copy is still written when it turns out live: keep_live_discarded_chunks);
- local symbols never enter the table.
Each object keeps `resolved[i]` -> Symbol for its symbol-table entry i, so relocations
reach the winning definition without a name lookup.
"""

from ..custom.linking import (COMDAT_DATA, COMDAT_FUNCTION, COMDAT_SECTION, SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL,
                              SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG)
from ..binary.types import FUNC_KIND, MEMORY_KIND, TABLE_KIND
from ..errors import LinkError
from .archive import read_archive
from .objects import BITCODE_MAGIC, BITCODE_REFUSAL, ObjectFile, read_object
from .symbols import (BINDING_LOCAL, BINDING_WEAK, EXPLICIT_NAME, IMPORT_KIND, NO_STRIP, UNDEFINED, KIND_NAMES,
                      Symbol)

TABLE_SYMBOL = "__indirect_function_table"
# Of these flags a plain reference has only UNDEFINED, a plain definition none.
_PLAIN = UNDEFINED | BINDING_LOCAL | EXPLICIT_NAME


class SymbolTable:
    def __init__(self, diag):
        self.diag = diag  # Diagnostics: warnings, errors, traces
        self.machine = None  # -m as given: each object's architecture is checked against it
        self.symbols: dict[str, Symbol] = {}
        self.objects: list[ObjectFile] = []
        self.comdats: dict[str, ObjectFile] = {}
        self._extracted: set[tuple[int, int]] = set()  # (id(archive), member header offset)
        # Every archive read stays referenced, so that no later archive can reuse an
        # earlier one's id() (a whole archive was otherwise freed at once, and a member of
        # the next archive read at its address taken as already extracted).
        self._archives: list = []
        self.extractions: list[tuple[str, str, str]] = []  # (referrer, member, symbol): --why-extract
        self.wrapped: set[int] = set()  # id() of each symbol --wrap redirected (wrap.py)

    # -- inputs ------------------------------------------------------------------------

    def add_object(self, obj: ObjectFile):
        self._check_arch(obj)
        self._resolve_comdats(obj)
        obj.resolved = self._add_symbols(obj)
        self._add_legacy_table_reference(obj)
        # After the members its symbols pulled in, as wasm-ld orders its object files:
        # the output's functions, data and debug info then come in the same order.
        self.objects.append(obj)

    def _add_symbols(self, obj: ObjectFile) -> list[Symbol]:
        """The Symbol each entry of the object's symbol table resolves to (`_add_raw`).

        Most entries of a program are one of two function entries, entered here inline:
        a reference to a name not seen before (a new undefined symbol taking its import's
        name, module and type) and the definition of a function only referenced so far.
        Each does what `_add_raw` does for such an entry, less the tests that cannot fail;
        anything else (and every entry while --trace-symbol is given) takes `_add_raw`.
        """
        nfi = obj.num_imported[FUNC_KIND]
        table = obj.symbol_table
        names = table.names
        if self.diag.trace_symbols:
            return [self._add_entry(obj, k, nfi) for k in range(len(table))]
        symbols = self.symbols
        import_names, import_modules, import_types = (obj.imports.names[FUNC_KIND], obj.imports.modules[FUNC_KIND],
                                                      obj.imports.descs[FUNC_KIND])
        types, funcs = obj.module.types, obj.module.funcs
        in_comdat = bool(obj.comdats)  # a definition may be in a discarded chunk
        resolved = []
        append = resolved.append
        for k, (kind, flags, index) in enumerate(zip(table.kinds, table.flags, table.indices)):
            if kind == SYMTAB_FUNCTION:
                if flags & _PLAIN == UNDEFINED:  # names its import: the import's name is its name
                    name = import_names[index]
                    if name not in symbols:
                        sym = symbols[name] = Symbol(name, SYMTAB_FUNCTION, flags)
                        sym.referenced_by = obj
                        sym.import_module = import_modules[index]
                        sym.signature = types[import_types[index]].comp
                        if not flags & BINDING_WEAK:
                            sym.weak_ref_only = False
                        append(sym)
                        continue
                elif not flags & _PLAIN and index >= nfi and not in_comdat:
                    sym = symbols.get(names[k])
                    if sym is not None and sym.kind == SYMTAB_FUNCTION and sym.file is None and sym.synthetic is None:
                        names[k] = sym.name  # one string for the name in the link, as in _add_raw
                        sym.flags = flags
                        sym.lazy = None
                        sym.file = obj
                        sym.index = index
                        sym.signature = types[funcs[index - nfi]].comp
                        append(sym)
                        continue
            append(self._add_entry(obj, k, nfi))
        return resolved

    def _add_entry(self, obj: ObjectFile, k: int, nfi: int) -> Symbol:
        """Entry `k` of the object's symbol table through the general case, `_add_raw`, as
        a record (which may take the table's string for its name: kept in the column)."""
        raw = obj.symbol_table.record(k)
        sym = self._add_raw(obj, raw, nfi)
        obj.symbol_table.names[k] = raw.name
        return sym

    def _check_arch(self, obj: ObjectFile):
        """wasm-ld's checkArch, in its words: an object is wasm64 when its memory (imported or
        defined) has 64-bit addresses (LLVM's rule), and must match -m (wasm32 by default,
        but a wasm64 object needs -m wasm64 given)."""
        mems = (*obj.imports.descs[MEMORY_KIND], *obj.module.memories)
        is64 = any(mem.limits.address64 for mem in mems)
        if is64 and self.machine is None:
            raise LinkError("must specify -mwasm64 to process wasm64 object files", file=obj.name)
        if is64 != (self.machine == "wasm64"):
            raise LinkError("wasm32 object file can't be linked in wasm64 mode", file=obj.name)

    def _add_legacy_table_reference(self, obj: ObjectFile):
        """An object from before reference types imports `__indirect_function_table` with no
        table symbol for it: it refers to the table all the same, so the table's symbol
        enters the table here, after the object's own (wasm-ld's place for it: it decides
        where `--export-all` lists the table's export), NO_STRIP as wasm-ld synthesizes it
        (so -r keeps it for any later link; an object's own table symbol keeps its flags)."""
        if TABLE_SYMBOL in self.symbols or TABLE_SYMBOL not in obj.imports.names[TABLE_KIND]:
            return
        if SYMTAB_TABLE not in obj.symbol_table.kinds:
            sym = self.symbols[TABLE_SYMBOL] = Symbol(TABLE_SYMBOL, SYMTAB_TABLE, UNDEFINED | NO_STRIP)
            sym.referenced_by = obj

    def add_archive(self, path: str, data, whole: bool):
        archive = read_archive(path, data)
        self._archives.append(archive)
        if whole:
            for member in archive.members:
                self._extract(archive, member.offset, None)
            return
        index = archive.index
        if index is None:
            index = self._build_index(archive)
        archive_id = id(archive)
        for name, k in index.items():
            if (archive_id, k) in self._extracted:
                continue
            sym = self.symbols.get(name)
            if sym is None:
                sym = self.symbols[name] = Symbol(name, None)
                sym.lazy = (archive, k)
                self.diag.trace_symbol(name, archive.path, "lazy definition of")
            elif not sym.defined and sym.lazy is None:
                sym.lazy = (archive, k)
                if sym.weak_ref_only:  # weak references extract nothing: the member waits
                    self.diag.trace_symbol(name, archive.path, "lazy definition of")
                else:
                    referrer = sym.referenced_by.name if sym.referenced_by else "<command line>"
                    self._extract(archive, k, (referrer, name))

    def _build_index(self, archive) -> dict[str, int]:
        """An archive without a symbol index: read each member's symbol table (the index
        maps a name to its member's header offset, as an archive's own index does)."""
        index = {}
        for member in archive.members:
            data = member.load(archive.path)
            if bytes(data[:4]) != b"\0asm":
                continue
            table = read_object(f"{archive.path}({member.name})", bytes(data)).symbol_table
            for name, flags, kind in zip(table.names, table.flags, table.kinds):
                if name and not flags & (UNDEFINED | BINDING_LOCAL) and kind != SYMTAB_SECTION:
                    index.setdefault(name, member.offset)
        return index

    def _extract(self, archive, offset: int, why: tuple[str, str] | None):
        """The member whose header is at `offset`; `why`: (referrer, symbol) for an
        extraction on demand."""
        key = (id(archive), offset)
        if key in self._extracted:
            return
        self._extracted.add(key)
        member = archive.member(offset, why[1] if why is not None else None)
        name = f"{archive.path}({member.name})"
        if why is not None:
            self.extractions.append((why[0], name, why[1]))
        data = member.load(archive.path)
        if bytes(data[:4]) != b"\0asm":
            problem = f": {BITCODE_REFUSAL}" if bytes(data[:4]) == BITCODE_MAGIC else " is not a WebAssembly object"
            raise LinkError(f"archive member {member.name}{problem}", offset=member.offset, file=archive.path)
        self.diag.trace_file(name)
        obj = read_object(name, bytes(data))
        obj.member_name = member.name
        obj.on_demand = why is not None
        self.add_object(obj)

    # -- COMDAT groups -----------------------------------------------------------------

    def _resolve_comdats(self, obj: ObjectFile):
        for comdat in obj.comdats:
            winner = self.comdats.setdefault(comdat.name, obj)
            if winner is obj:
                continue
            for member in comdat.members:
                if member.kind == COMDAT_FUNCTION:
                    obj.functions[member.index - obj.num_imported[0]].discarded = True
                elif member.kind == COMDAT_DATA:
                    obj.datas[member.index].discarded = True
                elif member.kind == COMDAT_SECTION and member.index in obj.sections:
                    obj.sections[member.index].discarded = True  # (as wasm-ld 14: even with -r)

    def keep_live_discarded_chunks(self):
        """wasm-ld 14 writes every live chunk, the COMDAT copies that lost to another
        object's included: when nothing is collected (--no-gc-sections, -r) they all stay,
        unreferenced (their symbols were resolved to the winner's), and with gc one stays
        when a local symbol in it is reached. Called once liveness is known; from then on
        `discarded` only says what the output leaves out."""
        for obj in self.objects:
            if obj.comdats:
                for chunk in (*obj.functions, *obj.datas):
                    if chunk.discarded and chunk.live:
                        chunk.discarded = False

    # -- one symbol-table entry ----------------------------------------------------------

    def _add_raw(self, obj, raw, nfi) -> Symbol:
        kind, flags, name = raw.kind, raw.flags, raw.name
        if kind == SYMTAB_SECTION:
            return Symbol(f"<section {raw.index}>", kind, flags | BINDING_LOCAL, obj, raw.index)
        import_kind = None  # the kind of the import an undefined symbol names (data: none)
        if flags & UNDEFINED:
            if kind != SYMTAB_DATA:
                import_kind = IMPORT_KIND[kind]
                if name is None:
                    name = obj.imports.names[import_kind][raw.index]
        elif obj.comdats and self._in_discarded_chunk(obj, raw, nfi):
            flags |= UNDEFINED  # lost its COMDAT group: refer to the winner's definition
        if flags & BINDING_LOCAL:
            sym = Symbol(name, kind, flags, obj, raw.index)
            self._fill_definition(sym, obj, raw, nfi)
            return sym
        sym = self.symbols.get(name)
        if sym is not None:
            if sym.kind != kind and sym.kind is not None:
                where = sym.file.name if sym.file else (sym.referenced_by.name if sym.referenced_by else "?")
                raise LinkError(f"symbol type mismatch: {name}\n>>> defined as {KIND_NAMES[sym.kind]} in {where}\n"
                                f">>> defined as {KIND_NAMES[kind]} in {obj.name}")
            # One string for the name in the link: the object lets its own (equal) copy go.
            if raw.name is not None:
                raw.name = sym.name
            else:
                obj.imports.names[import_kind][raw.index] = sym.name
        if flags & UNDEFINED:
            sym = self._add_undefined(obj, name, kind, flags, raw, sym, import_kind)
            if kind == SYMTAB_FUNCTION and sym.signature is None and not raw.flags & UNDEFINED:
                # A discarded COMDAT copy's function, which the winning group may not
                # define (a damaged object): its own type, as lld gives it (a weak one
                # nobody defines is then a trapping stub of that type).
                sym.signature = obj.module.types[obj.func_type_index(raw.index)].comp
            return sym
        return self._add_defined(obj, name, kind, flags, raw, nfi, sym)

    def _in_discarded_chunk(self, obj, raw, nfi) -> bool:
        if raw.kind == SYMTAB_FUNCTION and raw.index >= nfi:
            return obj.functions[raw.index - nfi].discarded
        if raw.kind == SYMTAB_DATA and raw.segment is not None and not raw.flags & 0x200:
            return obj.datas[raw.segment].discarded
        return False

    def _add_undefined(self, obj, name, kind, flags, raw, sym, import_kind) -> Symbol:
        """A reference. `import_kind`: the kind of the import it names (None for data and
        a discarded COMDAT member, whose winner's definition brings the types)."""
        traced = self.diag.trace_symbols
        if traced and name in traced:
            self.diag.trace_symbol(name, obj.name, "reference to")
        weak = flags & BINDING_WEAK
        if sym is None:
            # The usual reference, to a name not seen before: what the general case below
            # does to a new symbol, without the tests that cannot fail.
            sym = self.symbols[name] = Symbol(name, kind, flags)
            sym.referenced_by = obj
            if import_kind is not None:
                self._take_import(sym, obj, kind, flags, raw.index, import_kind)
            if not weak:
                sym.weak_ref_only = False
            return sym
        if sym.kind is None:
            sym.kind = kind
        if sym.referenced_by is None:
            sym.referenced_by = obj
        if sym.file is None and sym.synthetic is None:  # not defined
            if import_kind is not None:
                self._take_import(sym, obj, kind, flags, raw.index, import_kind)
            if not weak:
                sym.flags &= ~BINDING_WEAK
                if sym.weak_ref_only:
                    sym.weak_ref_only = False
                    if sym.lazy is not None:
                        archive, k = sym.lazy
                        sym.lazy = None
                        # Extract now, as wasm-ld does: members then come in the same
                        # order, so functions and debug info land at the same offsets.
                        self._extract(archive, k, (obj.name, name))
            elif sym.referenced_by is obj and sym.weak_ref_only:
                sym.flags |= BINDING_WEAK
        return sym

    @staticmethod
    def _take_import(sym, obj, kind, flags, index, import_kind):
        """An undefined symbol's import `index` (of `import_kind`) in `obj`: the first
        reference that names an import gives its module (and, EXPLICIT_NAME, field name);
        each type the symbol has none of yet comes from the import."""
        imports = obj.imports
        if sym.import_module is None:
            sym.import_module = imports.modules[import_kind][index]
            if flags & EXPLICIT_NAME:
                sym.import_name = imports.names[import_kind][index]
            sym.flags = (sym.flags & ~EXPLICIT_NAME) | (flags & EXPLICIT_NAME)
        desc = imports.descs[import_kind][index]
        if kind == SYMTAB_FUNCTION:
            if sym.signature is None:
                sym.signature = obj.module.types[desc].comp
        elif kind == SYMTAB_GLOBAL:
            if sym.global_type is None:
                sym.global_type = desc
        elif kind == SYMTAB_TABLE:
            if sym.table_type is None:
                sym.table_type = desc
        elif kind == SYMTAB_TAG and sym.tag_type is None:
            sym.tag_type = desc

    def _add_defined(self, obj, name, kind, flags, raw, nfi, sym) -> Symbol:
        # -y traces a definition where it is placed, as wasm-ld does (not one that loses).
        traced = self.diag.trace_symbols
        if sym is None:
            if traced and name in traced:
                self.diag.trace_symbol(name, obj.name, "definition of")
            sym = self.symbols[name] = Symbol(name, kind, flags, obj, raw.index)
            self._fill_definition(sym, obj, raw, nfi)
            return sym
        if sym.file is not None or sym.synthetic is not None:  # defined
            if flags & BINDING_WEAK:
                return sym  # the existing definition (strong, or the first weak one) wins
            if not sym.flags & BINDING_WEAK:
                # (and the new definition takes its place, as in wasm-ld: a third one is
                # reported against the second)
                self.diag.error(f"duplicate symbol: {self.diag.named(name)}\n>>> defined in {self._where(sym)}\n"
                                f">>> defined in {obj.name}", verbatim=True)
        if traced and name in traced:
            self.diag.trace_symbol(name, obj.name, "definition of")
        sym.kind = kind
        sym.flags = flags
        sym.lazy = None
        sym.file = obj
        sym.index = raw.index
        self._fill_definition(sym, obj, raw, nfi)
        return sym

    @staticmethod
    def _where(sym) -> str:
        return sym.file.name if sym.file else "<internal>"

    @staticmethod
    def _fill_definition(sym, obj, raw, nfi):
        kind = raw.kind
        if kind == SYMTAB_FUNCTION:
            module = obj.module
            if raw.index >= nfi:
                sym.signature = module.types[module.funcs[raw.index - nfi]].comp
            else:  # a local alias of an imported function: keep it as a reference
                sym.signature = module.types[obj.func_type_index(raw.index)].comp
        elif kind == SYMTAB_DATA:
            if raw.flags & 0x200:  # ABSOLUTE: an address, no segment
                sym.segment, sym.address = None, raw.offset
            elif raw.segment is not None:
                sym.segment = obj.datas[raw.segment]
                sym.offset, sym.size = raw.offset, raw.size
        elif kind == SYMTAB_GLOBAL:
            sym.global_type = obj.global_type(raw.index)
        elif kind == SYMTAB_TAG:
            sym.tag_type = obj.tag_type(raw.index)
        elif kind == SYMTAB_TABLE:
            sym.table_type = obj.table_type(raw.index)

    def weak_undefined_functions(self):
        """The weak functions objects refer to and nobody defines, in symbol-table order: each
        gets a stub before wasm-ld collects (one an archive member could define counts: weak
        references extract nothing)."""
        return (sym for sym in self.symbols.values()  # (the flag, not the `weak` property: a call less each)
                if sym.kind == SYMTAB_FUNCTION and sym.flags & BINDING_WEAK and not sym.defined
                and sym.referenced_by is not None)

    # -- references from the command line ---------------------------------------------------

    def require(self, name: str) -> Symbol | None:
        """A strong reference from the command line (entry, --export): extracts members."""
        sym = self.symbols.get(name)
        if sym is None:
            return None
        if sym.lazy is not None and not sym.defined:
            archive, k = sym.lazy
            sym.lazy = None
            sym.weak_ref_only = False
            self._extract(archive, k, ("<command line>", name))
        return sym
