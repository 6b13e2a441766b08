"""One link, start to finish: inputs -> symbol table -> mark live -> layout -> bytes.

The order follows wasm-ld's driver: read every input (archives only index their members),
add the command line's own references (entry, --export), define the linker's synthetic
symbols, mark what the roots reach, report undefined symbols all at once, lay out, write.
"""

import mmap
import os

from .. import collector
from ..binary.types import GLOBAL_KIND
from ..errors import LinkError, WasmError
from ..outputs import joined
from ..workers import processes_for
from .archive import is_archive
from .diagnostics import Diagnostics
from .features import allowed_features
from .layout import Planner
from .memory_plan import output_segment_name
from .marklive import MarkLive
from .mismatch import replace_mismatched_calls
from .objects import BITCODE_MAGIC, BITCODE_REFUSAL, LATER, read_object, relocation_parts
from .options import LinkOptions, find_library, symbol_lines
from .symbols import NO_STRIP, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE
from .symtab import SymbolTable
from .symbols import Symbol
from .synthetic import SYNTHETIC_KINDS, TABLE_SYMBOLS, TLS_SYMBOLS, define_synthetic
from .writer import Writer


TLS_SEGMENT = 0x2  # WASM_SEG_FLAG_TLS in a segment's flags
# (__table_base32: wasm64 only)
OPTIONAL_DATA_ORDER = ("__dso_handle", "__data_end", "__global_base", "__heap_base", "__memory_base", "__table_base",
                       "__table_base32")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise LinkError(f"cannot open: {err.strerror or err}", file=path) from None


def _map(path: str, may_map: bool):
    """An input's bytes, mapped read-only rather than copied, as wasm-ld maps its inputs:
    the link keeps every input until it writes, and mapped pages are the file's own (the
    system can drop and re-read them) instead of a private copy of each. A file that
    cannot be mapped (empty, a pipe), or any once `may_map` is false, is read. Like
    wasm-ld, an input must not be truncated by another program while the link runs."""
    try:
        fd = os.open(path, os.O_RDONLY)  # (no file object: a link maps hundreds of inputs)
        try:
            if may_map:
                try:
                    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
                except (ValueError, OSError):  # empty, not a regular file, or no descriptor left
                    pass
            with open(fd, "rb", closefd=False) as f:
                return f.read()
        finally:
            os.close(fd)
    except OSError as err:
        raise LinkError(f"cannot open: {err.strerror or err}", file=path) from None


# A mapping keeps a file descriptor open (Python's mmap holds a duplicate until it is
# closed), so a link of thousands of inputs maps only as many as leave this many
# descriptors for everything else (the output's temporary, the archives' .imports):
# the rest are read.
_SPARE_DESCRIPTORS = 64


def _mappable_inputs(count: int) -> int:
    """How many of `count` inputs may be mapped within the process's descriptor limit."""
    if count <= 256:  # under any usual limit: the `resource` module is not even loaded
        return count
    import resource  # lazy: only a link of hundreds of inputs asks for the limit
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return count
    in_use = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else soft // 2
    return max(0, min(count, soft - _SPARE_DESCRIPTORS - in_use))


def _read_imports_file(archive_path: str, opts: LinkOptions):
    """wasm-ld reads `libX.imports` beside an archive `libX.a` (wasi-libc ships
    libc.imports): each line names a symbol that may stay undefined (an import), as
    --allow-undefined-file does (`symbol_lines`)."""
    imports_path = os.path.splitext(archive_path)[0] + ".imports"
    if not os.path.isfile(imports_path):
        return
    opts.allow_undefined_symbols.update(symbol_lines(_read(imports_path).decode("utf-8", "replace")))


class LinkResult:
    def __init__(self, pieces: list, layout, symtab, diag):
        # The module as the pieces the writer made (the code section alone is most of
        # it, made as it is written when one process makes it: `outputs.Deferred`):
        # written to the file one after another, joined only if `data` is asked for.
        self.pieces = pieces
        self._data = None
        self.layout = layout
        self.symtab = symtab
        self.diag = diag
        self.demangle = diag.demangle  # how the map names C++ symbols

    @property
    def data(self) -> bytes:
        """The module's bytes in one piece."""
        if self._data is None:
            self._data = joined(self.pieces) if len(self.pieces) != 1 else bytes(self.pieces[0])
            self.pieces = [self._data]
        return self._data


