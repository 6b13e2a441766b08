"""Patching: each relocated field of the copied code, data and custom sections.

The writer's half that runs per relocation (a program has hundreds of thousands): what
value each relocation type computes (`_value`, every case but debug info's offsets, which
`_debug_target` works out; `_patch` inlines the common ones, switching on each type's
shortcut code), its field written in place, and the code
section filled body by body, by several processes at once when it is large. `Writer`
(writer.py) inherits it.
"""

from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate
from operator import add, itemgetter, sub
from struct import Struct

from ..binary import leb
from ..binary.model import CODE
from ..errors import LinkError
from ..outputs import Deferred
from ..workers import fill_shared, processes_for, split_by_cost
from .relocations import ROW_OF, encode_field
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, TLS

u32 = leb.write_unsigned

# Function, type and global indices and table slots are small, and each is written at
# many sites (every call of a function): their fields are made once. Data addresses are
# larger and more varied: caching them would cost more memory than it saves time.
SMALL_VALUES = 1 << 14

# What filling a body or custom chunk costs, to share the work out by (`_code`), in
# copied bytes: patching a site of code costs as much as copying 700 bytes, one of debug
# info (through the merged strings' pieces) 1,200 (fitted to bench_link's 173,401 code
# sites in 2.3 MB and mbedtls -O0 -g's 23,556 in 1.9 MB and 60,969 debug sites in 1.3 MB).
CODE_SITE_COST, CUSTOM_SITE_COST = 700, 1200

# A field is written by `struct`'s pack_into: a third of the time a slice assignment to
# a bytearray takes (bench_link.py's 173,401 code sites: 8.6 ms against 26.4 ms).
_PUT_FIELD5 = Struct("5s").pack_into
_PUT_LEB5 = Struct("<IB").pack_into  # a padded LEB128's first four bytes as a word, then its last
_PUT_U32 = Struct("<I").pack_into


def tombstone_of(section_name: str) -> int | None:
    """What a debug section's reference to a dropped function becomes (as wasm-ld does):
    -1, or -2 in .debug_ranges/.debug_loc, as 64 bits, each field keeping its own width
    (wasm64's `FUNCTION_OFFSET_I64` and `MEMORY_ADDR_I64` sites hold all eight bytes)."""
    if not section_name.startswith(".debug_"):
        return None
    return 0xFFFFFFFFFFFFFFFE if section_name in (".debug_ranges", ".debug_loc") else 0xFFFFFFFFFFFFFFFF


def _small_fields() -> bytes:
    """Every small value's 5-byte padded LEB128, end to end (value v at 5v): its low 7
    bits in the first byte, the next 7 in the second (SMALL_VALUES is 2^14), then two
    bytes of padding and a zero. Made in a few C-level slice assignments; a field is then
    a slice of it (a function call per field cost 3 ms of bench_link's fill)."""
    table = bytearray(b"\x80\x80\x80\x80\x00" * SMALL_VALUES)
    table[0::5] = bytes(range(0x80, 0x100)) * (SMALL_VALUES >> 7)
    table[1::5] = b"".join(bytes((0x80 | high,)) * 0x80 for high in range(SMALL_VALUES >> 7))
    return bytes(table)


_SMALL_FIELDS = _small_fields()


