"""A CPU-bound C program (fixtures/wasi/bench.c: hashing, qsort, a matrix product) in
`wasmmerge run` against wabt's `wasm-interp`, whole process each time.

Debian's wasm-interp is built without WASI (`--wasi` answers "wasi support not compiled
in"), so the comparison uses the same C code built as a reactor without WASI imports
(`-DBENCH_EXPORT=SCALE`, export `bench_run`), run with `wasm-interp --run-all-exports`
and with `wasmmerge run --invoke bench_run`. The WASI command build (`wasmmerge run
bench.wasm -- SCALE`) is timed too, and both builds must agree on their checksums.
Wall time and CPU time (user + system of the child) are printed: on a shared machine
the CPU time is the steadier number. Target (issue 14): no worse than wasm-interp.

    python benchmarks/bench_wasi.py [--scale N] [--repeat N] [--with-reference]
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "fixtures" / "wasi" / "bench.c"


def build(out: Path, *flags: str):
    subprocess.run(["clang", "--target=wasm32-wasi", "-O2", *flags, str(SOURCE), "-o", str(out)],
                   check=True)


def timed(argv: list) -> tuple:
    """(wall seconds, CPU seconds, stdout) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def best(argv: list, repeat: int) -> tuple:
    runs = [timed(argv) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--with-reference", action="store_true",
                        help="also time the reference engine (about 13x slower: minutes)")
    args = parser.parse_args()
    for tool in ("clang", "wasm-interp"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: `make bench` installs clang, wasi-libc and wabt")
    wasmmerge = [sys.executable, "-m", "wasmmerge", "run"]
    with tempfile.TemporaryDirectory() as tmp:
        command = Path(tmp) / "bench.wasm"
        reactor = Path(tmp) / "bench_export.wasm"
        build(command)
        build(reactor, f"-DBENCH_EXPORT={args.scale}", "-mexec-model=reactor")
        rows = [
            ("wasm-interp --run-all-exports", ["wasm-interp", str(reactor), "--run-all-exports"]),
            ("wasmmerge run --invoke bench_run", [*wasmmerge, str(reactor), "--invoke", "bench_run"]),
            ("wasmmerge run (WASI command)", [*wasmmerge, str(command), "--", str(args.scale)]),
            # The wall-clock limit is a timer signal: it should cost nothing while it waits.
            ("wasmmerge run --timeout 600 (WASI)", [*wasmmerge, str(command), "--timeout", "600",
                                                   "--", str(args.scale)]),
            # Fuel on the compiled engine: its fuel-charging translations (compiled/fuel.py).
            ("wasmmerge run --fuel 10^12 (WASI)", [*wasmmerge, str(command), "--fuel", str(10**12),
                                                  "--", str(args.scale)]),
        ]
        if args.with_reference:
            rows.append(("wasmmerge run --engine reference", [*wasmmerge, "--engine", "reference",
                                                              str(reactor), "--invoke", "bench_run"]))
        results = {name: best(argv, args.repeat) for name, argv in rows}
    interp_wall, interp_cpu, interp_out = results["wasm-interp --run-all-exports"]
    ours_out = results["wasmmerge run --invoke bench_run"][2]
    expected = int(interp_out.split("i32:")[-1]) & 0xFFFF_FFFF
    if int(ours_out.strip()) & 0xFFFF_FFFF != expected:
        sys.exit(f"checksums differ: wasm-interp {expected}, wasmmerge {ours_out.strip()}")
    print(f"bench.c at scale {args.scale}, best of {args.repeat} (machine: {os.cpu_count()} cores)")
    print(f"{'':36}{'wall s':>9}{'cpu s':>9}{'cpu ratio':>11}")
    for name, (wall, cpu, _) in results.items():
        print(f"{name:36}{wall:9.2f}{cpu:9.2f}{cpu / interp_cpu:10.2f}x")
    print(f"command output: {results['wasmmerge run (WASI command)'][2].strip().splitlines()}")


if __name__ == "__main__":
    main()