def map_inputs(opts: LinkOptions, symtab: SymbolTable) -> list:
    """(spec, path, bytes, "archive" | "object" | None (unknown)) of every input. As
    wasm-ld (its createFiles), every input that cannot be found or read is reported, in
    command-line order, and the link stops before any is parsed."""
    if not opts.inputs:
        raise LinkError("no input files")
    files = []
    mappable = _mappable_inputs(len(opts.inputs))
    for spec in opts.inputs:
        try:
            path = find_library(opts, spec.value) if spec.is_library else spec.value
            data = _map(path, len(files) < mappable)
        except LinkError as err:
            symtab.diag.error(str(err), verbatim=True)  # (about a file: a `_Z3foo.o` is no symbol)
            continue
        kind = "archive" if is_archive(data) else "object" if data[:4] == b"\0asm" else None
        files.append((spec, path, data, kind))
    symtab.diag.check()
    return files


def load_inputs(files: list, opts: LinkOptions, symtab: SymbolTable, deferred: list | None):
    """Each input (`map_inputs`) in turn: objects read and their symbols entered, archives
    indexed; `deferred`: where a second process reads relocations ahead, the list the
    objects read without theirs go to, in order (None: read with them)."""
    for spec, path, data, kind in files:
        if kind == "archive":
            # --trace names the members extracted, not the archive (as wasm-ld does).
            _read_imports_file(path, opts)
            symtab.add_archive(path, data, spec.whole_archive)
        elif kind == "object":
            symtab.diag.trace_file(path)
            obj = read_object(path, data, LATER if deferred is not None else None)
            if deferred is not None:
                deferred.append(obj)
            symtab.add_object(obj)
        elif bytes(data[:4]) == BITCODE_MAGIC:
            raise LinkError(BITCODE_REFUSAL, file=path)
        else:
            raise LinkError("unknown file type (not a WebAssembly object or an archive)", file=path)
    if not symtab.objects and all(spec.whole_archive for spec, _, _, kind in files if kind == "archive"):
        # Only empty archives linked whole: wasm-ld has no input file either.
        raise LinkError("no input files")


def _start_read_ahead(objects: list[tuple[str, bytes]], threads: int | None):
    """A LaterRelocations whose second process reads these (name, bytes) objects'
    relocations ahead, when it pays: when the objects would be worth more than one
    process (`workers.processes_for`: --threads=N above 1, or by default more than one
    core and a large enough link); else None. Each object is one unit of that work, or
    a large one several (`objects.relocation_parts`): even a link of one object shares it."""
    if processes_for(sum(len(data) for _, data in objects), threads) < 2:
        return None
    units = [(k, name, data, part, payload) for k, (name, data) in enumerate(objects)
             for part, payload in relocation_parts(data)]
    if len(units) < 2:
        return None
    # lazy: only a large link reads ahead (it needs mmap and pickle, and forks).
    from .prefetch import LaterRelocations, Prefetch
    try:
        prefetch = Prefetch([(name, data, part, payload) for _, name, data, part, payload in units])
    except OSError:  # no room for the mapping (overcommit disabled) or no process: read alone
        return None
    return LaterRelocations([(k, part) for k, _, _, part, _ in units], prefetch)


def link(opts: LinkOptions, stream=None) -> LinkResult:
    # A link builds a few objects per symbol, chunk and relocation and frees almost
    # none until it ends: the cyclic collector's passes over them find nothing and cost
    # a sixth of the link (bench_link.py), so it is paused for the link's duration (the
    # command keeps it paused to the process's end: collector.py).
    with collector.paused():
        return _run(opts, stream)


def _run(opts: LinkOptions, stream) -> LinkResult:
    diag = Diagnostics(opts.fatal_warnings, opts.error_limit, opts.trace, opts.trace_symbols, stream, opts.demangle)
    symtab = SymbolTable(diag)
    symtab.machine = opts.machine
    # Every input's bytes first, so that a second process can read relocations ahead:
    # every object's symbols are then entered first and its relocations taken after, by
    # marking as it goes (marklive.py), when that process has read more of them. (Not
    # while tracing, whose lines would then run past an object with bad relocations.)
    files = map_inputs(opts, symtab)
    pending = None
    if not (opts.trace or opts.trace_symbols):
        pending = _start_read_ahead([(path, data) for _, path, data, kind in files if kind == "object"],
                                    opts.threads)
    try:
        load_inputs(files, opts, symtab, pending.objects if pending is not None else None)
        return _resolve_and_write(opts, symtab, diag, pending)
    except WasmError:
        if pending is not None:
            # An earlier object's bad relocations are the error, as when each object is
            # read whole in turn (wasm-ld reads an object's relocations with the object).
            pending.finish()
        raise
    finally:
        if pending is not None:
            pending.close()


