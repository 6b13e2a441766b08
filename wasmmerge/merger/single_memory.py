"""`--single-memory`: inputs linked with `wasm-ld --emit-relocs` relocated into one memory.

Each input's whole memory (data, stack, the start of its heap) becomes a region of one
memory: input k's addresses move by its region's base, a multiple of the page size. The
`linking` and `reloc.*` sections wasm-ld kept say where every address is written, so the
move is done by patching: every memory-address relocation site in code and data (a
5-byte padded LEB128 or a 4-byte field) gets the base added in place, constant data
segment offsets and the address-holding globals (`__stack_pointer`, `__heap_base`, …)
too. No instruction is decoded and no byte moves. The memory itself is defined by one
more input, the layout module, placed first; every input imports it instead of defining
its own, at the same memory index.

What we chose about `memory.size`/`memory.grow`: a module that uses them treats "the end
of memory" as its own (a heap grows there), which is only sound for the last region. So
its region is placed last (regions are otherwise in input order; instantiation order
never changes); two inputs that
both use them are refused. The last input's `memory.size` then counts the whole memory.

An input without relocations cannot be moved: its memories are lowered instead
(`lower_memory.py`), as regions of the same memory, and the same rule puts a growing
one last; when several lowered regions grow, a region table in the first page lets them
move (relocated regions then come first, since they cannot). Refused for relocated inputs, each with its reason: an imported, shared,
64-bit or second memory, PIC or TLS relocations, data
segments with non-constant offsets or passive ones (wasm-ld's `__wasm_init_memory`
writes their addresses with no relocation), and a defined i32 global whose name does not
say whether it holds an address.
"""

from dataclasses import dataclass, field

from ..binary import leb
from ..binary.code import decode_instrs
from ..binary.model import CODE, DATA, DataSegment, Export, Expr, Import, Module
from ..binary.reader import iter_sections
from ..binary.relocate import fits, read_site, site_field, write_site
from ..binary.types import GLOBAL_KIND, I32, MEMORY_KIND, Limits, MemType
from ..binary.writer import encode_module
from ..errors import LinkError, Unsupported, WasmError
from . import lower_memory
from .load import Input

LAYOUT = "wasmmerge:memory"
PAGE = 65536
# Globals wasm-ld defines whose value is an address in the module's memory.
ADDRESS_GLOBALS = frozenset(("__stack_pointer", "__heap_base", "__data_end", "__global_base", "__stack_low",
                             "__stack_high", "__heap_end", "__dso_handle", "__tls_base", "__memory_base"))
# Globals wasm-ld defines that hold sizes or alignments, not addresses.
VALUE_GLOBALS = frozenset(("__tls_size", "__tls_align", "__table_base"))


@dataclass
class Relocated:
    inputs: list[Input]
    bases: dict[str, int] = field(default_factory=dict)  # input name -> region base
    raw: list[tuple[str, bytes]] = field(default_factory=list)


