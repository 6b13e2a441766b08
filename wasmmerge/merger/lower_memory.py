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

Refused with a reason: `memory.grow` on a memory not placed last (growing it would have
to move every later region's data, which is not implemented), imported, exported (except
a memory whose region starts at address 0), shared or 64-bit memories, atomic accesses,
and non-constant data segment offsets.
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
            if not region.last:
                return encode_instr(BY_NAME["i32.const"], region.pages)
        elif op.name == "memory.grow":
            region = self.lowered.regions[args[0]]
            if not region.last:
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
        if op.name in ("memory.size", "memory.grow"):
            params, results = (("i32",), ("i32",)) if op.name == "memory.grow" else ((), ("i32",))
            body = self._size_or_grow(op.name, self.lowered.regions[args[0]])
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
        m.codes.append(Code([], body + b"\x0b"))
        return self.first_helper + len(self.helpers)

    def _limit(self, region: Region) -> bytes:
        """The region's size in bytes, as an i64."""
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
        return (encode_instr(BY_NAME["local.get"], index) + encode_instr(BY_NAME["i32.const"], region.base)
                + encode_instr(BY_NAME["i32.add"]))

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