def _resolve_and_write(opts, symtab, diag, pending) -> LinkResult:
    """The link once every input's symbols are entered; `pending` (or None): the objects
    whose relocations are still to be taken."""
    diag.check()
    if pending is not None and (opts.wraps or opts.relocatable):
        pending.finish()  # both rewrite every object's relocations
    if opts.wraps:
        from .wrap import wrap_symbols  # lazy: only --wrap
        wrap_symbols(symtab, opts)
        diag.check()
    if opts.relocatable:
        # Nothing is exported, but as in a full link the archive member defining a name
        # --export or --export-if-defined gives is extracted, and a name --export gives
        # that no input defines is reported.
        for name in (*opts.exports, *opts.exports_if_defined):
            sym = symtab.require(name)
            if (sym is None or not sym.defined) and name in opts.exports:
                _export_not_found(name, opts, diag)
        diag.check()
        features = allowed_features(symtab.objects, opts, diag, _tls_used(symtab, every_kept=True))
        diag.check()
        from .relocatable import write_relocatable  # lazy: only -r writes the output's linking/reloc sections
        data, layout, sections = write_relocatable(symtab, opts, features)
        result = LinkResult([_with_build_id(data, opts)], layout, symtab, diag)
        result.sections = sections
        result.shared_memory = False
        return result
    return _link(opts, symtab, diag, pending)


