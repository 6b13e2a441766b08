"""Writer: the output module's bytes, sections built from the layout.

Function bodies and data segments are the input bytes, copied once into a bytearray and
patched in place at each relocation site (a padded LEB or a fixed-width integer) — no
instruction is decoded. Every other section is small and built from scratch here.
"""

import os
from bisect import bisect_left
from itertools import accumulate, compress

from ..binary import leb
from ..binary.code import write_valtype
from ..binary.model import (CODE, CUSTOM, DATA, DATACOUNT, ELEMENT, EXPORT, FUNCTION, GLOBAL, IMPORT, MEMORY, START,
                            TABLE, TAG, TYPE)
from ..binary.types import FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND
from ..errors import LinkError
from .demangle_lazy import shown_symbol  # the grammar loads at the first C++ name
from .features import encode_features, merged_producers
from .relocations import ROW_OF, TYPE_KINDS, encode_field
from .strings import STRINGS, MergedStrings, llvm_string_map_order
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL

u32 = leb.write_unsigned
MAGIC = b"\x00asm\x01\x00\x00\x00"


SECTION_LABELS = {TYPE: "TYPE", IMPORT: "IMPORT", FUNCTION: "FUNCTION", TABLE: "TABLE", MEMORY: "MEMORY",
                  GLOBAL: "GLOBAL", EXPORT: "EXPORT", START: "START", ELEMENT: "ELEM", DATACOUNT: "DATACOUNT", CODE: "CODE",
                  DATA: "DATA", TAG: "TAG"}


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return u32(len(raw)) + raw


def _section(sid: int, payload: bytes) -> bytes:
    return bytes((sid,)) + u32(len(payload)) + payload


def _limits(minimum: int, maximum: int | None, shared=False, is64=False) -> bytes:
    flags = (1 if maximum is not None else 0) | (2 if shared else 0) | (4 if is64 else 0)
    return bytes((flags,)) + u32(minimum) + (u32(maximum) if maximum is not None else b"")


def _functype(t) -> bytes:
    return (b"\x60" + u32(len(t.params)) + b"".join(write_valtype(v) for v in t.params)
            + u32(len(t.results)) + b"".join(write_valtype(v) for v in t.results))


# Below this much code, starting a worker process costs more than patching saves.
PARALLEL_MIN_CODE_BYTES = 1 << 20


def worker_count_for(code_size: int, threads: int | None) -> int:
    """Processes patching the code section: --threads=N, else one per core (at most
    MAX_WORKERS) when there is enough code."""
    if threads is not None:
        return threads if hasattr(os, "fork") else 1
    if code_size < PARALLEL_MIN_CODE_BYTES or not hasattr(os, "fork"):
        return 1
    # lazy: only a large link patches in parallel (as below).
    from ..workers import MAX_WORKERS
    return min(os.cpu_count() or 1, MAX_WORKERS)


# Function, type and global indices and table slots are small, and each is written at
# many sites (every call of a function): their fields are made once. Data addresses are
# larger and more varied: caching them would cost more memory than it saves time.
_SMALL_VALUES = 1 << 14


def _padded_leb5(value: int) -> bytes:
    """`value` (reduced to 35 bits) as a 5-byte padded LEB128."""
    return bytes(((value & 0x7F) | 0x80, ((value >> 7) & 0x7F) | 0x80, ((value >> 14) & 0x7F) | 0x80,
                  ((value >> 21) & 0x7F) | 0x80, value >> 28))


def _tombstone(section_name: str) -> int | None:
    """What a debug section's reference to a dropped function becomes (as wasm-ld does)."""
    if not section_name.startswith(".debug_"):
        return None
    return 0xFFFFFFFE if section_name in (".debug_ranges", ".debug_loc") else 0xFFFFFFFF


