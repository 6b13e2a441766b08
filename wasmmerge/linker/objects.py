"""Relocatable objects: sections split into chunks, each with the relocations inside it.

An object is read once: the standard sections through the codec's lazy decoder (bodies
stay bytes), `linking` and `reloc.*` through the parsers of `wasmmerge.custom`. Code
and data are then cut into chunks (one per function, one per data segment, one per
custom section) holding the file offsets of their bytes and their relocations. A chunk
is the unit of liveness, placement and patching: the writer copies its bytes and
overwrites each relocated field. A chunk's relocations keep the offsets the object
wrote (from its section's start) beside the chunk's own offset there: making them
relative would cost an operation per site.
"""

from array import array
from bisect import bisect_left, bisect_right

from ..binary import leb
from ..binary.model import CODE, CUSTOM, DATA, DATACOUNT, FUNCTION, Module
from ..binary.reader import decode_module, iter_sections
from ..binary.record import Entity
from ..binary.types import FUNC_KIND, GLOBAL_KIND, TABLE_KIND, TAG_KIND
from ..custom import linking as linking_section
from ..custom import reloc as reloc_section
from ..errors import DecodeError, LinkError, WasmError
from ..features import ALL
from .relocations import RELOC_TYPES, ROW_OF, SYMBOL_KINDS_FOR_TARGET


# Chunks and objects are entities (`binary/record.py`: `@dataclass(eq=False)` without its
# import cost): compared by identity, slotted (a chunk per function and segment of every
# object). Each chunk's `relocs` defaults to a fresh empty list.

class FunctionChunk(Entity):
    __slots__ = ("file", "index", "type_index", "start", "end", "size_start", "reloc_base", "relocs", "live",
                 "discarded", "name", "out_index", "out_offset")

    def __init__(self, file: "ObjectFile", index: int, type_index: int, start: int, end: int, size_start: int = 0,
                 reloc_base: int = 0, relocs: array | list | None = None, live: bool = False,
                 discarded: bool = False, name: str | None = None, out_index: int | None = None,
                 out_offset: int | None = None):
        self.file = file
        self.index = index  # in the object's function index space (imports first)
        self.type_index = type_index  # in the object's type section
        self.start = start  # file offset of the body (locals + code), after its size field
        self.end = end
        self.size_start = size_start  # file offset of its size field (copied as the input wrote it)
        # Flat: type number, offset, index, addend for each relocation in turn, in an array
        # (an object has one per relocated site). relocations(). Offsets are as the object
        # wrote them, from the start of the section's payload:
        self.reloc_base = reloc_base  # that offset of the chunk's first byte
        self.relocs = [] if relocs is None else relocs
        self.live = live
        self.discarded = discarded  # lost its COMDAT group to another object
        self.name = name
        self.out_index = out_index
        self.out_offset = out_offset  # of its size field in the output code section payload


class DataChunk(Entity):
    __slots__ = ("file", "index", "name", "alignment", "flags", "start", "end", "reloc_base", "relocs", "live",
                 "discarded", "output", "out_offset", "merged_into")

    def __init__(self, file: "ObjectFile", index: int, name: str, alignment: int, flags: int, start: int, end: int,
                 reloc_base: int = 0, relocs: array | list | None = None, live: bool = False,
                 discarded: bool = False, output: object = None, out_offset: int = 0, merged_into: object = None):
        self.file = file
        self.index = index  # segment index in the object
        self.name = name
        self.alignment = alignment  # log2
        self.flags = flags
        self.start = start  # file offset of the segment's bytes
        self.end = end
        self.reloc_base = reloc_base  # as FunctionChunk's
        self.relocs = [] if relocs is None else relocs  # as FunctionChunk's
        self.live = live
        self.discarded = discarded
        self.output = output  # the OutputSegment it is placed in
        self.out_offset = out_offset  # within that output segment
        self.merged_into = merged_into  # the MergedStrings holding its (deduplicated) strings

    @property
    def size(self) -> int:
        return self.end - self.start


class CustomChunk(Entity):
    __slots__ = ("file", "section", "name", "start", "end", "reloc_base", "relocs", "out_offset", "merged_into")

    def __init__(self, file: "ObjectFile", section: int, name: str, start: int, end: int, reloc_base: int = 0,
                 relocs: array | list | None = None, out_offset: int = 0, merged_into: object = None):
        self.file = file
        self.section = section  # section index in the object
        self.name = name
        self.start = start  # file offset of the payload (after the name)
        self.end = end
        self.reloc_base = reloc_base  # as FunctionChunk's
        self.relocs = [] if relocs is None else relocs  # as FunctionChunk's
        self.out_offset = out_offset  # within the output section of the same name
        self.merged_into = merged_into  # .debug_str: the MergedStrings holding its strings


