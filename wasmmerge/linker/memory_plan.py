"""Linear memory: input data segments merged into output segments by name, placed with
the stack and the heap, and the layout symbols' addresses (wasm-ld's order and rules).

Output segments: `.rodata.x` -> `.rodata`, ..., thread-locals one `.tdata` block,
ordered .tdata, .rodata, .data, others, .bss, each input segment at its alignment
(mergeable strings deduplicated from -O1). Memory holds the global base (or the stack,
with --stack-first), the segments, the flag of `__wasm_init_memory` with shared memory,
the stack, then the heap. `Planner` (layout.py) extends `MemoryPlanner`.
"""

from .output import OutputSegment
from .strings import MergedStrings, mergeable
from .symbols import SYMTAB_DATA

PAGE = 65536
STACK_ALIGN = 16
SEGMENT_ORDER = ((".tdata", 0), (".rodata", 1), (".data", 2), (".bss", 4))


def output_segment_name(name: str, by_prefix: bool = True) -> str:
    """`.rodata.str1.1` -> `.rodata`: wasm-ld's merging of input segments by prefix
    (`by_prefix`; with --no-merge-data-segments each name is its own)."""
    if name.startswith((".tdata", ".tbss")):
        return ".tdata"  # thread-locals form one block, zero-initialised ones included
    if not by_prefix:
        return name
    for prefix in (".rodata", ".data", ".bss", ".text"):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return name


def segment_rank(name: str) -> int:
    """Where an output segment of this name goes (.tdata, .rodata, .data, others, .bss)."""
    for prefix, rank in SEGMENT_ORDER:
        if name.startswith(prefix):
            return rank
    return 3


def place_chunks(seg):
    """Each input segment (or merged strings) of `seg` at its aligned offset; `seg.size`
    the total."""
    seg.size = 0
    for chunk in seg.chunks:
        if isinstance(chunk, MergedStrings):
            chunk.finalize()
            chunk.output = seg
        chunk.out_offset = align(seg.size, 1 << chunk.alignment)
        seg.size = chunk.out_offset + chunk.size


def align(value: int, alignment: int) -> int:
    """`value` rounded up to a multiple of `alignment` (a power of two)."""
    return (value + alignment - 1) & -alignment