def _link(opts, symtab, diag, pending) -> LinkResult:
    stubs = replace_mismatched_calls(symtab, pending)
    if diag.trace_symbols:  # wasm-ld defines each weak function nobody defines as a stub here
        for sym in symtab.weak_undefined_functions():
            diag.trace_symbol(sym.name, "<internal>", "definition of", f"undefined_weak:{sym.name}")
    # References from the command line pull archive members like any other reference.
    # -u names only extract (no root, no error when absent), first, as wasm-ld does.
    for name in opts.undefined:
        symtab.require(name)
    roots = []
    if opts.entry:
        entry = symtab.require(opts.entry)
        if entry is None or not entry.defined:
            diag.error(f"entry symbol not defined (pass --no-entry to suppress): {opts.entry}", verbatim=True)
        else:
            roots.append(entry)
    diag.check()  # (a missing entry stops the link here; a missing export, after gc, as in wasm-ld)
    for name in opts.exports:
        sym = symtab.require(name)
        if name in SYNTHETIC_KINDS:
            continue  # defined below, once the symbol table is complete
        if sym is None or not sym.defined:
            _export_not_found(name, opts, diag)
        else:
            roots.append(sym)
    for name in opts.exports_if_defined:
        sym = symtab.require(name)  # as --export: an archive member defining it is extracted (wasm-ld 14)
        if sym is not None and sym.defined:
            roots.append(sym)
    ctors = symtab.symbols.get("__wasm_call_ctors")
    # A program whose code never calls __wasm_call_ctors (nor names it as entry or
    # export) references libc's __wasm_call_dtors, as wasm-ld does (extracting the member
    # that defines it, --export-all or not), and, unless it exports everything, gets its
    # exports wrapped so that constructors run first and destructors last (wasm-ld's
    # ".command_export" wrappers).
    calls_dtors = ((ctors is None or ctors.referenced_by is None) and "__wasm_call_ctors" not in opts.exports
                   and opts.entry != "__wasm_call_ctors")
    wrap_exports = calls_dtors and not opts.export_all
    dtors = None
    if calls_dtors:
        dtors = symtab.require("__wasm_call_dtors")
        if dtors is not None and (not dtors.defined or dtors.kind != SYMTAB_FUNCTION):
            dtors = None
    if ctors is None and (wrap_exports or not opts.gc_sections):
        ctors = symtab.symbols["__wasm_call_ctors"] = _synthetic_ctors(symtab)
    # --export of a linker-defined name references it; --export-all defines them all,
    # as wasm-ld 14 does (except, without shared memory, the TLS ones, which it defines on
    # use, the table, which exists only when an object refers to it, and __heap_end, which
    # wasm-ld 14 lacks: we define it on use, as wasm-ld 15 and later do).
    wanted = list(opts.exports)
    # With shared memory wasm-ld makes the TLS symbols up front, TLS data or not: kept when
    # nothing is collected, exported by --export-all.
    tls_made_first = opts.shared_memory and (opts.export_all or not opts.gc_sections)
    if opts.export_all:
        wanted += ["__wasm_call_ctors", *(n for n in OPTIONAL_DATA_ORDER if opts.wasm64 or n != "__table_base32")]
    if tls_made_first:
        wanted += list(TLS_SYMBOLS)
    # Those no input mentions wasm-ld makes after reading the inputs, the data ones in a
    # fixed order (its createOptionalSymbols), whatever order the command line names them in.
    wanted.sort(key=lambda n: OPTIONAL_DATA_ORDER.index(n) if n in OPTIONAL_DATA_ORDER else len(OPTIONAL_DATA_ORDER))
    for name in wanted:
        if name not in symtab.symbols and name in SYNTHETIC_KINDS:
            symtab.symbols[name] = Symbol(name, SYNTHETIC_KINDS[name])
    # --export-table with no object naming the table: wasm-ld makes its symbol last (so
    # exports it after every other).
    if opts.export_table and TABLE_SYMBOLS[0] not in symtab.symbols:
        symtab.symbols[TABLE_SYMBOLS[0]] = Symbol(TABLE_SYMBOLS[0], SYMTAB_TABLE)
    if "__stack_pointer" not in symtab.symbols:  # wasm-ld always defines it
        symtab.symbols["__stack_pointer"] = Symbol("__stack_pointer", SYMTAB_GLOBAL)
    init_tls = symtab.symbols.get("__wasm_init_tls")
    if init_tls is not None and opts.shared_memory and "__tls_base" not in symtab.symbols:
        # The function sets it. (Without shared memory wasm-ld 14 makes neither: a
        # reference to __wasm_init_tls is then an undefined function like any other.)
        symtab.symbols["__tls_base"] = Symbol("__tls_base", SYMTAB_GLOBAL)
    segment_names = {output_segment_name(c.name, opts.merge_data_segments) for o in symtab.objects for c in o.datas}
    define_synthetic(symtab, opts.wasm64, segment_names, opts.shared_memory)
    for name, sym in symtab.symbols.items():  # (`defined`, a property, asked last: most are no root)
        if (sym.flags & (NO_STRIP | 0x20) or opts.export_all or name in opts.exports
                or (opts.export_table and name in TABLE_SYMBOLS)
                or (opts.export_dynamic and not sym.hidden and sym.synthetic is None)) and sym.defined:
            roots.append(sym)
    # (NO_STRIP roots only the symbols of the symbol table: wasm-ld 14's MarkLive walks its
    # global symbols, so a local `__attribute__((used))` function or variable is collected
    # like any other unless something live refers to it.)
    roots.append(symtab.symbols["__stack_pointer"])
    if not opts.gc_sections and ctors is not None and ctors.synthetic:
        roots.append(ctors)  # nothing is collected, the linker's own function included
    if tls_made_first and not opts.gc_sections:
        roots.extend(symtab.symbols[name] for name in TLS_SYMBOLS)
    if wrap_exports and dtors is not None:
        roots.append(dtors)
    marker = MarkLive(symtab, roots, opts.gc_sections, pending)
    marker.run()
    tls_base = symtab.symbols.get("__tls_base")
    if init_tls is not None and init_tls.live and tls_base is not None and _tls_used(symtab):
        tls_base.live = True  # __wasm_init_tls sets it (with no TLS data its body is empty)
    if wrap_exports and not marker.ctors_live and dtors is None:
        wrap_exports = False  # nothing for a wrapper to run around the export
    if opts.print_gc_sections or marker.live_undefined:
        from . import gc_report  # lazy: most links have nothing to report (every link's start-up)
        if opts.print_gc_sections:  # (printed by wasm-ld's gc, before the undefined symbols' errors)
            gc_report.print_gc_sections(symtab, stubs, not opts.gc_sections, opts.shared_memory)
        gc_report.report_undefined(opts, symtab, marker, diag)
    if diag.errors:
        # wasm-ld lays memory out before it reports a missing export or an undefined
        # symbol, and checks features after: its layout's errors (memory too small, a size
        # not a page's multiple) come first, the features' last. The layout is made for its
        # errors alone; the link stops here.
        trial = Diagnostics(demangle=opts.demangle)
        Planner(symtab, opts, trial, marker).lay_out_memory()
        diag.errors[:0] = trial.errors
        allowed_features(symtab.objects, opts, diag, _tls_used(symtab))
    diag.check()
    layout = Planner(symtab, opts, diag, marker).run(wrap_exports, dtors, stubs)
    # (A layout error, memory too small, is reported with the features' errors, as wasm-ld
    # reports them.) Checked once the imports are known, as wasm-ld does (its populateTargetFeatures).
    features = allowed_features(symtab.objects, opts, diag, _tls_used(symtab), layout.imports,
                                _exported_globals(layout, symtab))
    diag.check()
    if opts.verbose:
        _report_layout(layout, symtab, diag)
    if not opts.emit_relocs:
        _release_symbol_tables(symtab)
    writer = Writer(layout, symtab, opts)
    writer.features = features
    writer.release_relocations = not opts.emit_relocs
    pieces = writer.write_pieces()
    if opts.emit_relocs or opts.build_id:
        data = joined(pieces)
        if opts.emit_relocs:
            from .relocatable import add_emitted_relocs  # lazy: only --emit-relocs writes reloc sections
            data = add_emitted_relocs(data, symtab, layout, writer)
        pieces = [_with_build_id(data, opts)]
    result = LinkResult(pieces, layout, symtab, diag)
    result.sections = writer.sections
    result.shared_memory = opts.shared_memory
    return result