class Writer:
    def __init__(self, layout, symtab, opts):
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
        # The 5-byte padded LEB128 field of each small value, made on first use (_patch).
        self.small_fields: list[bytes | None] = [None] * _SMALL_VALUES
        self._offsets: list[int] = []  # each function's place in the code payload (_code)

    def type_of(self, functype) -> int:
        k = self.type_index.get(functype)
        if k is None:
            k = self.type_index[functype] = len(self.types)
            self.types.append(functype)
        return k

    # -- relocation values ------------------------------------------------------------------

    def _value(self, rt, obj, index, addend, site_address, tombstone):
        target = rt.target
        if target == "type":
            types = self.obj_types.get(id(obj))
            if types is None:
                types = self.obj_types[id(obj)] = [None] * len(obj.module.types)
            k = types[index]
            if k is None:
                k = types[index] = self.type_of(obj.module.types[index].comp)
            return k
        sym = obj.resolved[index]
        if target == "function":
            return sym.out_index if sym.out_index is not None else (tombstone or 0)
        if target == "memory":
            if sym.address is None:
                if sym.live or tombstone is None:
                    return 0  # an undefined weak symbol: address 0
                return tombstone
            value = sym.address + addend
            chunk = sym.segment
            if chunk is not None and chunk.merged_into is not None and addend:
                merged = chunk.merged_into  # the addend may reach into another piece
                value = chunk.output.start + merged.out_offset + merged.map(chunk, sym.offset + addend)
            if rt.modifier == "tls":
                tls = self.layout.tls_segment
                return value - (tls.start if tls else 0)
            if rt.modifier == "relative":
                return value - self.layout.memory_base
            if rt.modifier == "location":
                return value - site_address
            return value
        if target == "table_slot":
            slot = sym.table_slot or 0
            if rt.modifier == "relative":
                return slot - self.layout.table_base
            return slot
        if target == "global":
            if sym.kind in (SYMTAB_DATA, SYMTAB_FUNCTION):
                return sym.got_index
            return sym.out_index if sym.out_index is not None else 0
        if target == "func_offset":
            chunk = None
            if sym.file is not None and sym.index >= sym.file.num_imported[0]:
                chunk = sym.file.functions[sym.index - sym.file.num_imported[0]]
            if chunk is None or chunk.out_offset is None:
                return tombstone if tombstone is not None else addend
            return chunk.out_offset + (chunk.start - chunk.size_start) + addend
        if target == "section_offset":
            chunk = sym.file.sections.get(sym.index)
            if chunk is not None and chunk.merged_into is not None:
                return chunk.merged_into.map(chunk, addend)
            return (chunk.out_offset if chunk is not None else 0) + addend
        if target in ("tag", "table"):
            return sym.out_index or 0
        raise LinkError(f"relocation type {rt.name} is not supported", file=obj.name)

    def _patch(self, buf, shift, chunk, site_base, tombstone=None):
        """Overwrite every relocated field of `chunk`, whose bytes start at buf[shift]
        (`site_base`: the address of its first byte, for location-relative types)."""
        value = self._value
        obj = chunk.file
        resolved = obj.resolved
        types = self.obj_types.get(id(obj))
        small = self.small_fields
        shift -= chunk.reloc_base  # relocation offsets count from the section's start
        site_base -= chunk.reloc_base
        row_of = ROW_OF
        slots = iter(chunk.relocs)
        for kind, off, index, addend in zip(slots, slots, slots, slots):
            rt = row_of[kind]
            shortcut = rt.shortcut
            # The commonest cases inline: calls, data addresses, table slots, types, globals.
            if shortcut == 1:
                v = resolved[index].out_index
                if v is None:
                    v = value(rt, obj, index, addend, site_base + off, tombstone)
            elif shortcut == 2:
                sym = resolved[index]
                v = sym.address
                if v is None or (addend and sym.segment is not None and sym.segment.merged_into is not None):
                    v = value(rt, obj, index, addend, site_base + off, tombstone)
                else:
                    v += addend
            elif shortcut == 3:
                v = resolved[index].table_slot or 0
            elif shortcut == 4 and types is not None and types[index] is not None:
                v = types[index]  # indirect calls: output type indices, cached per object
            elif shortcut == 5 and resolved[index].kind == SYMTAB_GLOBAL:
                v = resolved[index].out_index or 0  # __stack_pointer, mostly
            else:
                v = value(rt, obj, index, addend, site_base + off, tombstone)
                if shortcut == 4:
                    types = self.obj_types[id(obj)]
            pos = shift + off
            encoding = rt.encoding
            if encoding <= 1:  # a 5-byte padded LEB128, unsigned or signed
                if 0 <= v < _SMALL_VALUES:  # the same bytes either way
                    field = small[v]
                    if field is None:
                        field = small[v] = _padded_leb5(v)
                    buf[pos:pos + 5] = field
                else:
                    v &= 0x7FFFFFFFF if encoding else 0xFFFFFFFF
                    buf[pos] = (v & 0x7F) | 0x80
                    buf[pos + 1] = ((v >> 7) & 0x7F) | 0x80
                    buf[pos + 2] = ((v >> 14) & 0x7F) | 0x80
                    buf[pos + 3] = ((v >> 21) & 0x7F) | 0x80
                    buf[pos + 4] = v >> 28
            elif encoding == 2:
                buf[pos:pos + 4] = (v & 0xFFFFFFFF).to_bytes(4, "little")
            else:
                buf[pos:pos + rt.width] = encode_field(rt, v)

    # -- sections -------------------------------------------------------------------------------

    def write(self, as_object: bool = False) -> bytes:
        """The module; `as_object` (-r) leaves out what only a module has: a defined
        table, exports, elements and names (the caller adds linking and reloc.*)."""
        layout, opts = self.layout, self.opts
        self.as_object = as_object
        # wasm-ld's type order: types named by call_indirect (per object, in its own
        # order), then imported functions', then defined functions'.
        for obj in self.symtab.objects:  # in the order wasm-ld's relocation scan meets them
            named_types = {}  # type indices in the order live code first names them
            for chunk in obj.functions:
                if chunk.live and not chunk.discarded and chunk.relocs:
                    kinds = chunk.relocs[0::4]
                    if not TYPE_KINDS.isdisjoint(kinds):
                        named_types.update(dict.fromkeys(
                            compress(chunk.relocs[2::4], map(TYPE_KINDS.__contains__, kinds))))
            if named_types:
                types = self.obj_types[id(obj)] = [None] * len(obj.module.types)
                for index in named_types:
                    types[index] = self.type_of(obj.module.types[index].comp)
        for imp in layout.imports:
            if imp.kind in (FUNC_KIND, TAG_KIND):
                self.type_of(imp.desc)
        # An object's functions share its few signatures: each is looked up once.
        by_signature = {}
        func_types = []
        for f in layout.functions:
            k = by_signature.get(id(f.signature))
            if k is None:
                k = by_signature[id(f.signature)] = self.type_of(f.signature)
            func_types.append(k)
        tag_types = [self.type_of(t) for t in layout.tags]  # after the functions', as wasm-ld
        rest = {}

        def data_and_customs():  # built while other processes patch code, if any do
            rest["data"] = self._data()
            rest["customs"] = self._customs(with_names=not as_object)

        code = self._code(meanwhile=data_and_customs)
        data, data_count = rest["data"]
        customs = rest["customs"]
        # Like wasm-ld, a section with nothing in it is left out.
        parts = [MAGIC]
        if self.types:
            parts.append(_section(TYPE, u32(len(self.types)) + b"".join(_functype(t) for t in self.types)))
        if layout.imports:
            parts.append(_section(IMPORT, u32(len(layout.imports)) + b"".join(self._import(i) for i in layout.imports)))
        if func_types:
            parts.append(_section(FUNCTION, u32(len(func_types)) + b"".join(u32(t) for t in func_types)))
        table_size = layout.table_base + len(layout.table_entries)
        table_symbol = self.symtab.symbols.get("__indirect_function_table")
        # As wasm-ld decides: slots in use, an export, a live table symbol, or an (MVP)
        # object importing the table without a symbol for it.
        needs_table = (layout.table_entries or opts.export_table
                       or (table_symbol is not None and table_symbol.live)
                       or any(imp.name == "__indirect_function_table" and imp.kind == TABLE_KIND
                              for obj in self.symtab.objects for imp in obj.module.imports))
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
                                  + b"".join(u32(s.out_index) for s in layout.table_entries)))
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
        # The code section is its pieces (see _code): joined once, here, with the rest.
        return b"".join([piece for part in parts for piece in (part if isinstance(part, list) else (part,))])

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

    def _code(self, meanwhile) -> list:
        """The code section, as pieces: each body copied once, straight from its object
        into the payload, then patched where it now sits. Every body's place is known
        first, so a large code section is filled by several processes at once, each a
        run of consecutive bodies, in one shared buffer; `meanwhile()` (the writer's
        other work, which needs no code bytes) runs here while they do."""
        functions = self.layout.functions
        head = u32(len(functions))
        offsets = []  # of each function's size field in the payload (after `head`)
        at = 0
        for f in functions:
            offsets.append(at)
            chunk = f.chunk
            if chunk is None:
                at += len(u32(len(f.body))) + len(f.body)
            else:
                chunk.out_offset = len(head) + at
                at += chunk.end - chunk.size_start
        self._offsets = offsets
        workers = worker_count_for(at, self.opts.threads)
        if workers == 1:
            payload = bytearray(at)
            self._fill_bodies(payload, 0, len(functions))
            meanwhile()
        else:
            # lazy: a small link (most of a build's) needs no worker processes.
            from ..workers import fill_shared, split_by_cost
            # Split by relocations as well as bytes: patching a site costs far more
            # than copying a byte.
            costs = [(f.chunk.end - f.chunk.size_start + 64 * len(f.chunk.relocs)) if f.chunk is not None
                     else len(f.body) for f in functions]
            # This process takes a smaller share (measured on bench_link: four fifths of
            # an equal one): it builds the other sections too, while the others patch.
            own = min(bisect_left(list(accumulate(costs)), sum(costs) * 0.8 / workers) + 1, len(costs))
            ranges = [(0, own), *((own + start, own + stop) for start, stop in split_by_cost(costs[own:], workers - 1))]
            payload = fill_shared(at, ranges, self._fill_bodies, meanwhile)
        # In pieces, joined only with the whole module: the section is most of it.
        return [bytes((CODE,)) + u32(len(head) + at) + head, payload]

    def _fill_bodies(self, payload, start: int, stop: int):
        """Functions [start, stop) written to their places in `payload`, each body copied
        and patched."""
        views = {}  # id(object) -> a memoryview of its bytes, so copying a body slices nothing
        for f, at in zip(self.layout.functions[start:stop], self._offsets[start:stop]):
            chunk = f.chunk
            if chunk is None:
                field = u32(len(f.body)) + f.body
                payload[at:at + len(field)] = field
                continue
            obj = chunk.file
            view = views.get(id(obj))
            if view is None:
                view = views[id(obj)] = memoryview(obj.data)
            payload[at:at + chunk.end - chunk.size_start] = view[chunk.size_start:chunk.end]
            if chunk.relocs:
                self._patch(payload, at + chunk.start - chunk.size_start, chunk, 0)

    def _data(self):
        layout, opts = self.layout, self.opts
        # .bss is zero already in a fresh memory; with shared memory __wasm_init_memory fills it.
        written = [s for s in layout.segments
                   if not s.is_bss or self.as_object or (opts.import_memory and not opts.shared_memory)]
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
                buf[start:start + chunk.size] = chunk.file.data[chunk.start:chunk.end]
                if chunk.relocs:
                    self._patch(buf, start, chunk, seg.start + start)
            if opts.shared_memory:
                head = b"\x01" + u32(seg.size)  # passive: __wasm_init_memory copies it
            else:
                head = b"\x00" + layout.const(seg.start, opts.wasm64) + u32(seg.size)
            seg.payload_offset = payload_size + len(head)  # where its bytes sit (for -r)
            payload_size += len(head) + seg.size
            parts.append(head + bytes(buf))
        payload = b"".join(parts)
        return _section(DATA, payload), (len(written) if uses_count else None)

    def _customs(self, with_names: bool = True) -> list[bytes]:
        opts = self.opts
        keep = set(opts.keep_sections)
        by_name = {}
        for obj in self.symtab.objects:
            for chunk in obj.customs:
                if opts.strip_debug and chunk.name.startswith(".debug") and chunk.name not in keep:
                    continue
                if opts.strip_all and chunk.name not in keep:
                    continue
                by_name.setdefault(chunk.name, []).append(chunk)
        by_name = {name: by_name[name] for name in llvm_string_map_order(list(by_name))}
        merged = {}
        if opts.optimize >= 1 and ".debug_str" in by_name:  # -r as well, as wasm-ld
            # .debug_str is a string table: deduplicated and tail-merged like STRINGS data
            # (DW_FORM_strp relocations then map their addend through the pieces).
            strings = merged[".debug_str"] = MergedStrings(STRINGS)
            for chunk in by_name[".debug_str"]:
                strings.add(chunk)
            strings.finalize()
        sizes = {}
        for name, chunks in by_name.items():  # every offset first: sections refer to each other
            size = 0
            for chunk in chunks:
                chunk.out_offset = size
                size += chunk.end - chunk.start
            sizes[name] = size if name not in merged else merged[name].size
        out = []
        for name, chunks in by_name.items():
            if name in merged:
                out.append(_section(CUSTOM, _name(name) + merged[name].data))
                continue
            buf = bytearray(sizes[name])
            tombstone = _tombstone(name)
            for chunk in chunks:
                buf[chunk.out_offset:chunk.out_offset + chunk.end - chunk.start] = chunk.file.data[chunk.start:chunk.end]
                if chunk.relocs:
                    self._patch(buf, chunk.out_offset, chunk, 0, tombstone)
            out.append(_section(CUSTOM, _name(name) + bytes(buf)))
        if with_names and (not opts.strip_all or "name" in keep):
            out.append(_section(CUSTOM, _name("name") + self._names()))
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
        layout = self.layout
        demangle_cxx = self.opts.demangle  # wasm-ld demangles C++ names here

        def shown(name):  # and shows C's `int main(int, char **)` under its own name
            return shown_symbol(name, demangle_cxx)

        funcs = []
        k = 0
        for imp in layout.imports:
            if imp.kind == FUNC_KIND:
                funcs.append((k, shown(imp.symbol.name) if imp.symbol else imp.name))
                k += 1
        for f in layout.functions:
            if f.chunk is not None:
                name = f.chunk.name and shown(f.chunk.name)
            else:  # the linker's own: stubs keep their prefix, wrappers demangle with their suffix
                prefix, colon, rest = f.name.partition(":")
                name = prefix + colon + shown(rest) if colon else shown(f.name)
            if name:
                funcs.append((k, name))
            k += 1
        globs = []
        k = 0
        for imp in layout.imports:
            if imp.kind == GLOBAL_KIND:
                globs.append((k, imp.name))
                k += 1
        for g in layout.globals:
            if g.named:
                globs.append((k, g.name))
            k += 1
        segs = [(i, s.name) for i, s in enumerate(s for s in layout.segments
                                                   if self.as_object or self.opts.import_memory or not s.is_bss)]
        out = []
        for sub, entries in ((1, funcs), (7, globs), (9, segs)):
            if entries:
                payload = u32(len(entries)) + b"".join(u32(i) + _name(n) for i, n in entries)
                out.append(bytes((sub,)) + u32(len(payload)) + payload)
        return b"".join(out)