class Patcher:
    """Relocation values and fields for Writer, over its layout, symbol table, options
    and type registry (`type_of`, `obj_types`)."""

    def __init__(self):
        # The 5-byte padded LEB128 field of each small value, made on first use (_patch).
        self.small_fields: list[bytes | None] = [None] * SMALL_VALUES
        self._offsets = array("q")  # each function's place in the code payload, after its head (_code)
        self._head_size = 0  # the payload's head: the function count
        self._custom_jobs = []  # (custom chunk, its place in _code's buffer, tombstone)
        self._runs = []  # runs of consecutive bodies of one object (_body_runs)
        # Set by a link that reads no code relocation once the code is written (`_DeferredCode`).
        self.release_relocations = False

    def code_offset(self, chunk) -> int | None:
        """Where a kept function's size field sits in the code section's payload (known
        once `_code` has placed every body), None for one not kept. Computed rather than
        kept on the chunk: a program has thousands of functions."""
        if chunk.out_index is None:
            return None
        return self._head_size + self._offsets[chunk.out_index - self.layout.num_imported_functions]

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
            tls = self.layout.tls_segment
            if rt.modifier == "tls" or (tls is not None and self.opts.shared_memory and chunk is not None
                                        and chunk.output is tls):
                # (Any relocation against a thread-local with shared memory, as wasm-ld 14
                # does for objects from before TLS relocations, and debug info's: the
                # offset in the thread's block, as DWARF's TLS locations take it.)
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
        # (func_offset and section_offset: debug info's, `_patch` through `_debug_target`)
        if target in ("tag", "table"):
            return sym.out_index or 0
        raise LinkError(f"relocation type {rt.name} is not supported", file=obj.name)

    def _debug_target(self, rt, sym) -> tuple:
        """What a section or function offset (debug info's) adds its addend to: (the base,
        or None for a function gc removed (then the tombstone); the merged strings' input
        starts and output starts, or None). The one place these targets are worked out."""
        if rt.target == "section_offset":
            chunk = sym.file.sections.get(sym.index)
            if chunk is not None and chunk.merged_into is not None:
                return 0, *chunk.merged_into.pieces[id(chunk)]
            return (chunk.out_offset if chunk is not None else 0), None, None
        if sym.file is not None and sym.index >= sym.file.num_imported[0]:
            chunk = sym.file.functions[sym.index - sym.file.num_imported[0]]
            offset = self.code_offset(chunk)
            if offset is not None:
                return offset + (chunk.start - chunk.size_start), None, None
        return None, None, None

    def _patch(self, buf, shift, obj, columns, lo, hi, site_shift, tombstone=None):
        """Overwrite the fields of `obj`'s relocations [lo, hi) of `columns` (a run of one
        or more of its chunks): a field at file offset `off` sits at buf[shift + off], and
        its address (for location-relative types) is site_shift + off."""
        shift += columns.base  # the offsets count from there
        site_shift += columns.base
        value = self._value
        resolved = obj.resolved
        types = self.obj_types.get(id(obj))
        small, small_table = self.small_fields, _SMALL_FIELDS
        row_of = ROW_OF
        put_field5, put_leb5, put_u32 = _PUT_FIELD5, _PUT_LEB5, _PUT_U32
        targets = {}  # symbol index -> what its debug-info offsets add to (`_debug_target`)
        for kind, off, index, addend in zip(columns.kinds[lo:hi], columns.offsets[lo:hi], columns.indices[lo:hi],
                                            columns.addends[lo:hi]):
            rt = row_of[kind]
            shortcut = rt.shortcut
            # The commonest cases inline: calls, data addresses, table slots, types, globals.
            if shortcut == 1:
                v = resolved[index].out_index
                if v is None:
                    v = value(rt, obj, index, addend, site_shift + off, tombstone)
            elif shortcut == 2:
                sym = resolved[index]
                v = sym.address
                if v is None or sym.flags & TLS or (addend and sym.segment is not None
                                                    and sym.segment.merged_into is not None):
                    v = value(rt, obj, index, addend, site_shift + off, tombstone)
                else:
                    v += addend
            elif shortcut == 3:
                v = resolved[index].table_slot or 0
            elif shortcut == 4 and types is not None and types[index] is not None:
                v = types[index]  # indirect calls: output type indices, cached per object
            elif shortcut == 5 and resolved[index].kind == SYMTAB_GLOBAL:
                v = resolved[index].out_index or 0  # __stack_pointer, mostly
            elif shortcut >= 6:  # debug info: the few sections and functions it names, looked up once
                target = targets.get(index)
                if target is None:
                    target = targets[index] = self._debug_target(rt, resolved[index])
                base, starts, outs = target
                if starts is not None:  # into merged strings: the piece's new place
                    k = bisect_right(starts, addend) - 1
                    v = outs[k] + addend - starts[k]
                elif base is not None:
                    v = base + addend
                else:  # a function gc removed
                    v = tombstone if tombstone is not None else addend
            else:
                v = value(rt, obj, index, addend, site_shift + off, tombstone)
                if shortcut == 4:
                    types = self.obj_types[id(obj)]
            pos = shift + off
            encoding = rt.encoding
            if encoding <= 1:  # a 5-byte padded LEB128, unsigned or signed
                if 0 <= v < SMALL_VALUES:  # the same bytes either way
                    field = small[v]
                    if field is None:
                        field = small[v] = small_table[5 * v:5 * v + 5]
                    put_field5(buf, pos, field)
                else:
                    v &= 0x7FFFFFFFF if encoding else 0xFFFFFFFF
                    # The first four bytes as one little-endian word: 7 bits each, the
                    # continuation bit set.
                    put_leb5(buf, pos, (v & 0x7F) | ((v << 1) & 0x7F00) | ((v << 2) & 0x7F0000)
                             | ((v << 3) & 0x7F000000) | 0x80808080, v >> 28)
            elif encoding == 2:
                put_u32(buf, pos, v & 0xFFFFFFFF)
            else:
                buf[pos:pos + rt.width] = encode_field(rt, v)

    def _code(self, meanwhile, customs=()) -> tuple[list, dict]:
        """The code section, as pieces, and the payload of each custom section of
        `customs` (`Writer._custom_plan`) by name: each body and custom chunk copied once,
        straight from its object into one buffer, then patched where it now sits. Every
        body's and chunk's place is known first, so a large job is shared by several
        processes, each a run of bodies or chunks, in one shared buffer; `meanwhile()`
        (the writer's other work, which needs none of these bytes) runs here while they do."""
        functions = self.layout.functions
        head = u32(len(functions))
        # Of each function's size field in the payload (after `head`): machine integers,
        # one per function of the program. And what filling each costs, to split the work
        # by (patching a site costs far more than copying a byte). Taken a run of one
        # object's consecutive bodies at a time (`_body_runs`), in C-level passes: a
        # body's place is where it lies in its object, shifted.
        offsets, costs = array("q"), array("q")
        self._runs = runs = _body_runs(functions)
        at = 0
        for start, stop, obj, j in runs:
            if obj is None:  # a function the linker makes
                body = functions[start].body
                size = len(u32(len(body))) + len(body)
                offsets.append(at)
                costs.append(size)
                at += size
                continue
            n = stop - start
            fields = obj.size_fields
            offsets.extend(map((at - fields[j]).__add__, fields[j:j + n]))
            sizes = map(sub, fields[j + 1:j + n + 1], fields[j:j + n])
            if obj.code_relocs is not None:
                bounds = obj.code_bounds
                sites = map(sub, bounds[j + 1:j + n + 1], bounds[j:j + n])
                costs.extend(map(add, sizes, map(CODE_SITE_COST.__mul__, sites)))
            else:
                costs.extend(sizes)
            at += fields[j + n] - fields[j]
        self._offsets, self._head_size = offsets, len(head)
        # The custom sections' chunks follow the bodies, each section's payload after the
        # code's (a merged string table, .debug_str, is made whole already).
        regions, jobs = {}, []
        end = at
        for name, chunks, size, merged in customs:
            if merged is not None:
                continue
            regions[name] = (end, size)
            tombstone = tombstone_of(name)
            for chunk in chunks:
                jobs.append((chunk, end + chunk.out_offset, tombstone))
                columns = chunk.relocs
                costs.append(chunk.end - chunk.start + (CUSTOM_SITE_COST * len(columns) if columns is not None else 0))
            end += size
        self._custom_jobs = jobs
        workers = processes_for(end, self.opts.threads)
        if workers == 1:
            # The bodies are made as the module is written (`_DeferredCode`), so the
            # section is never held whole; the custom chunks here, in a buffer of their own.
            customs_buffer = bytearray(end - at)
            self._fill(customs_buffer, len(functions), len(costs), base=at)
            meanwhile()
            view = memoryview(customs_buffer)
            payloads = {name: view[start - at:start - at + size] for name, (start, size) in regions.items()}
            return [bytes((CODE,)) + u32(len(head) + at) + head, _DeferredCode(self, at)], payloads
        else:
            # This process takes a smaller share: it builds the other sections too, while
            # the others patch, but a forked child pays for each page it touches first.
            # (bench_link, fields written by pack_into: the parallel part 47-48 ms at 0.85
            # of an equal share, 49-50 ms at 0.8, 0.75 and 0.95.)
            own = min(bisect_left(array("q", accumulate(costs)), sum(costs) * 0.85 / workers) + 1, len(costs))
            ranges = [(0, own), *((own + start, own + stop) for start, stop in split_by_cost(costs[own:], workers - 1))]
            buffer = fill_shared(end, ranges, self._fill, meanwhile)
        view = memoryview(buffer)
        payloads = {name: view[start:start + size] for name, (start, size) in regions.items()}
        # In pieces, joined only with the whole module: the section is most of it.
        return [bytes((CODE,)) + u32(len(head) + at) + head, view[:at]], payloads

    def _fill(self, buffer, start: int, stop: int, base: int = 0):
        """Jobs [start, stop) of `_code`: the functions', then the custom chunks', in
        `buffer` holding the payload from its byte `base` on."""
        count = len(self.layout.functions)
        if start < count:
            self._fill_bodies(buffer, start, min(stop, count), base)
        for chunk, at, tombstone in self._custom_jobs[max(start - count, 0):max(stop - count, 0)]:
            self._copy_patched(buffer, at - base, chunk, 0, tombstone)

    def _copy_patched(self, buf, at: int, chunk, address: int, tombstone=None):
        """A data segment's or custom section's chunk copied to buf[at:] and its relocations
        applied; `address`: where its first byte lands (for location-relative types)."""
        buf[at:at + chunk.end - chunk.start] = chunk.file.data[chunk.start:chunk.end]
        columns, lo, hi = chunk.reloc_span()
        if lo != hi:
            self._patch(buf, at - chunk.start, chunk.file, columns, lo, hi, address - chunk.start, tombstone)

    def _fill_bodies(self, payload, start: int, stop: int, base: int = 0):
        """Functions [start, stop) written to their places in `payload` (which holds the
        code's payload from its byte `base` on), each body copied and patched: a run of
        consecutive bodies of one object (`_body_runs`; all of an object's, when every
        one is kept) is copied in one slice and patched in one pass."""
        functions, offsets, runs = self.layout.functions, self._offsets, self._runs
        views = {}  # id(object) -> a memoryview of its bytes, so copying a body slices nothing
        for r in range(max(bisect_right(runs, start, key=itemgetter(0)) - 1, 0), len(runs)):
            run_start, run_stop, obj, j = runs[r]
            if run_start >= stop:
                break
            first, last = max(start, run_start), min(stop, run_stop) - 1
            at = offsets[first] - base
            if obj is None:
                body = functions[first].body
                field = u32(len(body)) + body
                payload[at:at + len(field)] = field
                continue
            view = views.get(id(obj))
            if view is None:
                view = views[id(obj)] = memoryview(obj.data)
            # The bodies first..last of the run, one after another in the object's file.
            j_first, j_last = j + first - run_start, j + last - run_start
            begin, end = obj.size_fields[j_first], obj.size_fields[j_last + 1]
            payload[at:at + end - begin] = view[begin:end]
            # The run's relocations: from its first body's to its last's. (Code has no
            # addresses: a location-relative type, a data one, finds 0 here.)
            columns = obj.code_relocs
            if columns is not None:
                lo, hi = obj.code_bounds[j_first], obj.code_bounds[j_last + 1]
                if lo != hi:
                    self._patch(payload, at - begin, obj, columns, lo, hi, 0)


