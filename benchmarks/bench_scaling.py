"""Scaling: cost per MB and per input, pathological but valid modules, fixed cost, memory.

    .venv/bin/python benchmarks/bench_scaling.py [--max-mb 32] [--max-inputs 3000]
                                                  [--validate] [--skip-realworld]
                                                  [--only fixed ...] [--fixed-runs 20]

Prints, each measured in CPU time of this process (the machine is shared: wall time
says more about the neighbours than about us):

* merge time per MB of a generated pair (bench_merge's) from 1 MB to `--max-mb`; the
  target is a flat curve (the dearest point within 25% of the cheapest);
* merge time per input for 10 to `--max-inputs` small inputs, each importing from the one
  before it and some with a start function;
* the pathological cases of issue 13: 10^6 function types decoded and validated, 300,000
  empty functions validated, a function of 50,000 declared locals translated by the
  compiled engine, and both engines on 10^6 and 2^32-1 locals (a clean error expected);
* a tiny two-module merge's whole-process time beside `python -c pass` and
  `python -c "import click"` (target: within 2x of the latter), and `wasmmerge --version`'s;
  each the least CPU time of N rounds, the commands interleaved within a round so that a
  neighbour's load falls on all of them alike;
* peak memory of the real-world merge (swc + esbuild from npm, see realworld.py): the
  main process's RSS plus its workers' private memory, polled from /proc (target: 3x
  the input).
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_merge import generate_pair  # noqa: E402

from wasmmerge.binary import leb  # noqa: E402
from wasmmerge.binary.model import Code, Export, Import, Module  # noqa: E402
from wasmmerge.binary.reader import decode_module  # noqa: E402
from wasmmerge.binary.types import FUNC_KIND, FuncType, SubType  # noqa: E402
from wasmmerge.binary.writer import encode_module  # noqa: E402
from wasmmerge.merger import MergeOptions, merge  # noqa: E402
from wasmmerge.validator import validate_module  # noqa: E402

FLAT = 1.25  # the largest allowed ratio of the dearest point's cost per unit to the cheapest's
HEAD = b"\0asm\1\0\0\0"
u32 = leb.write_unsigned


def cpu(fn, *args):
    """(CPU seconds of this process, result)."""
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def section(sid: int, body: bytes) -> bytes:
    return bytes((sid,)) + u32(len(body)) + body


# -- generated inputs ---------------------------------------------------------------------

def many_types(n: int) -> bytes:
    return HEAD + section(1, u32(n) + b"\x60\x00\x00" * n)


def many_functions(n: int) -> bytes:
    return (HEAD + section(1, b"\x01\x60\x00\x00") + section(3, u32(n) + b"\x00" * n)
            + section(10, u32(n) + b"\x02\x00\x0b" * n))


def many_locals(n: int, body: bytes = b"\x0b") -> bytes:
    """One exported function `f` declaring `n` i32 locals (35-37 bytes for an empty body)."""
    entry = b"\x01" + u32(n) + b"\x7f" + body
    return (HEAD + section(1, b"\x01\x60\x00\x00") + section(3, b"\x01\x00")
            + section(7, b"\x01\x01f\x00\x00") + section(10, b"\x01" + u32(len(entry)) + entry))


def chain_of_inputs(count: int) -> list[tuple[str, bytes]]:
    """`count` small modules, each importing `f` from the one before; every 10th has a start."""
    inputs = []
    for k in range(count):
        m = Module(types=[SubType(FuncType())])
        if k:
            m.imports = [Import(f"m{k - 1}", "f", FUNC_KIND, 0)]
        base = len(m.imports)
        call_import = b"\x10\x00" if k else b""
        m.funcs = [0, 0]
        m.codes = [Code([], call_import + b"\x0b"), Code([], b"\x10" + u32(base) + b"\x0b")]
        m.exports = [Export("f", FUNC_KIND, base), Export("g", FUNC_KIND, base + 1)]
        if k % 10 == 0:
            m.start = base
        inputs.append((f"m{k}", encode_module(m)))
    return inputs


# -- the measurements ---------------------------------------------------------------------------

def size_curve(max_mb: int, validate: bool):
    print(f"merge time per MB (generated pair, validate={validate}, one process):")
    merge(generate_pair(0.1), MergeOptions(export_conflicts="rename", validate=validate))  # warm up
    first, mb, costs = None, 1, []
    while mb <= max_mb:
        inputs = generate_pair(mb / 2)
        size = sum(len(d) for _, d in inputs) / 1e6
        seconds, _ = cpu(merge, inputs, MergeOptions(export_conflicts="rename", validate=validate, jobs=1))
        per_mb = seconds / size
        first = first or per_mb
        costs.append(per_mb)
        print(f"  {size:6.2f} MB: {seconds:7.2f} s CPU, {per_mb * 1000:7.1f} ms/MB ({per_mb / first:.2f}x)")
        mb *= 2
    _print_flatness(costs)


def _print_flatness(costs: list[float]):
    spread = max(costs) / min(costs)
    print(f"  dearest point {(spread - 1) * 100:.0f}% above the cheapest (target {(FLAT - 1) * 100:.0f}%): "
          f"{'OK' if spread <= FLAT else 'NOT FLAT'}")


def input_curve(max_inputs: int):
    print("merge time per input (a chain of small modules, validated):")
    merge(chain_of_inputs(10), MergeOptions(export_conflicts="rename"))  # warm up: first-use tables
    first, costs = None, []
    for count in (10, 30, 100, 300, 1000, 3000):
        if count > max_inputs:
            break
        inputs = chain_of_inputs(count)
        seconds, _ = cpu(merge, inputs, MergeOptions(export_conflicts="rename", jobs=1))
        per_input = seconds / count
        first = first or per_input
        costs.append(per_input)
        print(f"  {count:5d} inputs: {seconds:7.3f} s CPU, {per_input * 1e3:6.2f} ms/input "
              f"({per_input / first:.2f}x)")
    _print_flatness(costs)


def pathological():
    print("pathological but valid modules:")
    data = many_types(10 ** 6)
    decode_s, module = cpu(decode_module, data)
    validate_s, _ = cpu(validate_module, module)
    print(f"  10^6 function types ({len(data) / 1e6:.1f} MB): decode {decode_s:.2f} s, "
          f"validate {validate_s:.2f} s, total {decode_s + validate_s:.2f} s (target < 3 s)")
    data = many_functions(300_000)
    decode_s, module = cpu(decode_module, data)
    validate_s, _ = cpu(validate_module, module)
    print(f"  300,000 empty functions ({len(data) / 1e6:.1f} MB): decode {decode_s:.2f} s, "
          f"validate {validate_s:.2f} s, total {decode_s + validate_s:.2f} s (target < 2 s)")
    _locals_cases()


def _locals_cases():
    from wasmmerge.runtime.compiled.translate import translate
    from wasmmerge.runtime.prepare import MAX_FUNCTION_LOCALS

    # The largest function either engine runs, using one of its locals: translation costs
    # the body, not the declarations.
    for declared in (10, MAX_FUNCTION_LOCALS):
        module = decode_module(many_locals(declared, b"\x41\x01\x21\x00\x0b"))
        seconds, source = cpu(translate, module, 0)
        print(f"  compiled engine, {declared} locals declared, one used: translated in "
              f"{seconds * 1000:.1f} ms ({len(source)} characters of Python)")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (10 ** 6, 2 ** 32 - 1):
            path = Path(tmp) / "locals.wasm"
            path.write_bytes(many_locals(count))
            for engine in ("reference", "compiled"):
                start = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "wasmmerge", "run", str(path), "--invoke", "f",
                                       "--engine", engine], capture_output=True, text=True, env=_env())
                elapsed = time.perf_counter() - start
                said = (proc.stderr.strip().splitlines() or ["(nothing)"])[-1]
                print(f"  {engine} engine, {count} locals ({path.stat().st_size} bytes): exit {proc.returncode} "
                      f"in {elapsed:.2f} s: {said}")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _child_cpu(args, env) -> float:
    """The CPU time (user + system) of one run of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # microseconds, not clock ticks
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def least_cpu(commands: dict[str, list[str]], runs: int, env) -> dict[str, float]:
    """The least CPU time of each command over `runs` rounds (after one to warm up), each
    round running every command once, in turn."""
    best = {label: None for label in commands}
    for round_number in range(runs + 1):
        for label, args in commands.items():
            used = _child_cpu(args, env)
            if round_number and (best[label] is None or used < best[label]):
                best[label] = used
    return best


