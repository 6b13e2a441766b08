"""Interpreter speed: our engine against pywasm on the same kernels, in the same run.

Kernels: recursive fib, a memory loop (store then load-and-sum), a call_indirect loop.
The instruction count is what our engine executes (measured with fuel; `block`, `loop`,
`nop` and `end` cost nothing there and are not counted), so instructions per second
compare the two engines on the same work. Target: at least 10x pywasm.

    python benchmarks/bench_interp.py [--quick]
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
(module
  (memory 1)
  (type $unary (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $increment)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "memory") (param $n i32) (result i32) (local $i i32) (local $sum i32)
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
  (func (export "indirect") (param $n i32) (result i32) (local $acc i32)
    (loop $next
      (local.set $acc (call_indirect (type $unary) (local.get $acc)
                                     (i32.and (local.get $n) (i32.const 1))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next (local.get $n)))
    (local.get $acc)))
"""

RUNS = [("fib", 22), ("memory", 8000), ("indirect", 15000)]
QUICK_RUNS = [("fib", 15), ("memory", 1000), ("indirect", 2000)]
TARGET = 10.0


def assemble() -> bytes:
    exe = shutil.which("wat2wasm")
    if exe is None:
        sys.exit("wat2wasm not found: `make bench` installs wabt")
    proc = subprocess.run([exe, "-", "--output=-"], input=KERNELS.encode(), capture_output=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr.decode())
    return proc.stdout


def ours(data: bytes, name: str, arg: int) -> tuple[int, float, int]:
    """(result, seconds, instructions executed)."""
    module = wasmmerge.decode(data)
    budget = 1 << 60
    store = Store(fuel=budget)
    inst = instantiate(store, module, [])
    inst.invoke(store, name, 1)  # prepare the code outside the timing, as pywasm parses it
    budget = store.fuel
    start = time.perf_counter()
    result = inst.invoke(store, name, arg)[0]
    seconds = time.perf_counter() - start
    return result, seconds, budget - store.fuel


def theirs(path: str, name: str, arg: int) -> tuple[int, float]:
    import pywasm
    runtime = pywasm.core.Runtime()
    inst = runtime.instance_from_file(path)
    start = time.perf_counter()
    result = runtime.invocate(inst, name, [arg])[0]
    return result, time.perf_counter() - start


def main():
    runs = QUICK_RUNS if "--quick" in sys.argv else RUNS
    data = assemble()
    with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        print(f"{'kernel':<16}{'instructions':>14}{'ours ips':>14}{'pywasm ips':>14}{'speedup':>10}")
        speedups = []
        for name, arg in runs:
            result, seconds, count = ours(data, name, arg)
            expected, their_seconds = theirs(path, name, arg)
            if result & 0xFFFF_FFFF != expected & 0xFFFF_FFFF:
                sys.exit(f"{name}({arg}): we computed {result}, pywasm {expected}")
            speedup = their_seconds / seconds
            speedups.append(speedup)
            print(f"{name + '(' + str(arg) + ')':<16}{count:>14,}{count / seconds:>14,.0f}"
                  f"{count / their_seconds:>14,.0f}{speedup:>9.1f}x")
        low = min(speedups)
        verdict = "meets" if low >= TARGET else "BELOW"
        print(f"slowest speedup {low:.1f}x: {verdict} the {TARGET:.0f}x target")
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
