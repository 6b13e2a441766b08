"""`--single-memory` for inputs without relocations: their memories lowered into regions of one.

Nothing says where such a module keeps addresses, so they cannot be moved; instead every
access moves. Memory m of an input gets a region [base, base + size) of the one memory,
and each instruction that touches memory m is replaced by a call to a helper the input
gets (appended after its functions, so no index moves) that takes the same operands:

    if effective address + access size > size of m: trap out of bounds (an access that
        is out of bounds of any 32-bit memory, so the trap is the same one)
    the original instruction, on memory 0, with `base` added to the address

`memory.size` of m is its page count (a constant, or for the region placed last, the one
memory's size minus the base). `memory.fill`, `memory.copy` and `memory.init` check every
range they touch, as the instructions themselves do. Active data segments get `base`
added to their constant offsets.

When several lowered memories grow, their bases and sizes live in a table in the one
memory's first page (which no region uses) and every access reads its region's entry;
growing a region grows the one memory, moves every later region's data up (they are all
lowered, so nothing holds their absolute addresses) and updates the table.

Refused with a reason: imported, exported (except a memory whose region starts at
address 0), shared or 64-bit memories, atomic accesses, and non-constant data segment
offsets.
"""

from dataclasses import dataclass, field

from ..binary import leb
from ..binary.code import MemArg, decode_instrs, encode_instr
from ..binary.model import Code
from ..binary.opcodes import BY_NAME
from ..binary.types import FUNC_KIND, I32, MEMORY_KIND, FuncType, SubType, _num_by_name
from ..errors import Unsupported, WasmError

PAGE = 65536
_BULK = ("memory.fill", "memory.copy", "memory.init")
# An access out of bounds of every 32-bit memory: address 2^32 - 1 plus offset 2^32 - 1.
_ALWAYS_OUT_OF_BOUNDS = (encode_instr(BY_NAME["i32.const"], -1)
                         + encode_instr(BY_NAME["i32.load8_u"], MemArg(0, 0xFFFFFFFF, 0))
                         + encode_instr(BY_NAME["drop"]))


@dataclass
class Region:
    input: object  # the Input
    memory: int  # its memory index in that input
    pages: int
    base: int = 0
    last: bool = False
    # When several regions grow: the address of its entry in the region table (base,
    # then size in pages, as i32s), which its accesses read and its growth updates.
    slot: int | None = None
    later: list = field(default_factory=list)  # the regions after it, moved when it grows


@dataclass
class Lowered:
    """One input whose memories become regions; `apply` rewrites it once bases are known."""

    input: object
    regions: list[Region]
    grows: set[int] = field(default_factory=set)  # memory indices that memory.grow names
    bodies: list = field(default_factory=list)  # per body, its decoded instructions

    def apply(self) -> None:
        _Rewriter(self).run()


def prepare(inp) -> Lowered:
    """Check that input `inp` can be lowered; decode what must change."""
    m, label = inp.module, inp.label

    def refuse(why):
        raise Unsupported(f"--single-memory: {label}: {why}")

    if any(imp.kind == MEMORY_KIND for imp in m.imports):
        imported = next(imp for imp in m.imports if imp.kind == MEMORY_KIND)
        refuse(f"it imports memory {imported.module}.{imported.name}, which lowering cannot place")
    for mem in m.memories:
        if mem.limits.address64 or mem.limits.shared:
            refuse("it has a 64-bit or shared memory")
    for n, d in enumerate(m.datas):
        if d.mode == "active" and _const_value(d.offset.code) is None:
            refuse(f"data segment {n} has a non-constant offset")
    lowered = Lowered(inp, [Region(inp, k, mem.limits.min) for k, mem in enumerate(m.memories)])
    for n, code in enumerate(m.codes):
        try:
            instrs, _ = decode_instrs(code.body, 0, len(code.body))
        except WasmError as err:
            raise err.with_file(label)
        for instr in instrs:
            op = instr.op
            if op.prefix == 0xFE:
                refuse(f"function body {n} uses {op.name}: atomic accesses are not lowered")
            if op.name == "memory.grow":
                lowered.grows.add(instr.args[0])
        lowered.bodies.append(instrs)
    return lowered