def fixed_cost(runs: int = 20):
    print(f"fixed cost (least CPU time of {runs} interleaved runs each, whole process, bytecode cached):")
    with tempfile.TemporaryDirectory() as tmp:
        # As installed: compiled modules cached (click's are, in site-packages). A session
        # with PYTHONDONTWRITEBYTECODE would compile every module of ours on every run.
        env = _env()
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        tiny = chain_of_inputs(2)  # m1 imports `f` from m0
        paths = []
        for name, data in tiny:
            path = Path(tmp) / f"{name}.wasm"
            path.write_bytes(data)
            paths.append(str(path))
        best = least_cpu({
            "pass": [sys.executable, "-c", "pass"],
            "click": [sys.executable, "-c", "import click"],
            "version": [sys.executable, "-m", "wasmmerge", "--version"],
            "merge": [sys.executable, "-m", "wasmmerge", *paths, "--rename-export-conflicts",
                      "-o", str(Path(tmp) / "out.wasm")],
        }, runs, env)
    click = best["click"]
    print(f"  python -c pass:            {best['pass'] * 1000:6.1f} ms")
    print(f"  python -c 'import click':  {click * 1000:6.1f} ms")
    print(f"  wasmmerge --version:       {best['version'] * 1000:6.1f} ms = {best['version'] / click:.2f}x import click")
    print(f"  wasmmerge a b -o out:      {best['merge'] * 1000:6.1f} ms = {best['merge'] / click:.2f}x import click "
          f"(target <= 2x): {'OK' if best['merge'] <= 2 * click else 'OVER'}")