class ObjectFile(Entity):
    __slots__ = ("name", "data", "module", "symbols", "functions", "datas", "customs", "init_funcs", "comdats",
                 "num_imported", "sections", "resolved", "names_got", "features", "producers", "features_at",
                 "producers_at", "on_demand")

    def __init__(self, name: str, data: bytes, module: Module, symbols: list, functions: list[FunctionChunk],
                 datas: list[DataChunk], customs: list[CustomChunk], init_funcs: list, comdats: list,
                 num_imported: dict[int, int], sections: dict[int, CustomChunk] | None = None,
                 resolved: list | None = None, names_got: bool = False, features: bytes | None = None,
                 producers: bytes | None = None, features_at: int = 0, producers_at: int = 0,
                 on_demand: bool = False):
        self.name = name  # as messages print it: "main.o" or "libc.a(printf.o)"
        self.data = data
        self.module = module
        self.symbols = symbols  # linking_section.Symbol, as read
        self.functions = functions  # defined functions, in order
        self.datas = datas
        self.customs = customs
        self.init_funcs = init_funcs
        self.comdats = comdats
        self.num_imported = num_imported  # import kind -> count
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


def _fail(file, message, offset=None):
    raise LinkError(message, offset=offset, file=file)


def _custom_payload(data, info) -> int:
    """File offset of a custom section's payload (after its name)."""
    length, pos = leb.read_u32(data, info.start)
    return pos + length


def _split_code(name, data, info) -> list[tuple[int, int, int]]:
    pos, end = info.start, info.start + info.size
    count, pos = leb.read_u32(data, pos)
    ranges = []
    for _ in range(count):
        size_start = pos
        size, pos = leb.read_u32(data, pos)
        if pos + size > end:
            _fail(name, "code section: function body runs past the section", pos)
        ranges.append((pos, pos + size, size_start))
        pos += size
    return ranges


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
                _fail(name, "data section: segment offset is not a single constant", pos)
            pos += 1
        size, pos = leb.read_u32(data, pos)
        if pos + size > end:
            _fail(name, "data section: segment runs past the section", pos)
        ranges.append((pos, pos + size))
        pos += size
    return ranges


def _decode_declarations(data, infos) -> Module:
    """The codec's Module for every standard section but function, code and data.

    Those three are the bulk of an object and are read here without building an object
    per body: the function section is a vector of type indices, code and data are cut
    into chunks by their size fields.
    """
    keep = [bytes(data[:8])]
    funcs = []
    datacount = None
    for info in infos:
        if info.id == FUNCTION:
            pos, end = info.start, info.start + info.size
            count, pos = leb.read_u32(data, pos)
            for _ in range(count):
                index, pos = leb.read_u32(data, pos)
                funcs.append(index)
            if pos != end:
                raise DecodeError("section size mismatch", pos)
        elif info.id == DATACOUNT:
            datacount, _ = leb.read_u32(data, info.start)
        elif info.id not in (CODE, DATA, CUSTOM):
            keep.append(data[info.offset:info.start + info.size])
    module = decode_module(b"".join(keep), lazy=True, features=ALL)
    module.funcs = funcs
    module.datacount = datacount
    return module


