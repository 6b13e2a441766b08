"""Relocatable objects: sections split into chunks, each with its run of the relocations.

An object is read once: the standard sections through the codec's lazy decoder (bodies
stay bytes), `linking` and `reloc.*` through the parsers of `wasmmerge.custom`. Code
and data are then cut into chunks (one per function, one per data segment, one per
custom section) holding the file offsets of their bytes. A chunk is the unit of
liveness, placement and patching: the writer copies its bytes and overwrites each
relocated field. The relocations themselves are read, checked and kept, a section's as
one set of columns, by `chunk_relocs.py`.
"""

from array import array

from ..binary import leb
from ..binary.model import CODE, CUSTOM, DATA, DATACOUNT, FUNCTION, IMPORT, TABLE, TYPE, Module
from ..binary.reader import decode_module, iter_sections
from ..binary.record import Entity
from ..binary.types import FUNC_KIND, GLOBAL_KIND, TABLE_KIND, TAG_KIND
from ..custom import linking as linking_section
from ..custom.linking import SymbolColumns
from ..errors import DecodeError, WasmError
from ..features import ALL
from ..workers import split_by_cost
from .chunk_relocs import RelocColumns, attach_packed, fail, packed_relocations, read_relocations
from .object_imports import ObjectImports, read_imports
from .symbols import IMPORT_KIND

# An -flto "object" is LLVM bitcode, which only an LLVM linker can compile: refused saying so.
BITCODE_MAGIC = b"BC\xc0\xde"
BITCODE_REFUSAL = ("LLVM bitcode (an object compiled with -flto): wasmmerge links WebAssembly objects only; "
                   "compile without -flto, or link with wasm-ld")


_NO_BOUNDS = array("I")  # the bounds of a section without relocations (shared, never written)

# Chunks and objects are entities (`binary/record.py`: `@dataclass(eq=False)` without its
# import cost): compared by identity, slotted (a chunk per function and segment of every
# object). A chunk's relocations are a run of its section's: `reloc_span()`.

class FunctionChunk(Entity):
    __slots__ = ("file", "index", "live", "discarded", "name", "out_index")

    def __init__(self, file: "ObjectFile", index: int, live: bool = False, discarded: bool = False,
                 name: str | None = None, out_index: int | None = None):
        self.file = file
        self.index = index  # in the object's function index space (imports first)
        self.live = live
        self.discarded = discarded  # lost its COMDAT group to another object
        self.name = name
        self.out_index = out_index  # (its place in the code section: Patcher.code_offset)

    # Where its bytes lie in the object's file: kept in the object's arrays (a program has
    # thousands of functions), read here by the passes that take one function at a time.

    @property
    def start(self) -> int:
        """File offset of the body (locals + code), after its size field."""
        obj = self.file
        return obj.body_starts[self.index - obj.num_imported[FUNC_KIND]]

    @property
    def size_start(self) -> int:
        """File offset of its size field (copied as the input wrote it)."""
        obj = self.file
        return obj.size_fields[self.index - obj.num_imported[FUNC_KIND]]

    @property
    def end(self) -> int:
        obj = self.file
        return obj.size_fields[self.index - obj.num_imported[FUNC_KIND] + 1]

    # In the layout's list of output functions (Layout.functions), a kept body stands for
    # itself, beside an OutFunction for each the linker makes: one record less per
    # function of a program. As an output function, its `chunk` is itself, its `body`
    # None (the bytes are the object's), its `signature` its type's.

    @property
    def chunk(self) -> "FunctionChunk":
        return self

    body = None

    @property
    def signature(self):
        obj = self.file
        return obj.module.types[obj.func_type_index(self.index)].comp

    def reloc_span(self) -> tuple:
        """(the object's code relocations, first, end): this body's run of them
        (chunk_relocs.py); (None, 0, 0) when the object's code has none."""
        obj = self.file
        columns = obj.code_relocs
        if columns is None:
            return None, 0, 0
        k = self.index - obj.num_imported[FUNC_KIND]
        return columns, obj.code_bounds[k], obj.code_bounds[k + 1]


