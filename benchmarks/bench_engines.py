"""Engine speed: compiled vs reference, and pywasm and wabt's wasm-interp when installed.

Kernels: recursive fib, a memory loop, a call_indirect loop, a float loop. Instructions
per second use one count for every engine: what the reference engine executes (its
fuel counter, which counts every wasm instruction but `block`, `loop`, `nop`, `end`).

* ours: the first call (a small argument) translates or prepares the code, untimed;
  compiled: best of three calls.
* pywasm: a smaller argument (it is slow); its count is taken for that argument.
* wasm-interp (1.0.32 has no --run-export/--argument): one module per kernel whose only
  export calls the kernel; its time is the process's wall time minus that of a run with
  the argument 0 (start-up and parsing).

Targets: the reference engine >= 10x pywasm (issue 5); compiled >= 100x pywasm and
>= wasm-interp on every kernel (issue 6).

    python benchmarks/bench_engines.py [--quick]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import wasmmerge
from wasmmerge.runtime import Store, instantiate

KERNELS = """
  (memory 4)
  (type $unary (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $increment)
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $memory (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (loop $fill
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $add
      (local.set $sum (i32.add (local.get $sum)
                               (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $add (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
  (func $double (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func $increment (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $indirect (param $n i32) (result i32) (local $acc i32)
    (loop $next
      (local.set $acc (call_indirect (type $unary) (local.get $acc)
                                     (i32.and (local.get $n) (i32.const 1))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next (local.get $n)))
    (local.get $acc))
  (func $float (param $n i32) (result i32) (local $i i32) (local $x f64) (local $sum f64)
    (loop $next
      (local.set $x (f64.div (f64.convert_i32_u (local.get $i)) (f64.const 1000)))
      (local.set $sum (f64.add (local.get $sum)
                               (f64.mul (local.get $x) (f64.sqrt (local.get $x)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (i32.trunc_f64_u (local.get $sum)))
"""

# (kernel, argument for our engines and wasm-interp, argument for pywasm)
RUNS = [("fib", 27, 18), ("memory", 65000, 3000), ("indirect", 200000, 4000),
        ("float", 200000, 3000)]
QUICK_RUNS = [("fib", 18, 12), ("memory", 2000, 500), ("indirect", 3000, 500),
              ("float", 2000, 500)]
POSITIVE_ARG = {"indirect"}  # the indirect loop counts down: 0 would wrap around


def assemble(exports: str) -> bytes:
    exe = shutil.which("wat2wasm")
    if exe is None:
        sys.exit("wat2wasm not found: `make bench` installs wabt")
    text = f"(module {KERNELS} {exports})"
    proc = subprocess.run([exe, "-", "--output=-"], input=text.encode(), capture_output=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr.decode())
    return proc.stdout


def kernels_module() -> bytes:
    return assemble(" ".join(f'(export "{name}" (func ${name}))' for name, _, _ in RUNS))


def count(data: bytes, name: str, arg: int) -> tuple[int, float, int]:
    """(result, seconds, instructions) on the reference engine, counted with fuel."""
    budget = 1 << 60
    store = Store(fuel=budget)
    inst = instantiate(store, wasmmerge.decode(data), [])
    inst.invoke(store, name, 1)
    budget = store.fuel
    start = time.perf_counter()
    result = inst.invoke(store, name, arg)[0]
    return result, time.perf_counter() - start, budget - store.fuel


def compiled(data: bytes, name: str, arg: int) -> tuple[int, float]:
    store = Store(engine="compiled")
    inst = instantiate(store, wasmmerge.decode(data), [])
    inst.invoke(store, name, 1)  # translate outside the timing
    best = None
    for _ in range(3):  # best of three, as for wasm-interp
        start = time.perf_counter()
        result = inst.invoke(store, name, arg)[0]
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    return result, best


def pywasm_run(path: str, name: str, arg: int):
    try:
        import pywasm
    except ImportError:
        return None
    runtime = pywasm.core.Runtime()
    inst = runtime.instance_from_file(path)
    start = time.perf_counter()
    result = runtime.invocate(inst, name, [arg])[0]
    return result, time.perf_counter() - start


def wasm_interp_run(name: str, arg: int, tmp: str):
    exe = shutil.which("wasm-interp")
    if exe is None:
        return None

    def timed(value: int) -> tuple[str, float]:
        path = os.path.join(tmp, f"{name}-{value}.wasm")
        with open(path, "wb") as f:
            f.write(assemble(f'(func (export "main") (result i32) (call ${name} (i32.const {value})))'))
        best = None
        for _ in range(3):
            start = time.perf_counter()
            proc = subprocess.run([exe, path, "--run-all-exports"], capture_output=True, text=True)
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        return proc.stdout.strip(), best

    output, seconds = timed(arg)
    _, baseline = timed(1 if name in POSITIVE_ARG else 0)
    # "main() => i32:6765"
    return int(output.rsplit(":", 1)[1]), max(seconds - baseline, 1e-6)


def main():
    runs = QUICK_RUNS if "--quick" in sys.argv else RUNS
    data = kernels_module()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kernels.wasm")
        with open(path, "wb") as f:
            f.write(data)
        header = ["kernel", "instructions", "compiled", "reference", "pywasm", "wasm-interp",
                  "ref/pywasm", "vs pywasm", "vs interp"]
        print(f"{header[0]:<16}" + "".join(f"{h:>14}" for h in header[1:]))
        verdicts = []
        for name, arg, small in runs:
            result, ref_seconds, instructions = count(data, name, arg)
            got, seconds = compiled(data, name, arg)
            if got != result:
                sys.exit(f"{name}({arg}): compiled {got}, reference {result}")
            ips = instructions / seconds
            row = [f"{instructions:,}", f"{ips:,.0f}", f"{instructions / ref_seconds:,.0f}"]  # ref: with fuel on
            theirs = pywasm_run(path, name, small)
            py_ips = None
            if theirs is not None:
                expected, _, small_count = count(data, name, small)
                if theirs[0] & 0xFFFF_FFFF != expected:
                    sys.exit(f"{name}({small}): pywasm {theirs[0]}, reference {expected}")
                py_ips = small_count / theirs[1]
            row.append(f"{py_ips:,.0f}" if py_ips else "-")
            interp = wasm_interp_run(name, arg, tmp)
            interp_ips = None
            if interp is not None:
                if interp[0] & 0xFFFF_FFFF != result:
                    sys.exit(f"{name}({arg}): wasm-interp {interp[0]}, reference {result}")
                interp_ips = instructions / interp[1]
            row.append(f"{interp_ips:,.0f}" if interp_ips else "-")
            ref_ips = instructions / ref_seconds
            row.append(f"{ref_ips / py_ips:.1f}x" if py_ips else "-")
            row.append(f"{ips / py_ips:.0f}x" if py_ips else "-")
            row.append(f"{ips / interp_ips:.2f}x" if interp_ips else "-")
            verdicts.append((name, py_ips and ref_ips / py_ips, py_ips and ips / py_ips,
                             interp_ips and ips / interp_ips))
            print(f"{name + '(' + str(arg) + ')':<16}" + "".join(f"{c:>14}" for c in row))
        for name, ref_vs_py, vs_py, vs_interp in verdicts:
            notes = []
            if ref_vs_py is not None:
                notes.append(f"reference {'meets' if ref_vs_py >= 10 else 'BELOW'} 10x pywasm")
            if vs_py is not None:
                notes.append(f"{'meets' if vs_py >= 100 else 'BELOW'} 100x pywasm")
            if vs_interp is not None:
                notes.append(f"{'meets' if vs_interp >= 1 else 'BELOW'} wasm-interp")
            print(f"{name}: " + ", ".join(notes or ["no other engine installed"]))


if __name__ == "__main__":
    main()