def _release_symbol_tables(symtab):
    """Let go of the objects' symbol tables (columns of every entry) before the module is
    written: the symbols they were entered as, and each object's `resolved` list, are
    all that the writer's relocations and every later step use (only --emit-relocs and
    -r, which write the tables again, read them after layout)."""
    for obj in symtab.objects:
        obj.symbol_table = obj._symbols = None


def _exported_globals(layout, symtab) -> list[tuple[str, bool]]:
    """(name, mutable) of each exported global symbol (not a data address), in export
    order: a defined one's type is the layout's (an object's own global, an
    `address_space(1)` variable, has its type there, not on its symbol), an imported
    one's its symbol's."""
    found = []
    first = layout.num_imported_globals
    for name, kind, index in layout.exports:
        sym = symtab.symbols.get(name) if kind == GLOBAL_KIND else None
        if sym is None or sym.kind != SYMTAB_GLOBAL:
            continue
        if index >= first:
            found.append((name, layout.globals[index - first].type.mutable))
        elif sym.global_type is not None:
            found.append((name, sym.global_type.mutable))
    return found


def _export_not_found(name: str, opts, diag):
    """As wasm-ld 14: an error, a warning or nothing, by the policy alone
    (--allow-undefined-file excuses no export)."""
    if opts.unresolved == "report-all":
        diag.error(f"symbol exported via --export not found: {name}", verbatim=True)
    elif opts.warn_unresolved:
        diag.warn(f"symbol exported via --export not found: {name}", verbatim=True)


def _tls_used(symtab, every_kept: bool = False) -> bool:
    """Some live data (`every_kept`: any kept, as -r keeps it all) is thread-local (its
    segment flagged TLS, or named .tdata)."""
    return any((chunk.live or every_kept and not chunk.discarded)
               and (chunk.flags & TLS_SEGMENT or chunk.name.startswith(".tdata"))
               for obj in symtab.objects for chunk in obj.datas)


def _with_build_id(data: bytes, opts) -> bytes:
    """The finished file, its build_id placeholder (the last bytes) replaced by the id."""
    if not opts.build_id:
        return data
    from ..custom import build_id as build_id_section  # lazy: only for --build-id (it imports construct)
    return build_id_section.fill(data, opts.build_id)


def _synthetic_ctors(symtab):
    sym = Symbol("__wasm_call_ctors", SYMTAB_FUNCTION)
    sym.synthetic = "function"
    return sym


def _report_layout(layout, symtab, diag):
    """--verbose: what was linked and where memory went (wasm-ld logs the same facts)."""
    lines = [f"{len(symtab.objects)} objects, {len(layout.functions)} functions, "
             f"{len(layout.imports)} imports, {len(layout.table_entries)} table slots"]
    for seg in layout.segments:
        lines.append(f"mem: {seg.name:<16} offset={seg.start:<8} size={seg.size:<8} align={seg.alignment}")
    lines.append(f"mem: stack top = {layout.stack_pointer}, __data_end = {layout.data_end}, "
                 f"__heap_base = {layout.heap_base}, pages = {layout.memory_pages}")
    for line in lines:
        print(f"wasmmerge link: {line}", file=diag.stream)