class DataChunk(Entity):
    __slots__ = ("file", "index", "name", "alignment", "flags", "start", "end", "live", "discarded", "output",
                 "out_offset", "merged_into")

    def __init__(self, file: "ObjectFile", index: int, name: str, alignment: int, flags: int, start: int, end: int,
                 live: bool = False, discarded: bool = False, output: object = None, out_offset: int = 0,
                 merged_into: object = None):
        self.file = file
        self.index = index  # segment index in the object
        self.name = name
        self.alignment = alignment  # log2
        self.flags = flags
        self.start = start  # file offset of the segment's bytes
        self.end = end
        self.live = live
        self.discarded = discarded
        self.output = output  # the OutputSegment it is placed in
        self.out_offset = out_offset  # within that output segment
        self.merged_into = merged_into  # the MergedStrings holding its (deduplicated) strings

    @property
    def size(self) -> int:
        return self.end - self.start

    def reloc_span(self) -> tuple:
        """As FunctionChunk's, in the object's data relocations."""
        obj = self.file
        columns = obj.data_relocs
        if columns is None:
            return None, 0, 0
        return columns, obj.data_bounds[self.index], obj.data_bounds[self.index + 1]


class CustomChunk(Entity):
    __slots__ = ("file", "section", "name", "start", "end", "relocs", "out_offset", "merged_into", "discarded")

    def __init__(self, file: "ObjectFile", section: int, name: str, start: int, end: int,
                 relocs: RelocColumns | None = None, out_offset: int = 0, merged_into: object = None):
        self.file = file
        self.section = section  # section index in the object
        self.name = name
        self.start = start  # file offset of the payload (after the name)
        self.end = end
        self.relocs = relocs  # its reloc.* section's entries, if it has one
        self.out_offset = out_offset  # within the output section of the same name
        self.merged_into = merged_into  # .debug_str: the MergedStrings holding its strings
        # a member of a COMDAT group another object's copy won (-fdebug-types-section puts
        # each type unit's .debug_info in one): left out of the output, its relocations too
        self.discarded = False

    def reloc_span(self) -> tuple:
        """As FunctionChunk's: the section's own relocations, all of them."""
        columns = self.relocs
        return (columns, 0, len(columns)) if columns is not None else (None, 0, 0)


