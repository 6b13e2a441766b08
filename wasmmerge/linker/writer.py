"""Writer: the output module's bytes, sections built from the layout.

Function bodies and data segments are the input bytes, copied once into a bytearray and
patched in place at each relocation site (a padded LEB or a fixed-width integer) — no
instruction is decoded; the patching is patching.py's (`Patcher`, which Writer extends).
Every other section is small and built from scratch here.
"""

from itertools import compress
from operator import attrgetter

from ..binary import leb
from ..binary.valtypes import write_valtype
from ..binary.model import (CODE, CUSTOM, DATA, DATACOUNT, ELEMENT, EXPORT, FUNCTION, GLOBAL, IMPORT, MEMORY, START,
                            TABLE, TAG, TYPE)
from ..binary.types import FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND
from ..errors import LinkError
from ..outputs import joined
from .chunk_relocs import all_kept, kept_runs
from .demangle_lazy import shown_symbol  # the grammar loads at the first C++ name
from .features import encode_features, merged_producers
from .patching import Patcher
from .relocations import TYPE_SELECTOR
from .strings import STRINGS, MergedStrings, llvm_string_map_order

u32 = leb.write_unsigned
MAGIC = b"\x00asm\x01\x00\x00\x00"

# The custom sections that are string tables, deduplicated and tail-merged like STRINGS
# data from -O1 (relocations into them then map their addend through the pieces): wasm-ld
# 14 knows them by name alone (custom sections carry no flags), its `shouldMerge`. DWARF 5
# puts the line tables' file and directory names in .debug_line_str (DW_FORM_line_strp).
MERGED_CUSTOM_SECTIONS = (".debug_str", ".debug_str.dwo", ".debug_line_str")


SECTION_LABELS = {TYPE: "TYPE", IMPORT: "IMPORT", FUNCTION: "FUNCTION", TABLE: "TABLE", MEMORY: "MEMORY",
                  GLOBAL: "GLOBAL", EXPORT: "EXPORT", START: "START", ELEMENT: "ELEM", DATACOUNT: "DATACOUNT", CODE: "CODE",
                  DATA: "DATA", TAG: "TAG"}


_OUT_INDEX = attrgetter("out_index")


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return u32(len(raw)) + raw


def _u32_run(values) -> bytes:
    """LEB128s one after another (a vector's entries: one per function of a program),
    written into one buffer rather than joined from an object each; a list of values
    below 128 (the function section's types, most often) is its own bytes."""
    if isinstance(values, list) and (not values or max(values) < 0x80):
        return bytes(values)
    out = bytearray()
    for value in values:
        if value < 0x80:
            out.append(value)
        elif value < 0x4000:  # most function indices of a program
            out += bytes(((value & 0x7F) | 0x80, value >> 7))
        else:
            out += u32(value)
    return bytes(out)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes((sid,)) + u32(len(payload)) + payload


def _section_pieces(sid: int, head: bytes, *rest) -> list:
    """A section as pieces, never joined (a large data or debug section would be held
    two or three times over): its id, size and `head` (for a custom section, its name:
    the map reads it from the first piece), then `rest` as they are."""
    return [bytes((sid,)) + u32(len(head) + sum(map(len, rest))) + head, *rest]


def _limits(minimum: int, maximum: int | None, shared=False, is64=False) -> bytes:
    flags = (1 if maximum is not None else 0) | (2 if shared else 0) | (4 if is64 else 0)
    return bytes((flags,)) + u32(minimum) + (u32(maximum) if maximum is not None else b"")


def _functype(t) -> bytes:
    return (b"\x60" + u32(len(t.params)) + b"".join(write_valtype(v) for v in t.params)
            + u32(len(t.results)) + b"".join(write_valtype(v) for v in t.results))


