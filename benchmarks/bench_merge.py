"""Merge throughput: a generated pair of large modules calling each other.

    .venv/bin/python benchmarks/bench_merge.py [--mb 5] [--no-validate] [--profile]

Each module has thousands of functions whose bodies mix arithmetic, memory accesses,
globals, blocks, direct calls within the module and across to the other one, and
call_indirect; both import from each other, so every function and global index moves.
Prints input MB/s and peak memory (tracemalloc) against the targets: at least 4 MB/s and
a peak below 5x the input size.
"""

import argparse
import cProfile
import pstats
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wasmmerge.binary import leb  # noqa: E402
from wasmmerge.binary.model import (Code, DataSegment, ElemSegment, Export, Expr, Global,  # noqa: E402
                                    Import, Module, Table)
from wasmmerge.binary.types import (FUNC_KIND, FUNCREF, GLOBAL_KIND, I32, FuncType,  # noqa: E402
                                    GlobalType, Limits, MemType, SubType, TableType)
from wasmmerge.binary.writer import encode_module  # noqa: E402

TARGET_MB_S = 4.0
TARGET_MEMORY_FACTOR = 5.0


def _u(n):
    return leb.write_unsigned(n)


def _s(n):
    return leb.write_signed(n)


def _body(rng, own_funcs: range, imported_funcs: int, globals_: int) -> bytes:
    """About 1 KiB of instructions of type [i32] -> [i32]."""
    out = bytearray()
    for _ in range(64):
        kind = rng.randrange(6)
        if kind == 0:  # arithmetic on the parameter and memory
            out += b"\x20\x00" + b"\x41" + _s(rng.randrange(-5000, 5000)) + b"\x6a"
            out += b"\x28\x02" + _u(rng.randrange(0, 4096)) + b"\x41\x07\x6c\x21\x01"
        elif kind == 1:  # a call within the module
            out += b"\x20\x01\x10" + _u(imported_funcs + rng.choice(own_funcs)) + b"\x21\x01"
        elif kind == 2:  # a call across to the other module
            out += b"\x20\x00\x10" + _u(rng.randrange(imported_funcs)) + b"\x21\x01"
        elif kind == 3:  # globals
            g = rng.randrange(globals_)
            out += b"\x23" + _u(g) + b"\x20\x01\x6a\x21\x01"
        elif kind == 4:  # a loop with a branch and a store
            out += b"\x02\x40\x03\x40\x20\x01\x41\x01\x6b\x22\x01\x45\x0d\x01"
            out += b"\x41" + _s(rng.randrange(4096)) + b"\x20\x01\x36\x02\x00\x0c\x00\x0b\x0b"
        else:  # an indirect call and some f64 arithmetic
            out += b"\x20\x00\x41" + _s(rng.randrange(16)) + b"\x11\x00\x00\x21\x01"
            out += b"\x44" + rng.randbytes(8) + b"\x44" + rng.randbytes(8) + b"\xa0\x1a"
    out += b"\x20\x01\x0b"
    return bytes(out)


def generate(name: str, other: str, funcs: int, seed: int) -> bytes:
    """A module of `funcs` functions importing `funcs // 4` functions and a global from `other`."""
    rng = random.Random(seed)
    sig = FuncType((I32,), (I32,))
    imported = funcs // 4
    m = Module(types=[SubType(sig)])
    m.imports = [Import(other, f"f{k}", FUNC_KIND, 0) for k in range(imported)]
    m.imports.append(Import(other, "g0", GLOBAL_KIND, GlobalType(I32)))
    m.funcs = [0] * funcs
    m.tables = [Table(TableType(FUNCREF, Limits(16)))]
    m.memories = [MemType(Limits(1))]
    m.globals = [Global(GlobalType(I32, k > 0), Expr(b"\x41" + _s(k) + b"\x0b")) for k in range(8)]
    m.globals.append(Global(GlobalType(I32), Expr(b"\x23\x00\x0b")))  # reads the imported one
    m.exports = [Export(f"f{k}", FUNC_KIND, imported + k) for k in range(funcs)]
    m.exports.append(Export("g0", GLOBAL_KIND, 1))
    m.elems = [ElemSegment("active", FUNCREF, funcs=[imported + k for k in range(16)],
                           offset=Expr(b"\x41\x00\x0b"))]
    own = range(funcs)
    m.codes = [Code([(1, I32)], _body(rng, own, imported, 10)) for _ in range(funcs)]
    m.datas = [DataSegment("active", rng.randbytes(4096), offset=Expr(b"\x41\x00\x0b"))]
    return encode_module(m)


def generate_pair(megabytes: float) -> list[tuple[str, bytes]]:
    funcs = max(8, int(megabytes * 1024 * 1024 / 1000))
    return [("a", generate("a", "b", funcs, 1)), ("b", generate("b", "a", funcs, 2))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.5, help="size of each input (default 5.5)")
    parser.add_argument("--no-validate", action="store_true", help="skip output validation")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args(argv)
    from wasmmerge.merger import MergeOptions, merge

    inputs = generate_pair(args.mb)
    size = sum(len(d) for _, d in inputs)
    options = MergeOptions(export_conflicts="rename", validate=not args.no_validate)
    print(f"inputs: {', '.join(f'{n} {len(d) / 1e6:.2f} MB' for n, d in inputs)}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        merge(inputs, options)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

    # The exit status judges the merger itself; the run with validation is printed beside
    # it because validating the output (wasmmerge.validate) costs more than merging.
    ok = _measure(inputs, size, validate=False)
    if not args.no_validate:
        _measure(inputs, size, validate=True)
    return 0 if ok else 1


def _measure(inputs, size: int, validate: bool) -> bool:
    """One timed merge and one under tracemalloc; True when both targets are met."""
    from wasmmerge.merger import MergeOptions, merge

    label = "merge + validation" if validate else "merge (--no-validate)"
    phases = {}
    options = MergeOptions(export_conflicts="rename", validate=validate,
                           on_phase=lambda name, seconds: phases.__setitem__(name, seconds))
    start = time.perf_counter()
    result = merge(inputs, options)
    elapsed = time.perf_counter() - start
    throughput = size / 1e6 / elapsed
    print(f"{label}: {size / 1e6:.2f} MB -> {len(result.data) / 1e6:.2f} MB in {elapsed:.2f} s: "
          f"{throughput:.2f} MB/s (target >= {TARGET_MB_S})")
    print("  phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in phases.items()))
    del result
    tracemalloc.start()
    merge(inputs, MergeOptions(export_conflicts="rename", validate=validate))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    factor = peak / size
    print(f"  peak memory {peak / 1e6:.1f} MB = {factor:.2f}x input (target < {TARGET_MEMORY_FACTOR}x)"
          " (main process, tracemalloc)")
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if workers:
        print(f"  worker processes: largest peak RSS {workers / 1e3:.0f} MB each (pages shared with "
              "the main process included; -j 1 runs without workers)")
    ok = throughput >= TARGET_MB_S and factor < TARGET_MEMORY_FACTOR
    print("  OK" if ok else "  BELOW TARGET")
    return ok


if __name__ == "__main__":
    sys.exit(main())