class ObjectFile(Entity):
    __slots__ = ("name", "data", "module", "symbol_table", "functions", "datas", "customs", "init_funcs", "comdats",
                 "num_imported", "imports", "sections", "resolved", "names_got", "features", "producers",
                 "features_at", "producers_at", "on_demand", "code_types", "_symbols", "code_relocs", "code_bounds",
                 "data_relocs", "data_bounds", "later_relocations", "body_starts", "size_fields", "member_name")

    def __init__(self, name: str, data: bytes, module: Module, symbol_table: SymbolColumns | list,
                 functions: list[FunctionChunk],
                 datas: list[DataChunk], customs: list[CustomChunk], init_funcs: list, comdats: list,
                 num_imported: dict[int, int], imports: ObjectImports | None = None,
                 sections: dict[int, CustomChunk] | None = None,
                 resolved: list | None = None, names_got: bool = False, features: bytes | None = None,
                 producers: bytes | None = None, features_at: int = 0, producers_at: int = 0,
                 on_demand: bool = False, code_types: list | None = None,
                 body_starts: array | None = None, size_fields: array | None = None):
        self.name = name  # as messages print it: "main.o" or "libc.a(printf.o)"
        self.data = data
        self.module = module  # the declarations but imports (its `imports` is None)
        # Its symbol table, as columns (the passes per symbol read these); `symbols` gives
        # the entries as records.
        self.symbol_table = (symbol_table if isinstance(symbol_table, SymbolColumns)
                             else SymbolColumns.of(symbol_table))
        self._symbols = None
        self.functions = functions  # defined functions, in order
        # Of each function k: where its body starts (body_starts[k]), after its size field
        # (size_fields[k]); the bodies lie end to end, so size_fields[k + 1] is where it ends.
        self.body_starts = array("I") if body_starts is None else body_starts
        self.size_fields = array("I", (0,)) if size_fields is None else size_fields
        self.datas = datas
        self.customs = customs
        self.init_funcs = init_funcs
        self.comdats = comdats
        self.num_imported = num_imported  # import kind -> count
        self.imports = ObjectImports() if imports is None else imports
        self.sections = {} if sections is None else sections  # CustomChunk by section index
        self.resolved = [] if resolved is None else resolved  # symbol index -> linker Symbol
        # Whether a relocation names a data or function symbol through a global (a GOT
        # entry, PIC code): set while reading, so that layout skips the others.
        self.names_got = names_got
        self.features = features  # the target_features payload, if any
        self.producers = producers
        self.features_at = features_at  # their payloads' file offsets (for errors)
        self.producers_at = producers_at
        # An archive member extracted on demand (not by --whole-archive): live, and so its
        # constructors run, only once one of its symbols is (wasm-ld's rule).
        self.on_demand = on_demand
        # The type indices its code's relocations name, in the order the section names
        # them (chunk_relocs), or None where that order is not the functions'.
        self.code_types = code_types
        # The reloc.CODE and reloc.DATA entries (chunk_relocs.RelocColumns) and, for each
        # function or segment k, where its run of them starts (k) and ends (k + 1).
        self.code_relocs = self.data_relocs = None
        self.code_bounds = self.data_bounds = _NO_BOUNDS
        self.later_relocations = None  # what read_later_relocations needs, until it has run
        self.member_name = None  # an archive member's own name (wasm-ld's feature messages use it)

    @property
    def symbols(self) -> list:
        """The symbol table's entries as records (linking_section.Symbol), made at the
        first use: only what is not done for every object of a link uses them (the map,
        -r, --print-gc-sections, naming a kept body no symbol names)."""
        if self._symbols is None:
            self._symbols = self.symbol_table.records()
        return self._symbols

    def live_definitions(self, symbol_kind: int, import_kind: int) -> set[int]:
        """The indices (imports first) of the globals or tags this object defines that a
        live symbol of its own names: what garbage collection keeps of them (the layout's
        tags, --print-gc-sections' list of the others)."""
        first = self.num_imported[import_kind]
        return {sym.index for sym in self.resolved
                if sym.kind == symbol_kind and sym.file is self and sym.index >= first and sym.live}

    # The type of an entity by its index in the object's index space of its kind
    # (imports first), as a symbol names it.

    def defined_signatures(self, first: int, stop: int) -> list:
        """The signatures of its defined functions [first, stop) (counted among the defined
        ones): each what its FunctionChunk's `signature` is, for a run of them at once."""
        types = self.module.types
        return [types[index].comp for index in self.module.funcs[first:stop]]

    def func_type_index(self, index: int) -> int:
        nfi = self.num_imported[FUNC_KIND]
        return self.imports.descs[FUNC_KIND][index] if index < nfi else self.module.funcs[index - nfi]

    def global_type(self, index: int):
        ngi = self.num_imported[GLOBAL_KIND]
        return self.imports.descs[GLOBAL_KIND][index] if index < ngi else self.module.globals[index - ngi].type

    def table_type(self, index: int):
        nti = self.num_imported[TABLE_KIND]
        return self.imports.descs[TABLE_KIND][index] if index < nti else self.module.tables[index - nti].type

    def tag_type(self, index: int):
        nti = self.num_imported[TAG_KIND]
        return self.imports.descs[TAG_KIND][index] if index < nti else self.module.tags[index - nti]


def _custom_payload(data, info) -> int:
    """File offset of a custom section's payload (after its name)."""
    length, pos = leb.read_u32(data, info.start)
    return pos + length


def _split_code(name, data, info) -> tuple[array, array]:
    """(where each body starts, where each size field starts and then the last body
    ends): the bodies lie end to end (see ObjectFile.size_fields)."""
    pos, end = info.start, info.start + info.size
    count, pos = leb.read_u32(data, pos)
    starts, fields = array("I"), array("I", (pos,))
    add_start, add_field = starts.append, fields.append
    for _ in range(count):
        size = data[pos] if pos < end else 0x80
        if size < 0x80:
            pos += 1
        elif pos + 1 < end and data[pos + 1] < 0x80:  # two bytes: most bodies (128 B to 16 KiB)
            size = (size & 0x7F) | (data[pos + 1] << 7)
            pos += 2
        else:
            size, pos = leb.read_u32(data, pos)
        body_end = pos + size
        if body_end > end:
            fail(name, "code section: function body runs past the section", pos)
        add_start(pos)
        add_field(body_end)
        pos = body_end
    return starts, fields


