"""Generate large, valid modules for benchmarks: many functions with realistic bodies."""

import random

from wasmmerge.binary import leb
from wasmmerge.binary.model import Code, Export, Expr, Global, Module
from wasmmerge.binary.types import FUNC_KIND, I32, FuncType, GlobalType, Limits, MemType, SubType

u = leb.write_unsigned
s = leb.write_signed


def _body(rng: random.Random, nfuncs: int, index: int) -> bytes:
    """An i32 function (i32, i32) -> i32 of blocks, loops, loads, stores and calls."""
    out = bytearray()
    for _ in range(rng.randint(20, 60)):
        choice = rng.random()
        if choice < 0.35:
            out += b"\x20\x00\x20\x01" + bytes((rng.choice((0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73)),)) + b"\x21\x02"
        elif choice < 0.5:
            out += b"\x41" + s(rng.randint(-5000, 5000)) + b"\x20\x02\x6A\x21\x02"
        elif choice < 0.65:
            callee = rng.randrange(nfuncs)
            out += b"\x20\x02\x20\x00\x10" + u(callee) + b"\x21\x02"
        elif choice < 0.75:
            out += b"\x20\x00\x41\xff\xff\x03\x71\x28\x02" + u(rng.randrange(64)) + b"\x21\x02"
        elif choice < 0.85:
            out += b"\x20\x00\x41\xff\xff\x03\x71\x20\x02\x36\x02" + u(rng.randrange(64))
        elif choice < 0.93:
            out += b"\x02\x40\x20\x02\x45\x0d\x00\x20\x02\x41\x01\x6B\x21\x02\x0b"
        else:
            out += b"\x23\x00\x20\x02\x6A\x24\x00"
    out += b"\x20\x02\x0b"
    return bytes(out)


def large_module(target_bytes: int, seed: int = 1) -> Module:
    """A module of about `target_bytes`, with one memory, a global and exported functions."""
    rng = random.Random(seed)
    m = Module()
    m.types.append(SubType(FuncType((I32, I32), (I32,))))
    m.memories.append(MemType(Limits(1)))
    m.globals.append(Global(GlobalType(I32, True), Expr(b"\x41\x00\x0b")))
    nfuncs = max(1, target_bytes // 380)  # bodies average about 380 bytes
    for i in range(nfuncs):
        m.funcs.append(0)
        m.codes.append(Code([(1, I32)], _body(rng, nfuncs, i)))
        if i % 10 == 0:
            m.exports.append(Export(f"f{i}", FUNC_KIND, i))
    return m