def _kib(path: str, keys) -> int:
    total = 0
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in keys:
                    total += int(rest.split()[0])
    except OSError:
        pass  # the process ended between listing and reading
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def peak_memory(args) -> tuple[int, float, int]:
    """(peak bytes: main RSS + workers' private memory, seconds, exit status) of a command."""
    proc = subprocess.Popen(args, env=_env())
    peak, start = 0, time.perf_counter()
    while proc.poll() is None:
        main = _kib(f"/proc/{proc.pid}/status", {"VmRSS"})
        workers = sum(_kib(f"/proc/{c}/smaps_rollup", {"Private_Clean", "Private_Dirty"})
                      for c in _children(proc.pid))
        peak = max(peak, main + workers)
        time.sleep(0.02)
    return peak * 1024, time.perf_counter() - start, proc.returncode


def realworld_memory():
    print("real-world merge, peak memory (main RSS + workers' private memory, polled):")
    try:
        from realworld import RealWorldUnavailable, realworld_modules
    except ImportError:
        RealWorldUnavailable, realworld_modules = Exception, None
    try:
        if realworld_modules is not None:
            paths = realworld_modules()
        else:  # realworld.py not in this checkout yet: use its cache if it is there
            cache = Path(os.environ.get("WASMMERGE_BENCH_CACHE", Path.home() / ".cache" / "wasmmerge-bench")) / "npm"
            paths = {name: cache / f"{name}.wasm" for name in ("swc", "esbuild")}
            if not all(p.exists() for p in paths.values()):
                raise RealWorldUnavailable(f"no swc.wasm / esbuild.wasm in {cache}: run benchmarks/realworld.py")
    except RealWorldUnavailable as why:
        print(f"  skipped: {why}")
        return
    inputs = [str(paths["swc"]), str(paths["esbuild"])]
    size = sum(os.path.getsize(p) for p in inputs)
    with tempfile.TemporaryDirectory() as tmp:
        for extra in ([], ["--no-validate"]):
            peak, seconds, status = peak_memory([sys.executable, "-m", "wasmmerge", *inputs, *extra,
                                                 "-o", str(Path(tmp) / "out.wasm")])
            label = " ".join(extra) or "default (validating)"
            print(f"  swc + esbuild ({size / 1e6:.1f} MB), {label}: peak {peak / 1e6:.0f} MB = "
                  f"{peak / size:.2f}x input (target <= 3x), {seconds:.1f} s wall, exit {status}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-mb", type=int, default=32)
    parser.add_argument("--max-inputs", type=int, default=3000)
    parser.add_argument("--validate", action="store_true", help="validate in the size curve too")
    parser.add_argument("--skip-realworld", action="store_true")
    parser.add_argument("--only", nargs="+", choices=PARTS, metavar="PART",
                        help=f"run only these parts ({', '.join(PARTS)})")
    parser.add_argument("--fixed-runs", type=int, default=20, help="rounds of the fixed-cost part")
    args = parser.parse_args(argv)
    parts = args.only or [p for p in PARTS if not (p == "memory" and args.skip_realworld)]
    if "size" in parts:
        size_curve(args.max_mb, args.validate)
    if "inputs" in parts:
        input_curve(args.max_inputs)
    if "pathological" in parts:
        pathological()
    if "fixed" in parts:
        fixed_cost(args.fixed_runs)
    if "memory" in parts:
        realworld_memory()
    return 0


PARTS = ("size", "inputs", "pathological", "fixed", "memory")


if __name__ == "__main__":
    sys.exit(main())