def _split_data(name, data, info) -> list[tuple[int, int]]:
    pos, end = info.start, info.start + info.size
    count, pos = leb.read_u32(data, pos)
    ranges = []
    for _ in range(count):
        flags, pos = leb.read_u32(data, pos)
        if flags == 2:
            _, pos = leb.read_u32(data, pos)
        if flags != 1:
            # The offset expression of an object's segment: one const instruction + end.
            pos += 1
            while pos < end and data[pos] & 0x80:
                pos += 1
            pos += 1
            if pos >= end or data[pos] != 0x0B:
                fail(name, "data section: segment offset is not a single constant", pos)
            pos += 1
        size, pos = leb.read_u32(data, pos)
        if pos + size > end:
            fail(name, "data section: segment runs past the section", pos)
        ranges.append((pos, pos + size))
        pos += size
    return ranges


def _decode_declarations(data, infos) -> tuple[Module, ObjectImports]:
    """The codec's Module for the type, table, memory, global, export and element
    sections, and the object's imports.

    The rest is the bulk of an object and is read without an object per entry: imports
    by `object_imports.py` (the Module's `imports` is None), the function section as a
    vector of type indices, code and data cut into chunks by their size fields. The
    codec decodes the others from a copy of them in which the function and import
    sections are custom sections of the same size, so that its errors name the file's
    offsets.
    """
    keep = [bytes(data[:8])]
    funcs = []
    datacount = None
    import_info = None
    for info in infos:
        if info.id == IMPORT:
            import_info = info
            keep.append(_blank(data, info))
        elif info.id == FUNCTION:
            pos, end = info.start, info.start + info.size
            count, pos = leb.read_u32(data, pos)
            indices = data[pos:end]
            if len(indices) == count and indices.isascii():  # every type index one byte (below 128)
                funcs = bytes(indices)  # (read only: a byte each, not a list slot and more)
            else:
                for _ in range(count):
                    index, pos = leb.read_u32(data, pos)
                    funcs.append(index)
                if pos != end:
                    raise DecodeError("section size mismatch", pos)
            keep.append(_blank(data, info))
        elif info.id == DATACOUNT:
            datacount, _ = leb.read_u32(data, info.start)
        elif info.id not in (CODE, DATA, CUSTOM):
            keep.append(data[info.offset:info.start + info.size])
    imports = ObjectImports()
    try:
        module = decode_module(b"".join(keep), lazy=True, features=ALL)
    except DecodeError as err:
        # Of this error and one in the import section, the first in the file is reported,
        # as the codec reading the whole file reports it.
        if import_info is not None and (err.offset is None or err.offset > import_info.offset):
            read_imports(data, import_info.start, import_info.start + import_info.size)
        raise
    if import_info is not None:
        imports = read_imports(data, import_info.start, import_info.start + import_info.size)
    module.customs.clear()  # the blanks (the linker reads custom sections from the file)
    module.imports = None
    module.funcs = funcs
    module.datacount = datacount
    return module, imports


def _blank(data, info) -> bytes:
    """A custom section (unnamed, contents kept) taking the same bytes as section `info`."""
    if not info.size:
        return b""
    return b"\0" + data[info.offset + 1:info.start] + b"\0" + data[info.start + 1:info.start + info.size]


_LINKING, _RELOC, _CHUNK, _OTHER = "linking", "reloc", "chunk", "other"
_NOT_CHUNKS = frozenset(("target_features", "producers", "name", "dylink.0"))