def read_object(name: str, data: bytes, relocations: tuple | None = None) -> ObjectFile:
    """Read a relocatable object; every malformation is a LinkError naming `name`.
    `relocations`: its chunks' relocations as `packed_relocations` gave them, read by
    another process from the same bytes (prefetch.py): then they are not read again."""
    try:
        infos = list(iter_sections(data))
        module = _decode_declarations(data, infos)
    except WasmError as err:
        raise err.with_file(name)
    linking = None
    reloc_infos = []
    code_ranges, data_ranges = [], []
    customs = []
    features = producers = None
    features_at = producers_at = 0
    for k, info in enumerate(infos):
        if info.id == CODE:
            code_ranges = _split_code(name, data, info)
            code_info = info
        elif info.id == DATA:
            data_ranges = _split_data(name, data, info)
            data_info = info
        elif info.id == CUSTOM:
            payload = _custom_payload(data, info)
            end = info.start + info.size
            try:
                if info.name == "linking":
                    linking = linking_section.parse(bytes(data[payload:end]), payload)
                elif info.name.startswith("reloc."):
                    # Decoded later, in one pass with attaching (it needs the chunks and symbols).
                    reloc_infos.append((info.name, payload, end))
                elif info.name == "target_features":
                    features, features_at = bytes(data[payload:end]), payload
                elif info.name == "producers":
                    producers, producers_at = bytes(data[payload:end]), payload
                elif info.name not in ("name", "dylink.0"):
                    customs.append(CustomChunk(None, k, info.name, payload, end))
            except WasmError as err:
                raise err.with_file(name)
    if linking is None:
        _fail(name, "not a relocatable object: no linking section")
    num_imported = {kind: 0 for kind in (FUNC_KIND, TABLE_KIND, 2, GLOBAL_KIND, TAG_KIND)}
    for imp in module.imports:
        num_imported[imp.kind] += 1
    nfi = num_imported[FUNC_KIND]
    functions = [FunctionChunk(None, nfi + k, module.funcs[k], s, e, z) for k, (s, e, z) in enumerate(code_ranges)]
    segments = linking.segments or []
    if len(segments) != len(data_ranges):
        _fail(name, f"linking section: segment info lists {len(segments)} segments, the data section has "
                    f"{len(data_ranges)}")
    datas = [DataChunk(None, k, seg.name, seg.alignment, seg.flags, s, e)
             for k, ((s, e), seg) in enumerate(zip(data_ranges, segments))]
    obj = ObjectFile(name, data, module, linking.symbols or [], functions, datas, customs,
                     linking.init_funcs or [], linking.comdats or [], num_imported,
                     features=features, producers=producers, features_at=features_at,
                     producers_at=producers_at)
    for chunk in (*functions, *datas, *customs):
        chunk.file = obj
    obj.sections = {c.section: c for c in customs}
    _check_symbols(obj)
    if relocations is not None:
        _attach_packed(obj, relocations)
        return obj
    for section_name, payload, end in reloc_infos:
        try:
            _read_relocs(obj, infos, section_name, data[payload:end], payload,
                         code_info if code_ranges else None, data_info if data_ranges else None)
        except WasmError as err:
            raise err.with_file(name)
    return obj


def packed_relocations(obj: ObjectFile) -> tuple:
    """Every chunk's relocations in one array, with which chunk holds each share: what a
    process reading objects ahead sends back (one array pickles as its bytes; thousands
    of small ones would not be cheap)."""
    shares = []  # (chunk group, index in it, reloc_base, slots) per chunk with relocations
    parts = []
    for group, chunks in enumerate((obj.functions, obj.datas, obj.customs)):
        for k, chunk in enumerate(chunks):
            if chunk.relocs:
                shares += (group, k, chunk.reloc_base, len(chunk.relocs))
                parts.append(chunk.relocs)
    wide = any(part.typecode == "q" for part in parts)
    flat = array("q" if wide else "i")
    for part in parts:
        flat.extend(part if part.typecode == flat.typecode else array("q", part))
    return obj.names_got, flat, shares


def _attach_packed(obj: ObjectFile, packed: tuple):
    obj.names_got, flat, shares = packed
    groups = (obj.functions, obj.datas, obj.customs)
    pos = 0
    slots = iter(shares)
    for group, k, base, count in zip(slots, slots, slots, slots):
        chunk = groups[group][k]
        chunk.relocs = flat[pos:pos + count]
        chunk.reloc_base = base
        pos += count


def _check_symbols(obj: ObjectFile):
    counts = {0: len(obj.module.func_type_indices()), 2: obj.module.count(GLOBAL_KIND),
              4: obj.module.count(TAG_KIND), 5: obj.module.count(TABLE_KIND)}
    for k, sym in enumerate(obj.symbols):
        if sym.kind == 1:
            if not sym.flags & linking_section.UNDEFINED and not sym.flags & linking_section.ABSOLUTE:
                if sym.segment >= len(obj.datas):
                    _fail(obj.name, f"linking section: symbol {k} ({sym.name}) names data segment "
                                    f"{sym.segment} of {len(obj.datas)}")
        elif sym.kind == 3:
            pass
        elif sym.index >= counts[sym.kind]:
            _fail(obj.name, f"linking section: symbol {k} ({sym.name}) has "
                            f"{linking_section.SYMBOL_KIND_NAMES[sym.kind]} index {sym.index} out of range")


_MAX_WIDTH = max(t.width for t in RELOC_TYPES.values())


