"""Limits and exits through `run_program`: fuel, wall-clock timeout, memory, call depth,
and proc_exit from deep inside calls - each a clean outcome, in both engines."""

import pytest

from wasmmerge.runtime.wasi import WasiConfig
from wasmmerge.runtime.wasi.session import TRAP_STATUS, Limits, run_program

from conftest import wat2wasm

ENGINES = ["compiled", "reference"]

LOOP = """(module
  (func (export "_start") (loop $l (br $l))))"""

RECURSE = """(module
  (func $f (export "_start") (call $f)))"""

DEEP_EXIT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $down (param $n i32)
    (if (i32.eqz (local.get $n)) (then (call $exit (i32.const 17))))
    (call $down (i32.sub (local.get $n) (i32.const 1))))
  (func (export "_start") (call $down (i32.const 500)) unreachable))"""

GROW = """(module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"""

HELLO = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


def run(text, limits, calls=None):
    return run_program([(None, wat2wasm(text))], WasiConfig(argv=["t"]), limits, calls=calls)


@pytest.mark.parametrize("engine", ENGINES)
def test_infinite_loop_out_of_fuel(engine):
    outcome = run(LOOP, Limits(fuel=100_000, engine=engine))
    assert outcome.trap == "out of fuel" and outcome.status == TRAP_STATUS


@pytest.mark.parametrize("engine", ENGINES)
def test_infinite_loop_timeout(engine):
    outcome = run(LOOP, Limits(timeout=0.3, engine=engine))
    assert outcome.trap.startswith("timeout") and outcome.status == TRAP_STATUS


@pytest.mark.parametrize("engine", ENGINES)
def test_unbounded_recursion(engine):
    outcome = run(RECURSE, Limits(max_depth=2000, engine=engine))
    assert outcome.trap == "call stack exhausted"


@pytest.mark.parametrize("engine", ENGINES)
def test_proc_exit_from_deep_inside(engine):
    outcome = run(DEEP_EXIT, Limits(engine=engine))
    assert outcome.status == 17 and outcome.trap is None


@pytest.mark.parametrize("engine", ENGINES)
def test_max_memory_makes_grow_fail(engine):
    outcome = run(GROW, Limits(max_memory_pages=4, engine=engine),
                  calls=[("grow", [2]), ("grow", [2]), ("grow", [1])])
    assert [c.values[0] for c in outcome.calls] == [1, 0xFFFF_FFFF, 3]  # 3 + 2 pages > 4; 3 + 1 fits


def test_max_memory_below_the_minimum_is_a_trap():
    outcome = run("(module (memory 8))", Limits(max_memory_pages=4), calls=[])
    assert "out of memory" in outcome.trap


def test_output_collected_and_status_zero():
    outcome = run(HELLO, Limits())
    assert outcome.stdout == b"hi\n" and outcome.status == 0


@pytest.mark.parametrize("text,pages", [("256", 256), ("64KiB", 1), ("16MiB", 256), ("1GiB", 16384)])
def test_max_memory_syntax(text, pages):
    assert Limits.pages_for(text) == pages


BAD_POINTERS = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "write_bad_iovec") (result i32)
    (call $write (i32.const 1) (i32.const 65535) (i32.const 1) (i32.const 0)))
  (func (export "write_huge_length") (result i32)
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const -1))
    (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "args_off_the_end") (result i32) (call $args (i32.const -4) (i32.const 0)))
  (func (export "seek_stdout") (result i32)
    (call $seek (i32.const 1) (i64.const 0) (i32.const 9) (i32.const 0))))"""


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_guest_pointers_are_errnos_through_the_engine(engine):
    calls = [(name, []) for name in ("write_bad_iovec", "write_huge_length", "args_off_the_end",
                                     "seek_stdout")]
    outcome = run(BAD_POINTERS, Limits(engine=engine), calls=calls)
    assert outcome.trap is None
    assert [c.values[0] for c in outcome.calls] == [21, 21, 21, 76]  # FAULT x3, NOTCAPABLE


FUEL_KERNELS = """(module
  (memory 1)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.and (local.get $i) (i32.const 1))
          (then (local.set $s (i32.add (local.get $s) (local.get $i))))
          (else (i32.store (i32.const 0) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s)))"""


def fuel_used(engine, calls):
    from wasmmerge.runtime import Store, instantiate
    from wasmmerge.runtime.api import load_module
    store = Store(engine=engine, fuel=10**9)
    instance = instantiate(store, load_module(wat2wasm(FUEL_KERNELS)), [])
    results = [instance.invoke(store, name, *args) for name, args in calls]
    return results, 10**9 - store.fuel


@pytest.mark.parametrize("calls", [[("fib", [15])], [("sum", [5000])], [("sum", [3]), ("fib", [5])]])
def test_compiled_fuel_tracks_the_reference_count(calls):
    """The compiled engine charges per region (compiled/fuel.py), the reference engine per
    instruction: the same work, within 10%, and fuel is consumed across calls."""
    compiled_results, compiled = fuel_used("compiled", calls)
    reference_results, reference = fuel_used("reference", calls)
    assert compiled_results == reference_results
    assert 0.9 * reference <= compiled <= 1.1 * reference, (compiled, reference)


def test_compiled_fuel_runs_out_in_c_code(tmp_path):
    from .helpers import build
    wasm = build("sortheap", tmp_path).read_bytes()
    outcome = run_program([(None, wasm)], WasiConfig(argv=["s"]), Limits(fuel=1_000_000))
    assert outcome.trap == "out of fuel" and outcome.status == TRAP_STATUS
    outcome = run_program([(None, wasm)], WasiConfig(argv=["s"]), Limits(fuel=10**9))
    assert outcome.trap is None and outcome.stdout.startswith(b"sorted 1:")