def _custom_role(name: str) -> str:
    """What reading an object does with a custom section of this name: the linking
    section, a reloc.* section, a chunk (copied to the output), or another it reads
    (target_features, producers) or drops (name, dylink.0). One rule for `read_object`
    and `relocations_alone`, so that the two number custom chunks alike."""
    if name == "linking":
        return _LINKING
    if name.startswith("reloc."):
        return _RELOC
    return _OTHER if name in _NOT_CHUNKS else _CHUNK


# The largest data segment alignment (log2) an object may ask for: a 32-bit memory holds
# no more than 2^32 bytes, so a larger one could only be met at address 0.
MAX_P2ALIGN = 31

# read_object(..., relocations=LATER): the object without its relocations, which
# `read_later_relocations` reads (or takes from another process) before they are needed.
LATER = "later"


def read_object(name: str, data: bytes, relocations: tuple | str | None = None) -> ObjectFile:
    """Read a relocatable object; every malformation is a LinkError naming `name`.
    `relocations`: its chunks' relocations as `packed_relocations` gave them, read by
    another process from the same bytes (prefetch.py): then they are not read again;
    LATER: read by `read_later_relocations`."""
    try:
        infos = list(iter_sections(data))
        module, imports = _decode_declarations(data, infos)
    except WasmError as err:
        raise err.with_file(name)
    linking = None
    reloc_infos = []
    body_starts, size_fields, data_ranges = array("I"), None, []
    customs = []
    features = producers = None
    features_at = producers_at = 0
    for k, info in enumerate(infos):
        if info.id == CODE:
            body_starts, size_fields = _split_code(name, data, info)
            code_info = info
        elif info.id == DATA:
            data_ranges = _split_data(name, data, info)
            data_info = info
        elif info.id == CUSTOM:
            payload = _custom_payload(data, info)
            end = info.start + info.size
            role = _custom_role(info.name)
            try:
                if role is _LINKING:
                    linking = linking_section.parse(bytes(data[payload:end]), payload, columns=True)
                elif role is _RELOC:
                    # Decoded later, in one pass with attaching (it needs the chunks and symbols).
                    reloc_infos.append((info.name, payload, end))
                elif role is _CHUNK:
                    customs.append(CustomChunk(None, k, info.name, payload, end))
                elif info.name == "target_features":
                    features, features_at = bytes(data[payload:end]), payload
                elif info.name == "producers":
                    producers, producers_at = bytes(data[payload:end]), payload
            except WasmError as err:
                raise err.with_file(name)
    if linking is None:
        fail(name, "not a relocatable object: no linking section")
    num_imported = imports.counts()
    nfi = num_imported[FUNC_KIND]
    _check_types(name, module, imports, len(body_starts), code_info if body_starts else None)
    _check_tables(name, module, imports, infos)
    functions = [FunctionChunk(None, index) for index in range(nfi, nfi + len(body_starts))]
    segments = linking.segments or []
    if len(segments) != len(data_ranges):
        fail(name, f"linking section: segment info lists {len(segments)} segments, the data section has "
                    f"{len(data_ranges)}")
    for k, seg in enumerate(segments):
        if seg.alignment > MAX_P2ALIGN:  # (found by fuzzing: 2^64 crashed the layout)
            fail(name, f"linking section: segment info: segment {k} ({seg.name}) has alignment 2^{seg.alignment} "
                       f"(at most 2^{MAX_P2ALIGN}: a 32-bit memory holds 2^32 bytes)")
    datas = [DataChunk(None, k, seg.name, seg.alignment, seg.flags, s, e)
             for k, ((s, e), seg) in enumerate(zip(data_ranges, segments))]
    obj = ObjectFile(name, data, module, linking.symbols or SymbolColumns(), functions, datas, customs,
                     linking.init_funcs or [], linking.comdats or [], num_imported, imports,
                     features=features, producers=producers, features_at=features_at,
                     producers_at=producers_at, body_starts=body_starts, size_fields=size_fields)
    for chunk in (*functions, *datas, *customs):
        chunk.file = obj
    obj.sections = {c.section: c for c in customs}
    _check_symbols(obj)
    later = (infos, reloc_infos, code_info if body_starts else None, data_info if data_ranges else None)
    if relocations is LATER:
        obj.later_relocations = later
    elif relocations is not None:
        attach_packed(obj, relocations)
    else:
        _read_relocations(obj, *later)
    return obj


