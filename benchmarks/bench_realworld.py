"""Real-world throughput: swc + esbuild (npm's wasm builds) merged, and each validated.

    .venv/bin/python benchmarks/bench_realworld.py [--jobs N] [--runs 1] [--skip-native]

Inputs come from `realworld.py` (fetched once from npm into ~/.cache/wasmmerge-bench).
Prints, for the pair merged with the default options (`wasmmerge swc.wasm esbuild.wasm
-o out.wasm`): input MB/s with output validation (target >= 4.4, the top of native
wasm-merge's range on the 2-core development machine) and with `--no-validate` (target
>= 12); `wasmmerge validate` seconds for each module; and Binaryen's `wasm-merge` on the
same pair as the anchor, with its validation on and off: a native one when it is on PATH,
else the one npm's `binaryen` package ships (fetched by `realworld.py`; Binaryen compiled
to WebAssembly and run by node on one thread, so slower than a native build).

Each measurement is one whole `python -m wasmmerge` process, as a user runs it: wall
seconds, and CPU seconds (user + system of the process and its worker processes), which
stay meaningful when other work shares the machine. MB/s is input MB per wall second and
per CPU second.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realworld import TOOLS, RealWorldUnavailable, npm_tool, realworld_modules  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TARGET_VALIDATED_MB_S = 4.4
TARGET_UNVALIDATED_MB_S = 12.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run `command`; its wall and CPU seconds (children included) and its result."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, _children_cpu() - cpu_before, result


def best(runs: int, command: list[str]):
    """The run with the least CPU time of `runs` (the machine may be shared)."""
    results = [timed(command) for _ in range(runs)]
    return min(results, key=lambda r: r[1])


def wasmmerge_command(*args) -> list[str]:
    return [sys.executable, "-m", "wasmmerge", *args]


def report_merge(label, size, wall, cpu, result, target=None) -> None:
    if result.returncode != 0:
        print(f"  {label:28} FAILED: {(result.stdout + result.stderr).strip()[-300:]}")
        return
    line = (f"  {label:28} {wall:6.2f} s wall {size / wall:6.2f} MB/s   "
            f"{cpu:6.2f} s CPU {size / cpu:6.2f} MB/s")
    if target is not None:
        line += f"   (target >= {target}: {'OK' if size / wall >= target else 'below'})"
    print(line)


def wasm_merge_command() -> tuple[list[str] | None, str]:
    """How to run Binaryen's wasm-merge, and what it is; None and why not when unavailable."""
    native = shutil.which("wasm-merge")
    if native is not None:
        return [native], f"native, {native}"
    try:
        script = npm_tool("wasm-merge")
    except RealWorldUnavailable as err:
        return None, (f"not installed, and npm's binaryen could not be fetched ({err}); Debian's binaryen 108"
                      " ships no wasm-merge, Binaryen >= 112 from github.com/WebAssembly/binaryen/releases has it")
    return [shutil.which("node") or "node", str(script)], (f"npm {TOOLS['wasm-merge'][0]}: compiled to"
                                                              " WebAssembly, run by node on one thread")


def report_anchor(args, size, swc, esbuild, out) -> None:
    print("anchor: Binaryen wasm-merge swc.wasm swc esbuild.wasm esbuild -o out.wasm --all-features:")
    if args.skip_native:
        print("  skipped (--skip-native)")
        return
    command, what = wasm_merge_command()
    print(f"  ({what})")
    if command is None:
        return
    merge = [*command, str(swc), "swc", str(esbuild), "esbuild", "-o", out, "--all-features"]
    report_merge("with validation", size, *best(args.runs, merge))
    report_merge("--no-validation", size, *best(args.runs, [*merge, "--no-validation"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="wasmmerge -j (default: its own choice)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each measurement; the least CPU is kept")
    parser.add_argument("--skip-native", action="store_true", help="do not run Binaryen's wasm-merge")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(REPO))
    try:
        modules = realworld_modules(("swc", "esbuild"))
    except RealWorldUnavailable as err:
        print(f"real-world benchmark skipped: {err}")
        return 0
    swc, esbuild = modules["swc"], modules["esbuild"]
    size = (swc.stat().st_size + esbuild.stat().st_size) / 1e6
    jobs = [] if args.jobs is None else ["-j", str(args.jobs)]
    print(f"inputs: swc {swc.stat().st_size / 1e6:.1f} MB + esbuild {esbuild.stat().st_size / 1e6:.1f} MB"
          f" = {size:.1f} MB  ({swc.parent})")
    print_load("before")
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "merged.wasm")
        print("merge (wasmmerge swc.wasm esbuild.wasm -o out.wasm):")
        report_merge("with validation", size,
                     *best(args.runs, wasmmerge_command(str(swc), str(esbuild), "-o", out, *jobs)),
                     TARGET_VALIDATED_MB_S)
        report_merge("--no-validate", size,
                     *best(args.runs, wasmmerge_command(str(swc), str(esbuild), "-o", out, "--no-validate", *jobs)),
                     TARGET_UNVALIDATED_MB_S)
        print("wasmmerge validate FILE:")
        for name, path in modules.items():
            report_merge(name, path.stat().st_size / 1e6,
                         *best(args.runs, wasmmerge_command("validate", str(path))))
        report_anchor(args, size, swc, esbuild, out)
        wabt = shutil.which("wasm-validate")
        if wabt is not None:
            print("anchor: wabt wasm-validate FILE (native):")
            for name, path in modules.items():
                report_merge(name, path.stat().st_size / 1e6, *best(args.runs, [wabt, "--enable-all", str(path)]))
    print_load("after")
    return 0


def print_load(when: str) -> None:
    """The machine's load, which says whether the wall times mean anything: on a shared
    machine they stretch while CPU seconds barely move."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    note = "  (busy: compare CPU seconds, not wall)" if load > cores / 2 else ""
    print(f"load average {when}: {load:.2f} on {cores} cores{note}")


if __name__ == "__main__":
    sys.exit(main())