class Writer(Patcher):
    def __init__(self, layout, symtab, opts):
        super().__init__()
        self.layout = layout
        self.symtab = symtab
        self.opts = opts
        self.types: list = []
        self.type_index: dict = {}
        self.obj_types: dict = {}  # id(obj) -> list of output type indices (lazily)
        self.features: list[str] = []  # the output's target_features (features.allowed_features)
        self.sections: list[tuple[str, int, int]] = []  # filled by write(), for the map file
        self.section_starts: list[int] = []  # file offset of each section's id byte
        self.as_object = False  # -r: every segment written (.bss too), as wasm-ld -r does

    def type_of(self, functype) -> int:
        k = self.type_index.get(functype)
        if k is None:
            k = self.type_index[functype] = len(self.types)
            self.types.append(functype)
        return k

    # -- sections -------------------------------------------------------------------------------

    def write(self, as_object: bool = False) -> bytes:
        """The module; `as_object` (-r) leaves out what only a module has: a defined
        table, exports, elements and names (the caller adds linking and reloc.*)."""
        return joined(self.write_pieces(as_object))

    def write_pieces(self, as_object: bool = False) -> list:
        """The module as pieces (bytes-like) to write one after another: the code section
        is most of the module, and joining would hold it twice."""
        layout, opts = self.layout, self.opts
        self.as_object = as_object
        # wasm-ld's type order: types named by call_indirect (per object, in its own
        # order), then imported functions', then defined functions'.
        for obj in self.symtab.objects:  # in the order wasm-ld's relocation scan meets them
            named_types = {}  # type indices in the order live code first names them
            if obj.code_types is not None and all_kept(obj.functions):
                named_types = dict.fromkeys(obj.code_types)  # every function kept: the section's order
            else:
                columns, runs = kept_runs(obj.code_relocs, obj.functions)
                for lo, hi in runs:
                    mask = columns.kinds[lo:hi].translate(TYPE_SELECTOR)
                    if 1 in mask:
                        named_types.update(dict.fromkeys(compress(columns.indices[lo:hi], mask)))
            if named_types:
                types = self.obj_types[id(obj)] = [None] * len(obj.module.types)
                for index in named_types:
                    types[index] = self.type_of(obj.module.types[index].comp)
        custom_plan = self._custom_plan()
        rest = {}

        def meanwhile():  # what no code byte depends on: built while other processes patch, if any do
            rest["head"] = self._sections_before_code(as_object)
            rest["data"] = self._data()
            rest["trailing"] = self._trailing_customs(with_names=not as_object)

        code, payloads = self._code(meanwhile=meanwhile, customs=custom_plan)
        data, data_count = rest["data"]
        customs = [_section_pieces(CUSTOM, _name(name), merged.data if merged is not None else payloads[name])
                   for name, _, _, merged in custom_plan]
        customs += rest["trailing"]
        parts = [MAGIC, *rest["head"]]
        if data_count is not None:
            parts.append(_section(DATACOUNT, u32(data_count)))
        if layout.functions:
            parts.append(code)
        if data:
            parts.append(data)
        parts.extend(customs)
        if opts.build_id and not as_object:  # (-r adds it last, after linking and reloc.*)
            parts.append(self.build_id_section())
        self._record_sections(parts)
        # The code section is its pieces (see _code).
        return [piece for part in parts for piece in (part if isinstance(part, list) else (part,))]

    def _sections_before_code(self, as_object: bool) -> list:
        """The sections from the type section to the element section. Their types follow
        those the code's relocations name (`write_pieces`): imported functions' and tags',
        then defined functions', then tags', as wasm-ld numbers them. Like wasm-ld, a
        section with nothing in it is left out."""
        layout, opts = self.layout, self.opts
        for imp in layout.imports:
            if imp.kind in (FUNC_KIND, TAG_KIND):
                self.type_of(imp.desc)
        # An object's functions share its few signatures: each is looked up once. Taken a
        # run of one object's bodies at a time (`_code` found them), without a property
        # call per function.
        by_signature = {}
        func_types = []
        functions = layout.functions
        for start, stop, obj, first in self._runs:
            signatures = ((functions[start].signature,) if obj is None
                          else obj.defined_signatures(first, first + stop - start))
            for signature in signatures:
                k = by_signature.get(id(signature))
                if k is None:
                    k = by_signature[id(signature)] = self.type_of(signature)
                func_types.append(k)
        tag_types = [self.type_of(t) for t in layout.tags]  # after the functions', as wasm-ld
        parts = []
        if self.types:
            parts.append(_section(TYPE, u32(len(self.types)) + b"".join(_functype(t) for t in self.types)))
        if layout.imports:
            parts.append(_section(IMPORT, u32(len(layout.imports)) + b"".join(self._import(i) for i in layout.imports)))
        if func_types:
            parts.append(_section(FUNCTION, u32(len(func_types)) + _u32_run(func_types)))
        table_size = layout.table_base + len(layout.table_entries)
        table_symbol = self.symtab.symbols.get("__indirect_function_table")
        # As wasm-ld decides: slots in use, an export, or a live table symbol (that of an
        # MVP object importing the table without a symbol for it is NO_STRIP, so always
        # live; a reference-types object's own symbol is live with the code using it).
        needs_table = (layout.table_entries or opts.export_table
                       or (table_symbol is not None and table_symbol.live))
        if not opts.import_table and not as_object and needs_table:
            maximum = None if opts.growable_table else table_size
            parts.append(_section(TABLE, b"\x01\x70" + _limits(table_size, maximum)))
        if not opts.import_memory:
            parts.append(_section(MEMORY, b"\x01" + _limits(layout.memory_pages, layout.memory_max_pages,
                                                             opts.shared_memory, opts.wasm64)))
        if tag_types:
            parts.append(_section(TAG, u32(len(tag_types)) + b"".join(b"\x00" + u32(t) for t in tag_types)))
        if layout.globals:
            parts.append(_section(GLOBAL, u32(len(layout.globals)) + b"".join(
                bytes((g.type.type.code, 1 if g.type.mutable else 0)) + g.init for g in layout.globals)))
        if not as_object and layout.exports:
            parts.append(_section(EXPORT, u32(len(layout.exports)) + b"".join(
            _name(name) + bytes((kind,)) + u32(index) for name, kind, index in layout.exports)))
        if layout.start is not None:
            parts.append(_section(START, u32(layout.start)))
        if layout.table_entries:
            const = layout.const(layout.table_base, False)
            parts.append(_section(ELEMENT, b"\x01\x00" + const + u32(len(layout.table_entries))
                                  + _u32_run(map(_OUT_INDEX, layout.table_entries))))
        return parts

    def _build_id(self) -> bytes:
        """--build-id: the id's bytes given (`0xHEX`), or a placeholder that the driver
        replaces by a hash of the finished file (custom/build_id.py says how)."""
        from ..custom import build_id as build_id_section  # lazy: only for --build-id (it imports construct)
        style = self.opts.build_id
        if style.startswith("0x"):
            raw = bytes.fromhex(style[2:])
        else:
            raw = bytes((build_id_section.PLACEHOLDER,)) * build_id_section.id_size(style)
        return u32(len(raw)) + raw

    def build_id_section(self) -> bytes:
        return _section(CUSTOM, _name("build_id") + self._build_id())

    def _record_sections(self, parts):
        """(name, file offset of the payload, payload size) of each section, for the map."""
        pos = len(parts[0])
        for part in parts[1:]:
            if isinstance(part, list):  # a section in pieces: its id and size lead the first
                part = part[0]
            size, head = leb.read_u32(part, 1)
            sid = part[0]
            label = SECTION_LABELS.get(sid, str(sid))
            if sid == CUSTOM:
                length, at = leb.read_u32(part, head)
                label = f"CUSTOM({bytes(part[at:at + length]).decode('utf-8', 'replace')})"
            self.sections.append((label, pos + head, size))
            self.section_starts.append(pos)
            pos += head + size

    def _import(self, imp) -> bytes:
        head = _name(imp.module) + _name(imp.name) + bytes((imp.kind,))
        layout, opts = self.layout, self.opts
        if imp.kind == FUNC_KIND:
            return head + u32(self.type_of(imp.desc))
        if imp.kind == GLOBAL_KIND:
            return head + bytes((imp.desc.type.code, 1 if imp.desc.mutable else 0))
        if imp.kind == MEMORY_KIND:
            return head + _limits(layout.memory_pages, layout.memory_max_pages, opts.shared_memory, opts.wasm64)
        if imp.kind == TABLE_KIND:
            return head + b"\x70" + _limits(layout.table_base + len(layout.table_entries), None)
        if imp.kind == TAG_KIND:
            return head + b"\x00" + u32(self.type_of(imp.desc))
        raise LinkError(f"cannot import a {imp.kind}")

    def _written_segments(self) -> list:
        """The output segments the data section holds (and the name section names): .bss
        is zero already in a fresh memory, and __wasm_init_memory fills it in a shared one
        or in an imported one where bulk memory is allowed (`Layout.bss_written`)."""
        return [s for s in self.layout.segments if not s.is_bss or self.as_object or self.layout.bss_written]

    def _data(self):
        layout, opts = self.layout, self.opts
        written = self._written_segments()
        # Like wasm-ld 14: a data count section only for passive segments (shared memory),
        # the only case where code (__wasm_init_memory) names a segment.
        uses_count = opts.shared_memory
        if not written:
            return b"", None
        parts = [u32(len(written))]
        payload_size = len(parts[0])
        for seg in written:
            buf = bytearray(seg.size)
            for chunk in seg.chunks:
                start = chunk.out_offset
                if chunk.file is None:  # merged strings
                    buf[start:start + chunk.size] = chunk.data
                    continue
                self._copy_patched(buf, start, chunk, seg.start + start)
            if opts.shared_memory:
                head = b"\x01" + u32(seg.size)  # passive: __wasm_init_memory copies it
            else:
                head = b"\x00" + layout.const(seg.start, opts.wasm64) + u32(seg.size)
            seg.payload_offset = payload_size + len(head)  # where its bytes sit (for -r)
            payload_size += len(head) + seg.size
            parts += (head, buf)
        return _section_pieces(DATA, *parts), (len(written) if uses_count else None)

    def _custom_plan(self) -> list:
        """The objects' custom sections kept, in wasm-ld's order: (name, chunks, size, the
        MergedStrings of a deduplicated string table or None), each chunk's `out_offset` set.
        Their bytes are copied and patched with the code (`Patcher._code`)."""
        opts = self.opts
        keep = set(opts.keep_sections)
        by_name = {}
        for obj in self.symtab.objects:
            for chunk in obj.customs:
                if chunk.discarded:
                    continue
                if opts.strip_debug and chunk.name.startswith(".debug") and chunk.name not in keep:
                    continue
                if opts.strip_all and chunk.name not in keep:
                    continue
                by_name.setdefault(chunk.name, []).append(chunk)
        by_name = {name: by_name[name] for name in llvm_string_map_order(list(by_name))}
        merged = {}
        for name in MERGED_CUSTOM_SECTIONS if opts.optimize >= 1 else ():  # -r as well, as wasm-ld
            if name in by_name:
                strings = merged[name] = MergedStrings(STRINGS)
                for chunk in by_name[name]:
                    strings.add(chunk)
                strings.finalize()
        plan = []
        for name, chunks in by_name.items():  # every offset first: sections refer to each other
            size = 0
            for chunk in chunks:
                chunk.out_offset = size
                size += chunk.end - chunk.start
            plan.append((name, chunks, size if name not in merged else merged[name].size, merged.get(name)))
        return plan

    def _trailing_customs(self, with_names: bool = True) -> list:
        """The sections after the objects' custom sections: name, producers, target_features."""
        opts = self.opts
        keep = set(opts.keep_sections)
        out = []
        if with_names and (not opts.strip_all or "name" in keep):
            out.append(_section_pieces(CUSTOM, _name("name"), *self._name_pieces()))
        if with_names:  # in an object, producers must follow linking and reloc.* (the caller's)
            out.extend(self.producers_section())
            features = encode_features(self.features)
            if features and (not opts.strip_all or "target_features" in keep):
                out.append(_section(CUSTOM, _name("target_features") + features))
        return out

    def producers_section(self) -> list[bytes]:
        opts = self.opts
        if opts.strip_all and "producers" not in opts.keep_sections:
            return []
        producers = merged_producers(self.symtab.objects)
        return [] if producers is None else [_section(CUSTOM, _name("producers") + producers)]

    def _names(self) -> bytes:
        return b"".join(self._name_pieces())

    def _name_pieces(self) -> list:
        """The name section's payload as pieces (a program has a name per function: the
        payload is a large part of the module)."""
        layout = self.layout
        demangle_cxx = self.opts.demangle  # wasm-ld demangles C++ names here

        def shown(name):  # and shows C's `int main(int, char **)` under its own name
            return shown_symbol(name, demangle_cxx)

        def funcs():
            k = 0
            for imp in layout.imports:
                if imp.kind == FUNC_KIND:
                    yield k, shown(imp.symbol.name) if imp.symbol else imp.name
                    k += 1
            for f in layout.functions:
                if f.chunk is not None:
                    name = f.chunk.name
                    if name and (name[0] == "_"):  # only such names can be C++ or `main` (shown_symbol)
                        name = shown(name)
                else:  # the linker's own: stubs keep their prefix, wrappers demangle with their suffix
                    prefix, colon, rest = f.name.partition(":")
                    name = prefix + colon + shown(rest) if colon else shown(f.name)
                if name:
                    yield k, name
                k += 1

        def globs():
            k = 0
            for imp in layout.imports:
                if imp.kind == GLOBAL_KIND:
                    yield k, imp.name
                    k += 1
            for g in layout.globals:
                if g.named:
                    yield k, g.name
                k += 1

        segs = enumerate(s.name for s in self._written_segments())
        out = []
        for sub, entries in ((1, funcs()), (7, globs()), (9, segs)):
            # Written as they come: a program has a name per function, and a list of
            # them (or of their encodings) would hold the section several times over.
            # Indices below 16,384 and names below 128 bytes (nearly all) inline.
            payload = bytearray()
            count = 0
            for index, name in entries:
                raw = name.encode("utf-8")
                size = len(raw)
                if index < 0x4000 and size < 0x80:
                    payload += (bytes((index, size)) if index < 0x80
                                else bytes(((index & 0x7F) | 0x80, index >> 7, size)))
                else:
                    payload += u32(index)
                    payload += u32(size)
                payload += raw
                count += 1
            if count:
                head = u32(count)
                out += (bytes((sub,)) + u32(len(head) + len(payload)) + head, payload)
        return out