class _RelocTarget:
    """What `read_relocations` reads and writes of an object (`relocations_alone`)."""
    __slots__ = ("name", "module", "symbol_table", "body_starts", "size_fields", "datas", "customs", "sections",
                 "names_got", "code_types", "code_relocs", "code_bounds", "data_relocs", "data_bounds")


class _TypeCount:
    __slots__ = ("types",)


# An object whose reloc.* sections hold at least twice this many bytes (a large
# translation unit built with debug info: sqlite's amalgamation, QuickJS) has its
# relocations read in parts (`relocation_parts`), so that two processes share it.
PART_BYTES = 128 * 1024


def relocation_parts(data: bytes) -> list[tuple[range | None, int]]:
    """(part, its reloc.* payload bytes) of each part an object's relocations are read in
    (`relocations_alone`, `read_later_relocations`): [(None, size of the object)], all at
    once, for most objects; for one whose reloc.* sections hold 2 * PART_BYTES or more,
    runs of them (positions among its reloc.* sections, in file order) of about equal
    size, at most one per section, the largest first (the process reading ahead takes
    parts from the first, this one from the last: the largest go to the one that has the
    least else to do)."""
    whole = [(None, len(data))]
    if len(data) < 2 * PART_BYTES:
        return whole
    try:
        sizes = [info.size for info in iter_sections(data)
                 if info.id == CUSTOM and _custom_role(info.name) is _RELOC]
    except WasmError:  # (reading the object says what is wrong with it)
        return whole
    total = sum(sizes)
    if total < 2 * PART_BYTES or len(sizes) < 2:
        return whole
    parts = [(range(start, stop), sum(sizes[start:stop]))
             for start, stop in split_by_cost(sizes, min(len(sizes), total // PART_BYTES))]
    return sorted(parts, key=lambda part: -part[1])


def relocations_alone(name: str, data: bytes, part: range | None = None) -> tuple:
    """An object's relocations (those of its reloc.* sections `part`, all by default) as
    `packed_relocations` gives them for `read_object(name, data)`, reading only what
    checking and placing them needs (`RelocationReader`)."""
    return RelocationReader(name, data).read(part)


class RelocationReader:
    """An object's relocations read without the rest of it, a part at a time: for a
    process reading ahead (prefetch.py), which sends them while this process reads the
    rest of the object. Made once per object: the sections' frames, the type count, the
    symbol table's kinds, the code and data chunks' bounds and the custom chunks; each
    `read` then decodes and checks only its part's reloc.* sections. Where this reading
    and `read_object`'s could differ, the object is malformed and `read_object` refuses
    it; this may fail too, or not."""

    def __init__(self, name: str, data: bytes):
        self.data = data
        self.infos = infos = list(iter_sections(data))
        self.obj = obj = _RelocTarget()
        obj.name = name
        obj.module = _TypeCount()
        obj.module.types = ()
        obj.symbol_table = SymbolColumns()
        obj.body_starts, obj.size_fields = array("I"), array("I", (0,))
        obj.datas, obj.customs = [], []
        self.code_info = self.data_info = None
        self.reloc_infos = []
        for k, info in enumerate(infos):
            if info.id == TYPE:
                obj.module.types = range(leb.read_u32(data, info.start)[0])  # only their number is needed
            elif info.id == CODE:
                obj.body_starts, obj.size_fields = _split_code(name, data, info)
                self.code_info = info
            elif info.id == DATA:
                obj.datas = [DataChunk(None, k, None, 0, 0, s, e)
                             for k, (s, e) in enumerate(_split_data(name, data, info))]
                self.data_info = info
            elif info.id == CUSTOM:
                payload = _custom_payload(data, info)
                end = info.start + info.size
                role = _custom_role(info.name)
                if role is _LINKING:  # only the kinds: what relocations are checked against
                    obj.symbol_table = SymbolColumns(linking_section.symbol_kinds(data[payload:end]))
                elif role is _RELOC:
                    self.reloc_infos.append((info.name, payload, end))
                elif role is _CHUNK:
                    obj.customs.append(CustomChunk(None, k, info.name, payload, end))
        obj.sections = {c.section: c for c in obj.customs}

    def read(self, part: range | None = None) -> tuple:
        """The relocations of the reloc.* sections `part` (all by default), packed."""
        obj, data = self.obj, self.data
        obj.names_got, obj.code_types = False, None
        obj.code_relocs = obj.data_relocs = None
        obj.code_bounds = obj.data_bounds = _NO_BOUNDS
        for chunk in obj.customs:
            chunk.relocs = None
        reloc_infos = self.reloc_infos if part is None else self.reloc_infos[part.start:part.stop]
        for section_name, payload, end in reloc_infos:
            read_relocations(obj, self.infos, section_name, data[payload:end], payload, self.code_info,
                             self.data_info)
        return packed_relocations(obj)


def read_later_relocations(obj: ObjectFile, relocations: tuple | None = None, part: range | None = None):
    """The relocations of an object read with `relocations=LATER` (of its reloc.* sections
    `part`, as `relocation_parts` gives them; all by default): read here, or (as
    read_object takes them) `relocations` read by another process. Once all are read,
    the caller of a part says so (`relocations_read`)."""
    later = obj.later_relocations
    if part is None:
        obj.later_relocations = None
    if relocations is not None:
        attach_packed(obj, relocations)
    else:
        infos, reloc_infos, code_info, data_info = later
        _read_relocations(obj, infos, reloc_infos if part is None else reloc_infos[part.start:part.stop],
                          code_info, data_info)


def relocations_read(obj: ObjectFile):
    """Every part of the object's relocations read (`read_later_relocations`)."""
    obj.later_relocations = None


def _read_relocations(obj, infos, reloc_infos, code_info, data_info):
    for section_name, payload, end in reloc_infos:
        try:
            read_relocations(obj, infos, section_name, obj.data[payload:end], payload, code_info, data_info)
        except WasmError as err:
            raise err.with_file(obj.name)


def _check_types(name, module, imports, bodies: int, code_info):
    """Every function (imported or defined) has a type of the object, and a body."""
    if len(module.funcs) != bodies:
        fail(name, "function and code section have inconsistent lengths", code_info.start if code_info else None)
    ntypes = len(module.types)
    func_types = imports.descs[FUNC_KIND]
    if func_types and max(func_types) >= ntypes:
        k = next(k for k, t in enumerate(func_types) if t >= ntypes)
        fail(name, f"import section: function import {k} ({imports.modules[FUNC_KIND][k]}."
                   f"{imports.names[FUNC_KIND][k]}) has type index {func_types[k]} of {ntypes}")
    if module.funcs and max(module.funcs) >= ntypes:
        k = next(k for k, t in enumerate(module.funcs) if t >= ntypes)
        fail(name, f"function section: function {k} has type index {module.funcs[k]} of {ntypes}")


def _check_tables(name, module, imports, infos):
    """The output's one table is the indirect function table (its slots, --import-table,
    --export-table, -r's import): an object's own tables (`.tabletype` in assembly, or
    reference-types code naming one) are refused, not dropped, which wrote a module whose
    table.get/set/size/grow named the wrong table (and crashed -r)."""
    if module.tables:
        at = next((info.start for info in infos if info.id == TABLE), None)
        fail(name, f"table section: defines {len(module.tables)} table(s): tables other than "
                   f"__indirect_function_table are not supported", at)
    other = [n for n in imports.names[TABLE_KIND] if n != "__indirect_function_table"]
    if other:
        at = next((info.start for info in infos if info.id == IMPORT), None)
        fail(name, f"import section: imports table {other[0]}: tables other than __indirect_function_table "
                   f"are not supported", at)


def _label(obj: ObjectFile, k: int) -> str:
    """Symbol `k` of `obj` as a message names it: its name, an undefined one's import's
    field name when it has none of its own."""
    table = obj.symbol_table
    name = table.names[k]
    if name is None and table.kinds[k] in IMPORT_KIND:
        names = obj.imports.names[IMPORT_KIND[table.kinds[k]]]
        name = names[table.indices[k]] if table.indices[k] < len(names) else None
    return name if name is not None else "unnamed"


def _check_symbols(obj: ObjectFile):
    module, imported = obj.module, obj.num_imported
    # Symbol kind -> (how many of its kind are imported, how many there are): an
    # undefined symbol names an import, a defined one anything of its kind.
    limits = {}
    for kind, import_kind, defined in ((0, FUNC_KIND, module.funcs), (2, GLOBAL_KIND, module.globals),
                                       (4, TAG_KIND, module.tags), (5, TABLE_KIND, module.tables)):
        limits[kind] = (imported[import_kind], imported[import_kind] + len(defined))
    # A group's function must be a defined one, its data segment one of the object's, as
    # LLVM's reader requires (an index past them crashed -r; one naming an import counted
    # from the end of the functions). A section member may be any custom section.
    nfi = imported[FUNC_KIND]
    for comdat in obj.comdats:
        for member in comdat.members:
            if member.kind == linking_section.COMDAT_FUNCTION and not nfi <= member.index < nfi + len(obj.functions):
                fail(obj.name, f"linking section: COMDAT {comdat.name}: function index {member.index} out of "
                               f"range (defined functions are {nfi} to {nfi + len(obj.functions) - 1})")
            if member.kind == linking_section.COMDAT_DATA and member.index >= len(obj.datas):
                fail(obj.name, f"linking section: COMDAT {comdat.name}: data segment index {member.index} out of "
                               f"range (the object has {len(obj.datas)})")
    table = obj.symbol_table
    for k, init in enumerate(obj.init_funcs):  # (LLVM's reader: "invalid function symbol")
        if init.symbol >= len(table) or table.kinds[init.symbol] != linking_section.SYMTAB_FUNCTION:
            fail(obj.name, f"linking section: init function {k} names symbol {init.symbol}, which is not a "
                           f"function symbol (the table has {len(table)} symbols)")
    for k, (kind, flags, index) in enumerate(zip(table.kinds, table.flags, table.indices)):
        if flags & 3:  # the binding field: 0 global (most symbols: one test), 1 weak, 2 local
            if flags & 3 == 3:
                fail(obj.name, f"linking section: symbol {k} ({_label(obj, k)}) has binding 3, which is none of "
                               f"global (0), weak (1) and local (2)")
            if flags & 2 and flags & linking_section.UNDEFINED and kind != 3:
                # (No compiler writes one; wasm-ld 14 crashes on it.)
                fail(obj.name, f"linking section: symbol {k} ({_label(obj, k)}) is undefined and local: an "
                               f"undefined symbol is global or weak")
        if kind == 1:
            segment = table.data.get(k, (None,))[0]
            if segment is not None and not flags & linking_section.ABSOLUTE and segment >= len(obj.datas):
                fail(obj.name, f"linking section: symbol {k} ({_label(obj, k)}) names data segment "
                                f"{segment} of {len(obj.datas)}")
        elif kind == 3:  # (LLVM's reader wants a custom section; the link, one it carries)
            if index not in obj.sections:
                fail(obj.name, f"linking section: symbol {k} names section {index}, which is not a custom "
                               f"section the output carries (linking, reloc.*, name, producers and "
                               f"target_features are not)")
        else:
            num_imported, count = limits[kind]
            undefined = flags & linking_section.UNDEFINED
            if index >= (num_imported if undefined else count):
                kind_name = linking_section.SYMBOL_KIND_NAMES[kind]
                if index >= count:
                    fail(obj.name, f"linking section: symbol {k} ({_label(obj, k)}) has {kind_name} index {index} "
                                    f"out of range")
                fail(obj.name, f"linking section: symbol {k} ({_label(obj, k)}) is undefined but names defined "
                                f"{kind_name} {index}")
            if not undefined and index < num_imported:  # (LLVM's reader refuses it too)
                fail(obj.name, f"linking section: symbol {k} ({_label(obj, k)}) is defined but names imported "
                                f"{linking_section.SYMBOL_KIND_NAMES[kind]} {index}")