def single_memory(loaded: list[Input], raw_inputs) -> Relocated:
    """The inputs with every memory placed in one, and the layout module defining it."""
    data = dict(raw_inputs)
    regions = []  # (_Movable or lower_memory.Region, grows: str | None)
    lowered = []
    for inp in loaded:
        if not inp.module.memories and not any(i.kind == MEMORY_KIND for i in inp.module.imports):
            continue  # no memory: nothing to move
        if _has_relocations(inp.module):
            movable = _check(inp, data[inp.name])
            regions.append((movable, movable.grows))
        else:
            low = lower_memory.prepare(inp)
            lowered.append(low)
            regions += [(r, f"memory.grow on its memory {r.memory}" if r.memory in low.grows else None)
                        for r in low.regions]
    growers = [(r, why) for r, why in regions if why]
    # Several growing regions work only if all of them are lowered: then bases and sizes
    # live in a table in the memory's first page, and growing one moves the later ones.
    dynamic = len(growers) > 1 and all(isinstance(r, lower_memory.Region) for r, _ in growers)
    if len(growers) > 1 and not dynamic:
        raise Unsupported("--single-memory: " + " and ".join(f"{r.input.label} ({why})" for r, why in growers)
                          + ": each would take the end of the one memory for its heap, and they would "
                          "overlap (only lowered memories can be moved when one of them grows)")
    if dynamic:
        _check_no_start_before_segments(loaded, {low.input.name for low in lowered})
    if dynamic:  # relocated regions first: they never move
        order = ([r for r, _ in regions if isinstance(r, _Movable)]
                 + [r for r, _ in regions if not isinstance(r, _Movable)])
        base = PAGE  # the first page holds the region table
    else:  # the growing region goes last: its heap grows past the end of memory
        order = [r for r, why in regions if not why] + [r for r, _ in growers]
        base = 0
    result = Relocated([])
    for region in order:
        if isinstance(region, _Movable):
            region.apply(base)
            result.bases[region.input.name] = base
        else:
            region.base = base
            result.bases[f"{region.input.name} memory {region.memory}"] = base
        base += region.pages * PAGE
    if order and not isinstance(order[-1], _Movable):
        order[-1].last = True
    table = None
    if dynamic:
        table = lower_memory.region_table([r for r in order if not isinstance(r, _Movable)])
    for low in lowered:
        lower_memory.check_exports(low)
        low.apply()
    last = order[-1] if order else None
    maximum = None
    last_max = None if last is None else (last.limits.max if isinstance(last, _Movable)
                                          else last.input.module.memories[last.memory].limits.max)
    if last_max is not None and not dynamic:  # dynamic: each region's maximum is checked by its grow
        maximum = base // PAGE - last.pages + last_max
    layout = Module(memories=[MemType(Limits(base // PAGE, maximum))], exports=[Export("memory", MEMORY_KIND, 0)])
    if table is not None:
        layout.datas.append(DataSegment("active", table, 0, _const(0)))
    placed = {region.input.name for region in order}
    if order:
        for inp in loaded:
            if inp.name in placed:
                m = inp.module
                m.memories = []
                m.imports.append(Import(LAYOUT, "memory", MEMORY_KIND, MemType(Limits(base // PAGE, maximum))))
                m.customs = [c for c in m.customs if c.name != "linking" and not c.name.startswith("reloc.")]
                for e in m.exports:
                    if e.kind == MEMORY_KIND:
                        e.index = 0  # only a region starting at 0 is still exported
        # Regions are laid out in memory; instantiation keeps the inputs' order.
        result.inputs = [Input(LAYOUT, layout, 0)] + loaded
    else:
        result.inputs = loaded
    layout_bytes = encode_module(layout)
    result.raw = [(inp.name, layout_bytes if inp.name == LAYOUT else data[inp.name]) for inp in result.inputs]
    return result


def _check_no_start_before_segments(loaded, lowered_names) -> None:
    """Moving regions: a lowered input's active segments have constant offsets, so no
    start function may run (and grow, moving regions) before they are written."""
    started = None
    for inp in loaded:
        if started and inp.name in lowered_names and any(d.mode == "active" for d in inp.module.datas):
            raise Unsupported(f"--single-memory: {started}'s start function runs before {inp.label}'s data "
                              "segments are written, and may grow a memory, moving the region they belong in")
        if inp.module.start is not None:
            started = started or inp.label


def _has_relocations(m: Module) -> bool:
    return any(c.name == "linking" for c in m.customs) and any(c.name.startswith("reloc.") for c in m.customs)


@dataclass
class _Movable:
    input: Input
    limits: Limits
    pages: int
    grows: str | None  # where memory.size/grow is used, for messages
    code_sites: list  # (body index, position in body, encoding, width)
    data_sites: list  # (segment index, position in segment, encoding, width)
    address_globals: list[int]  # defined global positions holding addresses

    def apply(self, base: int) -> None:
        if not base:
            return
        m = self.input.module
        for items, sites, field, what in ((m.codes, self.code_sites, "body", "function body"),
                                          (m.datas, self.data_sites, "data", "data segment")):
            patched = {}
            for index, pos, encoding, width in sites:
                buf = patched.setdefault(index, bytearray(getattr(items[index], field)))
                self._patch(buf, pos, encoding, width, base, f"{what} {index}")
            for index, buf in patched.items():
                setattr(items[index], field, bytes(buf))
        for d in m.datas:
            d.offset = _const(_value(d.offset) + base)
        for g in self.address_globals:
            m.globals[g].init = _const(_value(m.globals[g].init) + base)

    def _patch(self, buf, pos, encoding, width, base, where):
        value = read_site(buf, pos, encoding, width) + base
        if not fits(encoding, width, value):
            raise LinkError(f"--single-memory: {self.input.label}: the address at {where} + {pos} does not "
                            f"fit its field after moving by {base}")
        write_site(buf, pos, encoding, width, value)


def _const(value: int) -> Expr:
    return Expr(b"\x41" + leb.write_signed(value - (1 << 32) if value >= 1 << 31 else value) + b"\x0b")


def _value(expr: Expr | None) -> int | None:
    code = expr.code if expr is not None else b""
    if len(code) < 3 or code[0] != 0x41 or code[-1] != 0x0B:
        return None
    value, end = leb.read_s32(code, 1)
    return value & 0xFFFFFFFF if end == len(code) - 1 else None


def _check(inp: Input, raw: bytes) -> _Movable:
    """Everything that decides whether input `inp` can move, read from its file."""
    # lazy: the object-file section parsers (and `construct`) only for --single-memory.
    from ..custom import linking, reloc
    m, label = inp.module, inp.label

    def refuse(why):
        raise Unsupported(f"--single-memory: {label}: {why}")

    if any(i.kind == MEMORY_KIND for i in m.imports):
        refuse("it imports its memory; only a module's own memory can be moved")
    if len(m.memories) != 1:
        refuse(f"it has {len(m.memories)} memories; only one memory per input can be moved")
    limits = m.memories[0].limits
    if limits.address64 or limits.shared:
        refuse("its memory is 64-bit or shared")
    sections = list(iter_sections(raw))
    customs = {c.name: c for c in m.customs}
    try:
        symbols = linking.parse(customs["linking"].data).symbols or []
    except WasmError as err:
        raise err.with_file(label)
    for n, d in enumerate(m.datas):
        if d.mode != "active":
            refuse(f"data segment {n} is passive: the code that copies it in (wasm-ld's __wasm_init_memory) "
                   "holds its address with no relocation")
        if _value(d.offset) is None:
            refuse(f"data segment {n} has a non-constant offset")
    code_sites, data_sites = [], []
    code_info = next((s for s in sections if s.id == CODE), None)
    data_info = next((s for s in sections if s.id == DATA), None)
    code_starts = [c.offset for c in m.codes]
    data_starts = _segment_starts(raw, data_info, m) if data_info else []
    for c in m.customs:
        if not c.name.startswith("reloc."):
            continue
        try:
            section = reloc.parse(c.data, 0, c.name)
        except WasmError as err:
            raise err.with_file(label)
        if section.section >= len(sections):
            refuse(f"{c.name} names section {section.section}, which does not exist")
        target = sections[section.section]
        for kind, offset, _index, _addend in section.entries:
            name = reloc.RELOC_TYPES[kind].name
            if "MEMORY_ADDR" not in name:
                continue
            if "_REL_" in name or "TLS" in name or "LOCREL" in name:
                refuse(f"{c.name} has a {name} relocation (PIC or TLS code is not moved by --single-memory)")
            encoding, width = site_field(name)
            at = target.start + offset
            if target is code_info:
                body = _containing(code_starts, at, [len(x.body) for x in m.codes])
                if body is None:
                    refuse(f"{name} at code offset {offset} is outside every function body")
                code_sites.append((body, at - code_starts[body], encoding, width))
            elif target is data_info:
                seg = _containing([s for s in data_starts], at, [len(x.data) for x in m.datas])
                if seg is None:
                    refuse(f"{name} at data offset {offset} is outside every segment's bytes")
                data_sites.append((seg, at - data_starts[seg], encoding, width))
            # Relocations into custom sections (debug info) are not followed: those
            # sections are dropped by the merge.
    return _Movable(inp, limits, limits.min, _grows(m), code_sites, data_sites, _address_globals(inp, symbols, refuse))


def _containing(starts: list[int], at: int, sizes: list[int]) -> int | None:
    for n, (start, size) in enumerate(zip(starts, sizes)):
        if start <= at < start + size:
            return n
    return None


def _segment_starts(raw: bytes, info, m: Module) -> list[int]:
    """The file offset of every data segment's bytes (the reader keeps only the bytes)."""
    pos = info.start
    count, pos = leb.read_u32(raw, pos)
    starts = []
    for d in m.datas[:count]:
        flags, pos = leb.read_u32(raw, pos)
        if flags == 2:
            _, pos = leb.read_u32(raw, pos)
        if flags != 1:
            pos += len(d.offset.code)
        size, pos = leb.read_u32(raw, pos)
        starts.append(pos)
        pos += size
    return starts


def _grows(m: Module) -> str | None:
    """Where a function uses memory.size or memory.grow (bodies without either opcode
    byte are skipped; the others are decoded, since the byte may be an immediate)."""
    imported = m.count(0) - len(m.funcs)
    for n, code in enumerate(m.codes):
        body = code.body
        if 0x3F not in body and 0x40 not in body:
            continue
        instrs, _ = decode_instrs(body, 0, len(body))
        for instr in instrs:
            if instr.op.name in ("memory.size", "memory.grow"):
                return f"{instr.op.name} in function {imported + n}"
    return None


def _address_globals(inp: Input, symbols, refuse) -> list[int]:
    """Positions (among defined globals) of the i32 globals holding addresses."""
    # lazy: as in `_check`, which has loaded it already.
    from ..custom import linking
    m = inp.module
    imported = m.count(GLOBAL_KIND) - len(m.globals)
    names = {s.index: s.name for s in symbols if s.kind == linking.SYMTAB_GLOBAL and s.name}
    data_symbols = {s.name for s in symbols if s.kind == linking.SYMTAB_DATA and s.name}
    exported = {e.index: e.name for e in m.exports if e.kind == GLOBAL_KIND}
    out = []
    for n, g in enumerate(m.globals):
        index = imported + n
        if g.type.type != I32:
            continue
        name = names.get(index)
        if name in ADDRESS_GLOBALS or exported.get(index) in data_symbols:
            if _value(g.init) is None:
                refuse(f"global {name or index} holds an address computed at run time")
            out.append(n)
        elif name not in VALUE_GLOBALS:
            refuse(f"global {name or index} is an i32 that may or may not hold an address "
                   "(no relocation says which)")
    return out