def region_table(regions: list[Region]) -> bytes:
    """The first page's table of bases and sizes, for regions that move; sets their slots."""
    out = bytearray()
    for n, region in enumerate(regions):
        region.slot = 8 * n
        region.later = regions[n + 1:]
        out += region.base.to_bytes(4, "little") + region.pages.to_bytes(4, "little")
    return bytes(out)


def check_exports(lowered: Lowered) -> None:
    for e in lowered.input.module.exports:
        if e.kind == MEMORY_KIND and lowered.regions[e.index].base != 0:
            raise Unsupported(f"--single-memory: {lowered.input.label}: it exports memory {e.index} as "
                              f"{e.name!r}; lowered, that memory is the region at {lowered.regions[e.index].base} "
                              "of the one memory, which an export cannot express")


def _const_value(code: bytes) -> int | None:
    if len(code) < 3 or code[0] != 0x41 or code[-1] != 0x0B:
        return None
    value, end = leb.read_s32(code, 1)
    return value & 0xFFFFFFFF if end == len(code) - 1 else None


class _Rewriter:
    def __init__(self, lowered: Lowered):
        self.lowered = lowered
        self.module = lowered.input.module
        self.helpers: dict[tuple, int] = {}
        self.first_helper = self.module.count(FUNC_KIND)
        self.types: dict[FuncType, int] = {}

    def run(self):
        m = self.module
        for code, instrs in zip(m.codes, self.lowered.bodies):
            code.body = self._body(code.body, instrs)
        for d in m.datas:
            if d.mode == "active":
                region = self.lowered.regions[d.memory]
                value = _const_value(d.offset.code) + region.base
                d.offset.code = encode_instr(BY_NAME["i32.const"], value - (1 << 32) if value >> 31 else value) + b"\x0b"
                d.memory = 0

    def _body(self, body: bytes, instrs) -> bytes:
        pieces, last = [], 0
        for n, instr in enumerate(instrs):
            op = instr.op
            if "memarg" not in op.imms and op.name not in _BULK + ("memory.size", "memory.grow"):
                continue
            end = instrs[n + 1].offset if n + 1 < len(instrs) else len(body)
            pieces.append(body[last:instr.offset])
            pieces.append(self._replacement(instr))
            last = end
        pieces.append(body[last:])
        return b"".join(pieces)

    def _replacement(self, instr) -> bytes:
        op, args = instr.op, instr.args
        if op.name == "memory.size":
            region = self.lowered.regions[args[0]]
            if region.slot is not None:
                return self._pages(region)
            if not region.last:
                return encode_instr(BY_NAME["i32.const"], region.pages)
        elif op.name == "memory.grow":
            region = self.lowered.regions[args[0]]
            if not region.last and region.slot is None:
                raise Unsupported(f"--single-memory: {self.lowered.input.label}: memory.grow on memory "
                                  f"{args[0]}, whose region is not the last: growing it would move every "
                                  "later region's data, which is not implemented")
        key = (op.name, args)
        if key not in self.helpers:
            self.helpers[key] = self._helper(instr)
        return encode_instr(BY_NAME["call"], self.helpers[key])

    # -- helpers ---------------------------------------------------------------------------

    def _helper(self, instr) -> int:
        op, args = instr.op, instr.args
        locals_ = []
        if op.name in ("memory.size", "memory.grow"):
            params, results = (("i32",), ("i32",)) if op.name == "memory.grow" else ((), ("i32",))
            region = self.lowered.regions[args[0]]
            if region.slot is not None:
                body, locals_ = self._moving_grow(region), [(1, I32)]
            else:
                body = self._size_or_grow(op.name, region)
        elif op.name in _BULK:
            params, results = ("i32", "i32", "i32"), ()
            body = self._bulk(op.name, args)
        else:
            params = tuple("i32" if p == "addr" else p for p in op.params)
            results = op.results
            body = self._access(op, args, len(params))
        functype = FuncType(tuple(_num_by_name(p) for p in params), tuple(_num_by_name(r) for r in results))
        m = self.module
        if functype not in self.types:
            self.types[functype] = len(m.types)
            m.types.append(SubType(functype))
        m.funcs.append(self.types[functype])
        m.codes.append(Code(locals_, body + b"\x0b"))
        return self.first_helper + len(self.helpers)

    @staticmethod
    def _load_slot(region: Region, field_offset: int) -> bytes:
        return (encode_instr(BY_NAME["i32.const"], region.slot)
                + encode_instr(BY_NAME["i32.load"], MemArg(2, field_offset, 0)))

    def _pages(self, region: Region) -> bytes:
        return self._load_slot(region, 4)

    def _limit(self, region: Region) -> bytes:
        """The region's size in bytes, as an i64."""
        if region.slot is not None:
            return (self._pages(region) + encode_instr(BY_NAME["i64.extend_i32_u"])
                    + encode_instr(BY_NAME["i64.const"], PAGE) + encode_instr(BY_NAME["i64.mul"]))
        if region.last:
            return (encode_instr(BY_NAME["memory.size"], 0) + encode_instr(BY_NAME["i64.extend_i32_u"])
                    + encode_instr(BY_NAME["i64.const"], PAGE) + encode_instr(BY_NAME["i64.mul"])
                    + encode_instr(BY_NAME["i64.const"], region.base) + encode_instr(BY_NAME["i64.sub"]))
        return encode_instr(BY_NAME["i64.const"], region.pages * PAGE)

    def _check(self, address: bytes, extent: bytes, region: Region) -> bytes:
        """Trap out of bounds unless address + extent (both i64 pushes) fit in the region."""
        return (address + extent + encode_instr(BY_NAME["i64.add"]) + self._limit(region)
                + encode_instr(BY_NAME["i64.gt_u"]) + encode_instr(BY_NAME["if"], None)
                + _ALWAYS_OUT_OF_BOUNDS + encode_instr(BY_NAME["end"]))

    def _local_u64(self, index: int) -> bytes:
        return encode_instr(BY_NAME["local.get"], index) + encode_instr(BY_NAME["i64.extend_i32_u"])

    def _rebased(self, index: int, region: Region) -> bytes:
        base = (self._load_slot(region, 0) if region.slot is not None
                else encode_instr(BY_NAME["i32.const"], region.base))
        return encode_instr(BY_NAME["local.get"], index) + base + encode_instr(BY_NAME["i32.add"])

    def _access(self, op, args, count: int) -> bytes:
        memarg = args[op.imms.index("memarg")]
        region = self.lowered.regions[memarg.memory]
        size = 1 << op.align
        out = self._check(self._local_u64(0), encode_instr(BY_NAME["i64.const"], memarg.offset + size), region)
        out += self._rebased(0, region)
        out += b"".join(encode_instr(BY_NAME["local.get"], k) for k in range(1, count))
        new_args = tuple(MemArg(memarg.align, memarg.offset, 0) if kind == "memarg" else value
                         for kind, value in zip(op.imms, args))
        return out + encode_instr(op, *new_args)

    def _bulk(self, name: str, args) -> bytes:
        get = lambda k: encode_instr(BY_NAME["local.get"], k)  # noqa: E731
        if name == "memory.fill":
            region = self.lowered.regions[args[0]]
            return (self._check(self._local_u64(0), self._local_u64(2), region) + self._rebased(0, region)
                    + get(1) + get(2) + encode_instr(BY_NAME["memory.fill"], 0))
        if name == "memory.copy":
            target, source = self.lowered.regions[args[0]], self.lowered.regions[args[1]]
            return (self._check(self._local_u64(1), self._local_u64(2), source)
                    + self._check(self._local_u64(0), self._local_u64(2), target)
                    + self._rebased(0, target) + self._rebased(1, source) + get(2)
                    + encode_instr(BY_NAME["memory.copy"], 0, 0))
        region = self.lowered.regions[args[1]]  # memory.init data memory
        return (self._check(self._local_u64(0), self._local_u64(2), region) + self._rebased(0, region)
                + get(1) + get(2) + encode_instr(BY_NAME["memory.init"], args[0], 0))

    def _size_or_grow(self, name: str, region: Region) -> bytes:
        base_pages = encode_instr(BY_NAME["i32.const"], region.base // PAGE)
        if name == "memory.size":
            return encode_instr(BY_NAME["memory.size"], 0) + base_pages + encode_instr(BY_NAME["i32.sub"])
        # grow: -1 stays -1; an old size is counted from the region's start.
        return (encode_instr(BY_NAME["local.get"], 0) + encode_instr(BY_NAME["memory.grow"], 0)
                + encode_instr(BY_NAME["local.set"], 0) + encode_instr(BY_NAME["local.get"], 0)
                + encode_instr(BY_NAME["i32.const"], -1) + encode_instr(BY_NAME["i32.eq"])
                + encode_instr(BY_NAME["if"], I32) + encode_instr(BY_NAME["i32.const"], -1)
                + encode_instr(BY_NAME["else"]) + encode_instr(BY_NAME["local.get"], 0) + base_pages
                + encode_instr(BY_NAME["i32.sub"]) + encode_instr(BY_NAME["end"]))

    def _moving_grow(self, region: Region) -> bytes:
        """memory.grow of a region others follow: grow the one memory, move every later
        region up by the growth (memory.copy handles the overlap), zero the new pages,
        update the table. Fails (-1) beyond the region's own maximum, as it would have."""
        i = lambda name, *args: encode_instr(BY_NAME[name], *args)  # noqa: E731
        n, old = i("local.get", 0), i("local.get", 1)
        grown_bytes = n + i("i32.const", 16) + i("i32.shl")
        maximum = self.module.memories[region.memory].limits.max
        out = (self._pages(region) + i("i64.extend_i32_u") + n + i("i64.extend_i32_u") + i("i64.add")
               + i("i64.const", 65536 if maximum is None else maximum) + i("i64.gt_u")
               + i("if", None) + i("i32.const", -1) + i("return") + i("end")
               + self._pages(region) + i("local.set", 1)
               + n + i("memory.grow", 0) + i("i32.const", -1) + i("i32.eq")
               + i("if", None) + i("i32.const", -1) + i("return") + i("end"))
        if region.later:
            first = region.later[0]
            # dst = first base + growth, src = first base, length = old end of memory - first base
            out += (self._load_slot(first, 0) + grown_bytes + i("i32.add") + self._load_slot(first, 0)
                    + i("memory.size", 0) + n + i("i32.sub") + i("i32.const", 16) + i("i32.shl")
                    + self._load_slot(first, 0) + i("i32.sub") + i("memory.copy", 0, 0))
            for later in region.later:
                out += (i("i32.const", later.slot) + self._load_slot(later, 0) + grown_bytes + i("i32.add")
                        + i("i32.store", MemArg(2, 0, 0)))
            # The new pages held the moved data: they must read as zeros.
            out += (self._load_slot(region, 0) + old + i("i32.const", 16) + i("i32.shl") + i("i32.add")
                    + i("i32.const", 0) + grown_bytes + i("memory.fill", 0))
        return out + (i("i32.const", region.slot) + old + n + i("i32.add") + i("i32.store", MemArg(2, 4, 0))
                      + old)