class MemoryPlanner:
    """Planner's memory half, over its symbol table, options, diagnostics and `out`."""

    def _has_passive_data(self) -> bool:
        return any(chunk.live and not chunk.discarded and output_segment_name(chunk.name) != ".tdata"
                   for obj in self.symtab.objects for chunk in obj.datas)

    def _has_bss(self) -> bool:
        by_prefix = self.opts.merge_data_segments
        return any(chunk.live and not chunk.discarded and output_segment_name(chunk.name, by_prefix).startswith(".bss")
                   for obj in self.symtab.objects for chunk in obj.datas)

    def lay_out_memory(self):
        """The data segments, then memory: addresses, the stack, and each size check."""
        self._data_segments()
        self._memory()

    # -- data ----------------------------------------------------------------------------------

    def _data_segments(self):
        by_name = {}
        segments = []
        for obj in self.symtab.objects:
            for chunk in obj.datas:
                if not chunk.live or chunk.discarded:
                    continue
                name = output_segment_name(chunk.name, self.opts.merge_data_segments)
                seg = by_name.get(name)
                if seg is None:
                    seg = by_name[name] = OutputSegment(name)
                    segments.append(seg)
                seg.alignment = max(seg.alignment, chunk.alignment)
                if self.opts.optimize >= 1 and mergeable(chunk):
                    merged = seg.merged.get(chunk.flags)
                    if merged is None:  # takes the place of the first mergeable segment
                        merged = seg.merged[chunk.flags] = MergedStrings(chunk.flags)
                        seg.chunks.append(merged)
                    merged.add(chunk)
                    chunk.output = seg
                else:
                    seg.chunks.append(chunk)
                    chunk.output = seg
        for seg in segments:
            place_chunks(seg)
        segments.sort(key=lambda s: segment_rank(s.name))  # stable: input order within a rank
        self.out.segments = segments

    def _memory(self):
        out, opts = self.out, self.opts
        if opts.stack_size % STACK_ALIGN:
            self.diag.error(f"stack size must be {STACK_ALIGN}-byte aligned")
        ptr = 0
        if opts.stack_first:
            ptr = opts.stack_size
            out.stack_pointer = ptr
        else:
            ptr = opts.global_base if opts.global_base is not None else 1024
        global_base = ptr
        for seg in out.segments:
            ptr = align(ptr, 1 << seg.alignment)
            seg.start = ptr
            ptr += seg.size
            if seg.is_tls and out.tls_segment is None:
                out.tls_segment = seg
        if opts.shared_memory and self._has_passive_data():
            # The flag __wasm_init_memory claims, right after the data (as wasm-ld puts it).
            ptr = align(ptr, 4)
            out.init_memory_flag = ptr
            ptr += 4
        out.data_end = ptr
        if not opts.stack_first:
            ptr = align(ptr, STACK_ALIGN) + opts.stack_size
            out.stack_pointer = ptr
        needed = ptr  # what wasm-ld's messages count: the end of the stack or data
        if not opts.wasm64 and needed > 1 << 32:
            # (wasm-ld 14 writes the addresses cut to 32 bits: an invalid module)
            self.diag.error(f"the memory layout needs {needed} bytes, more than a wasm32 memory's 4 GiB")
        out.heap_base = align(ptr, STACK_ALIGN)
        ptr = out.heap_base
        if opts.initial_memory:
            # Each check as wasm-ld makes it, the size checked even when the alignment fails.
            if opts.initial_memory % PAGE:
                self.diag.error(f"initial memory must be {PAGE}-byte aligned")
            if needed > opts.initial_memory:
                self.diag.error(f"initial memory too small, {needed} bytes needed")
            ptr = needed = opts.initial_memory
        out.memory_pages = align(ptr, PAGE) // PAGE
        if opts.max_memory:
            if opts.max_memory % PAGE:
                self.diag.error(f"maximum memory must be {PAGE}-byte aligned")
            if needed > opts.max_memory:
                self.diag.error(f"maximum memory too small, {needed} bytes needed")
            out.memory_max_pages = opts.max_memory // PAGE
        elif not opts.growable_memory:
            out.memory_max_pages = out.memory_pages
        elif opts.shared_memory:
            out.memory_max_pages = out.memory_pages  # a shared memory needs a maximum: wasm-ld 14's
        self._data_addresses(global_base)

    def _data_addresses(self, global_base):
        out = self.out
        heap_end = out.memory_pages * PAGE
        synthetic = {"__heap_base": out.heap_base, "__data_end": out.data_end, "__dso_handle": global_base,
                     "__global_base": global_base, "__heap_end": heap_end, "__memory_base": 0,
                     "__table_base": self.opts.table_base, "__table_base32": self.opts.table_base}
        segs = {s.name: s for s in out.segments}
        for name, sym in self.symtab.symbols.items():
            if sym.synthetic == "data":
                if name in synthetic:
                    sym.address = synthetic[name]
                elif name.startswith("__start_"):
                    sym.address = segs[name[8:]].start if name[8:] in segs else 0
                elif name.startswith("__stop_"):
                    seg = segs.get(name[7:])
                    sym.address = seg.start + seg.size if seg else 0
        for obj in self.symtab.objects:
            for sym in obj.resolved:
                if sym.kind == SYMTAB_DATA and sym.segment is not None and sym.file is obj:
                    chunk = sym.segment
                    if chunk.merged_into is not None:
                        merged = chunk.merged_into
                        sym.address = chunk.output.start + merged.out_offset + merged.map(chunk, sym.offset)
                    elif chunk.output is not None:
                        sym.address = chunk.output.start + chunk.out_offset + sym.offset