def _read_relocs(obj, infos, section_name, raw, payload, code_info, data_info):
    """Decode a reloc.* payload, check what each relocation names and where it sits, and
    give each chunk its own relocations. `raw` is the payload, `payload` its file offset.

    The entries are decoded by `custom.reloc` into one flat list; everything after that
    is done a section or a chunk at a time rather than per relocation (a program has
    hundreds of thousands): each distinct (type, index) pair is checked once, and as
    LLVM writes entries in offset order, each chunk's share is found by bisection and
    sliced off."""
    target_index, flat = reloc_section.read_flat(raw, payload, section_name)
    if target_index >= len(infos):
        _fail(obj.name, f"{section_name}: target section index {target_index} out of range", payload)
    target = infos[target_index]
    if target.id == CODE:
        chunks, base = obj.functions, code_info.start
    elif target.id == DATA:
        chunks, base = obj.datas, data_info.start
    elif target.id == CUSTOM:
        chunk = obj.sections.get(target_index)
        if chunk is None:
            return  # checked above, though its section is dropped
        # Offsets in a custom section count from its payload, after the name.
        chunks, base = [chunk], chunk.start
    else:
        _fail(obj.name, f"{section_name}: relocations for a {target.kind} section are not supported", payload)
    if not flat:
        return
    kinds, offsets, indices = flat[0::4], flat[1::4], flat[2::4]
    _check_targets(obj, section_name, payload, kinds, indices)
    if offsets != sorted(offsets):
        _attach_unsorted(obj, section_name, payload, target, chunks, base, flat)
        return
    lo = attached = 0
    for chunk in chunks:
        start, end = chunk.start - base, chunk.end - base
        lo = bisect_left(offsets, start, lo)
        hi = bisect_left(offsets, end, lo)
        if lo == hi:
            continue
        # Only the last few entries can reach past the chunk's end.
        k = hi - 1
        while k >= lo and offsets[k] + _MAX_WIDTH > end:
            if offsets[k] + ROW_OF[flat[4 * k]].width > end:
                _bad_site(obj, section_name, k, ROW_OF[flat[4 * k]], offsets[k], target, payload)
            k -= 1
        chunk.relocs = _packed(flat[4 * lo:4 * hi])
        chunk.reloc_base = start
        attached += hi - lo
        lo = hi
    if attached != len(offsets):  # some entry sits between chunks (a size field, a header)
        _attach_unsorted(obj, section_name, payload, target, chunks, base, flat)


def _attach_unsorted(obj, section_name, payload, target, chunks, base, flat):
    """The general case: each entry's chunk found on its own, entries kept in their order
    (and the first one outside every chunk reported)."""
    starts = [chunk.start - base for chunk in chunks]
    shares = [[] for _ in chunks]
    slots = iter(flat)
    for number, (kind, offset, index, addend) in enumerate(zip(slots, slots, slots, slots)):
        k = bisect_right(starts, offset) - 1
        if k < 0 or offset + ROW_OF[kind].width > chunks[k].end - base:
            _bad_site(obj, section_name, number, ROW_OF[kind], offset, target, payload)
        shares[k] += (kind, offset, index, addend)
    for chunk, start, share in zip(chunks, starts, shares):
        chunk.relocs = _packed(share) if share else []
        chunk.reloc_base = start if share else 0


def _packed(flat: list) -> array:
    """A chunk's relocations as machine integers: a sixth of the memory of a list of
    Python ints (a program has hundreds of thousands). 64-bit addends need wider slots."""
    try:
        return array("i", flat)
    except OverflowError:
        return array("q", flat)


def _check_targets(obj, section_name, payload, kinds, indices):
    """Each relocation names a type of the object or a symbol of a kind its type allows."""
    nsyms, ntypes = len(obj.symbols), len(obj.module.types)
    symbols = obj.symbols
    for kind, index in set(zip(kinds, indices)):
        rt = ROW_OF[kind]
        allowed = SYMBOL_KINDS_FOR_TARGET.get(rt.target)
        if allowed is None:  # a type index
            if index < ntypes:
                continue
            problem = f"names type {index} of {ntypes}"
        elif index >= nsyms:
            problem = f"names symbol {index}, the symbol table has {nsyms}"
        elif symbols[index].kind in allowed:
            if rt.target == "global" and symbols[index].kind != linking_section.SYMTAB_GLOBAL:
                obj.names_got = True
            continue
        else:
            kind_name = linking_section.SYMBOL_KIND_NAMES[symbols[index].kind]
            problem = f"names {kind_name} symbol {symbols[index].name or index}"
        first = next(k for k, pair in enumerate(zip(kinds, indices)) if pair == (kind, index))
        _fail(obj.name, f"{section_name}: relocation {first} ({rt.name}) {problem}", payload)


def relocations(chunk):
    """(type's row, offset in the chunk, index, addend) of each relocation of `chunk`."""
    relocs, base = chunk.relocs, chunk.reloc_base
    return zip(map(ROW_OF.__getitem__, relocs[0::4]), map(base.__rsub__, relocs[1::4]), relocs[2::4], relocs[3::4])


def named(chunk):
    """(type's row, index) of each relocation of `chunk`: what it names, for the passes
    that only follow references (marking, table slots, GOT entries, types)."""
    relocs = chunk.relocs
    return zip(map(ROW_OF.__getitem__, relocs[0::4]), relocs[2::4])


def _bad_site(obj, section_name, number, rt, offset, target, payload):
    _fail(obj.name, f"{section_name}: relocation {number} ({rt.name}) at offset {offset:#x} "
                    f"is outside every {target.kind} entry", payload)
