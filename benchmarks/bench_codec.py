"""Codec throughput: decode (lazy and full), encode, inspect, on a generated ~10 MB module.

Run: .venv/bin/python benchmarks/bench_codec.py [MEGABYTES]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from genmodule import large_module  # noqa: E402

from wasmmerge import decode, encode  # noqa: E402
from wasmmerge.inspect_cmd import describe  # noqa: E402


def timed(label: str, size: int, fn):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<28} {best * 1000:9.1f} ms  {size / best / 1e6:8.1f} MB/s")
    return result


def main():
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    data = encode(large_module(int(megabytes * 1e6)))
    module = decode(data, lazy=True)
    print(f"codec: module of {len(data) / 1e6:.1f} MB, {len(module.codes)} functions")
    timed("decode (lazy bodies)", len(data), lambda: decode(data, lazy=True))
    timed("decode (every body checked)", len(data), lambda: decode(data))
    timed("encode", len(data), lambda: encode(module))
    timed("inspect (incl. feature scan)", len(data), lambda: describe(data))


if __name__ == "__main__":
    main()