def _body_runs(functions) -> list[tuple[int, int, object, int]]:
    """(first, end) of each run of `functions` (Layout.functions) that are consecutive
    bodies of one object, with the object and the first's index among its defined
    functions: their bytes lie end to end in its file. A function the linker makes is a
    run of its own, object None."""
    runs = []
    k, count = 0, len(functions)
    while k < count:
        chunk = functions[k].chunk
        if chunk is None:
            runs.append((k, k + 1, None, 0))
            k += 1
            continue
        obj = chunk.file
        j = chunk.index - obj.num_imported[0]
        rest = obj.functions[j:]
        if functions[k:k + len(rest)] == rest:  # the rest of the object's, all kept (most): one C-level test
            stop = k + len(rest)
        else:
            stop, last = k + 1, chunk.index
            while stop < count and (chunk := functions[stop].chunk) is not None and chunk.file is obj \
                    and chunk.index == last + 1:
                last += 1
                stop += 1
        runs.append((k, stop, obj, j))
        k = stop
    return runs


class _DeferredCode(Deferred):
    """The code section's bodies (after its head), made a window of about WINDOW bytes
    at a time as the module is written: a large module's code is never in memory whole."""

    __slots__ = ("patcher", "size")
    WINDOW = 1 << 16

    def __init__(self, patcher: Patcher, size: int):
        self.patcher = patcher
        self.size = size

    def __len__(self) -> int:
        return self.size

    def write_to(self, write) -> None:
        patcher, size = self.patcher, self.size
        if patcher is None:
            raise RuntimeError("the code section was written already")
        self.patcher = None
        offsets = patcher._offsets
        count = len(offsets)
        # Once its last body is written, an object's code relocations are let go where
        # nothing reads them after (`release_relocations`: not for -r or --emit-relocs,
        # which write them again): the windows hold the memory instead.
        done_after = _last_bodies(patcher) if patcher.release_relocations else []
        k = 0
        while k < count:
            base = offsets[k]
            stop = max(bisect_left(offsets, base + self.WINDOW, k + 1), k + 1)
            window = bytearray((offsets[stop] if stop < count else size) - base)
            patcher._fill_bodies(window, k, stop, base)
            write(window)
            while done_after and done_after[-1][0] < stop:
                obj = done_after.pop()[1]
                obj.code_relocs = obj.code_bounds = None
            k = stop


def _last_bodies(patcher) -> list:
    """(place of its last kept body in the code section, object) of each object with
    code relocations, latest first."""
    first = patcher.layout.num_imported_functions
    last = []
    for obj in patcher.symtab.objects:
        if obj.code_relocs is not None:
            kept = [chunk.out_index for chunk in obj.functions if chunk.out_index is not None]
            last.append((max(kept) - first if kept else -1, obj))
    last.sort(key=lambda item: item[0], reverse=True)
    return last
