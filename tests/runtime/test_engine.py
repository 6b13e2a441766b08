"""The engine on hand-written modules: control flow, calls, traps, limits, fuel."""

import pytest

from conftest import wat2wasm
from wasmmerge import decode
from wasmmerge.errors import Exhaustion, Trap
from wasmmerge.runtime import Linker, Store, instantiate, invoke
from wasmmerge.runtime.engine import WasmException
from wasmmerge.runtime.prepare import JUMP, JUMP_IF, prepare
from wasmmerge.runtime.values import f64_bits

FIB = """
(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
"""

LOOPS = """
(module
  (memory 1)
  (func (export "sum") (param $n i32) (result i64) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "multi") (param i32) (result i32 i32)
    (block (result i32 i32) (local.get 0) (i32.const 7)))
  (func (export "switch") (param i32) (result i32)
    (block $c (result i32)
      (drop (block $b (result i32)
        (drop (block $a (result i32)
          (i32.const 100)
          (br_table $a $b $c (local.get 0))))
        (return (i32.const 10))))
      (i32.const 20)))
  (func (export "store-load") (param i32 i32) (result i32)
    (i32.store16 (local.get 0) (local.get 1))
    (i32.load16_s (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "fsum") (param f64 f64) (result f64) (f64.add (local.get 0) (local.get 1)))
  (func (export "unreachable") (unreachable)))
"""

TAIL = """
(module
  (type $t (func (param i64 i64) (result i64)))
  (table funcref (elem $count))
  (func $count (export "count") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1))
                                (i64.add (local.get 1) (i64.const 1))))))
  (func (export "count-indirect") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1))
                                  (i64.add (local.get 1) (i64.const 1)) (i32.const 0)))))
  (func $rec (export "rec") (param i32) (result i32)
    (i32.add (i32.const 1) (call $rec (local.get 0)))))
"""

INDIRECT = """
(module
  (type $i (func (result i32)))
  (type $f (func (result f32)))
  (table 3 funcref)
  (elem (i32.const 0) $one $float)
  (func $one (result i32) (i32.const 1))
  (func $float (result f32) (f32.const 1))
  (func (export "call") (param i32) (result i32) (call_indirect (type $i) (local.get 0))))
"""


def make(text, store=None, imports=()):
    store = store or Store()
    return store, instantiate(store, decode(wat2wasm(text)), list(imports))


def test_recursive_calls():
    store, inst = make(FIB)
    assert inst.invoke(store, "fib", 20) == [6765]


def test_loops_blocks_and_branch_tables():
    store, inst = make(LOOPS)
    assert inst.invoke(store, "sum", 1000) == [500500]
    assert inst.invoke(store, "multi", 5) == [5, 7]
    assert [inst.invoke(store, "switch", i)[0] for i in range(4)] == [10, 20, 100, 100]


def test_memory_and_numbers_use_bit_patterns():
    store, inst = make(LOOPS)
    assert inst.invoke(store, "store-load", 8, 0xFFFF) == [0xFFFF_FFFF]  # -1 as i32 bits
    assert inst.invoke(store, "grow", 2) == [1]
    assert inst.invoke(store, "grow", 70000) == [0xFFFF_FFFF]
    assert inst.invoke(store, "fsum", f64_bits(0.5), f64_bits(0.25)) == [f64_bits(0.75)]


def test_branches_that_discard_nothing_are_plain_jumps():
    store, inst = make(LOOPS)
    code = prepare(inst.exports["sum"]).code
    kinds = [ins[0] for ins in code]
    assert JUMP in kinds and JUMP_IF in kinds
    assert all(ins[0] not in ("block", "loop") for ins in code)


@pytest.mark.parametrize("export, args, message", [
    ("div", (1, 0), "integer divide by zero"),
    ("div", (0x8000_0000, 0xFFFF_FFFF), "integer overflow"),
    ("store-load", (65535, 1), "out of bounds memory access"),
    ("unreachable", (), "unreachable"),
])
def test_traps_carry_the_spec_message(export, args, message):
    store, inst = make(LOOPS)
    with pytest.raises(Trap) as err:
        inst.invoke(store, export, *args)
    assert err.value.message == message


def test_indirect_calls_check_bounds_null_and_type():
    store, inst = make(INDIRECT)
    assert inst.invoke(store, "call", 0) == [1]
    for index, message in ((1, "indirect call type mismatch"), (2, "uninitialized element 2"),
                           (3, "undefined element")):
        with pytest.raises(Trap, match=message):
            inst.invoke(store, "call", index)


def test_deep_recursion_is_exhaustion_with_a_configurable_limit():
    store, inst = make(TAIL, Store(max_call_depth=500))
    with pytest.raises(Exhaustion, match="call stack exhausted"):
        inst.invoke(store, "rec", 0)


def test_tail_calls_run_in_constant_frames():
    # A depth limit of 5 frames; a million tail calls must not come near it.
    store, inst = make(TAIL, Store(max_call_depth=5))
    assert inst.invoke(store, "count", 100_000, 0) == [100_000]
    assert inst.invoke(store, "count-indirect", 10_000, 5) == [10_005]


def test_fuel_stops_execution_and_is_consumed():
    store, inst = make(LOOPS, Store(fuel=1000))
    with pytest.raises(Exhaustion, match="out of fuel"):
        inst.invoke(store, "sum", 1_000_000)
    store, inst = make(LOOPS, Store(fuel=100_000))
    assert inst.invoke(store, "sum", 10) == [55]
    assert 0 < 100_000 - store.fuel < 200


def test_host_functions_can_call_back_into_wasm():
    text = """
    (module
      (import "host" "twice" (func $twice (param i32) (result i32)))
      (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "run") (param i32) (result i32) (call $twice (local.get 0))))
    """
    store = Store()
    linker = Linker()
    from wasmmerge.binary.types import I32, FuncType
    holder = {}

    def twice(x):
        inc = holder["inst"].exports["inc"]
        return invoke(store, inc, [invoke(store, inc, [x])[0]])[0]

    linker.define_func(store, "host", "twice", FuncType((I32,), (I32,)), twice)
    holder["inst"] = inst = linker.instantiate(store, decode(wat2wasm(text)))
    assert inst.invoke(store, "run", 40) == [42]


LEGACY_EXCEPTIONS = """
(module
  (tag $e (param i32))
  (tag $f)
  (func $throw-e (param i32) (throw $e (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (call $throw-e (local.get 0)) (i32.const 0))
      (catch $e (i32.add (i32.const 100)))
      (catch_all (i32.const -1))))
  (func (export "no-throw") (param i32) (result i32)
    (try (result i32)
      (do (local.get 0))
      (catch $e (i32.add (i32.const 100)))))
  (func (export "catch-all") (result i32)
    (try (result i32)
      (do (throw $f))
      (catch $e)
      (catch_all (i32.const 7))))
  (func (export "rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $throw-e (local.get 0)) (i32.const 0))
          (catch $e (drop) (rethrow 0))))
      (catch $e (i32.const 1000) (i32.add))))
  (func (export "rethrow-outer") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $throw-e (local.get 0)) (i32.const 0))
          (catch $e
            (drop)
            (try (result i32)
              (do (throw $f))
              (catch_all (rethrow 1))))))
      (catch $e (i32.const 4000) (i32.add))))
  (func (export "delegate") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $throw-e (local.get 0)) (i32.const 0))
          (delegate 0)))
      (catch $e (i32.const 2000) (i32.add))))
  (func (export "delegate-skips") (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try (result i32)
          (do
            (try (result i32)
              (do (call $throw-e (local.get 0)) (i32.const 0))
              (delegate $outer)))
          (catch $e (drop) (i32.const 5))))
      (catch $e (i32.const 3000) (i32.add))))
  (func (export "delegate-caller") (param i32) (result i32)
    (try (result i32)
      (do (call $throw-e (local.get 0)) (i32.const 0))
      (delegate 0)))
  (func (export "uncaught") (call $throw-e (i32.const 9)))
  (func (export "loop") (param i32) (result i32) (local $n i32)
    (loop $next
      (try
        (do (call $throw-e (local.get 0)))
        (catch $e (local.set $n (i32.add (local.get $n)))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $next (local.get 0)))
    (local.get $n)))
"""


@pytest.mark.parametrize("export, args, expected", [
    ("catch", (5,), 105), ("no-throw", (5,), 5), ("catch-all", (), 7), ("rethrow", (5,), 1005),
    ("rethrow-outer", (5,), 4005), ("delegate", (5,), 2005), ("delegate-skips", (5,), 3005),
    ("loop", (10,), 55),
])
def test_legacy_exception_handling(export, args, expected):
    # Expected values agree with wabt's wasm-interp (except "loop", where it crashes).
    store, inst = make(LEGACY_EXCEPTIONS)
    assert inst.invoke(store, export, *args) == [expected & 0xFFFF_FFFF]


def test_legacy_delegate_to_the_function_label_reaches_the_caller():
    store, inst = make(LEGACY_EXCEPTIONS)
    for export, args in (("delegate-caller", (5,)), ("uncaught", ())):
        with pytest.raises(WasmException):
            inst.invoke(store, export, *args)


def test_uncaught_exceptions_reach_the_host_with_their_payload():
    text = """
    (module
      (tag $e (export "e") (param i32))
      (func $thrower (param i32) (throw $e (local.get 0)))
      (func (export "f") (param i32) (call $thrower (i32.add (local.get 0) (i32.const 1)))))
    """
    store, inst = make(text)
    with pytest.raises(WasmException) as err:
        inst.invoke(store, "f", 41)
    assert err.value.exn.tag is inst.exports["e"]
    assert err.value.exn.values == [42]


def test_function_reference_instructions():
    text = """
    (module
      (func (export "f") (param funcref) (result i32) (ref.is_null (local.get 0))))
    """
    module = decode(wat2wasm(text))
    assert module.codes[0].body == bytes((0x20, 0x00, 0xD1, 0x0B))
    # wabt cannot write ref.as_non_null yet: insert it by hand.
    module.codes[0].body = bytes((0x20, 0x00, 0xD4, 0xD1, 0x0B))
    store = Store()
    inst = instantiate(store, module, [])
    with pytest.raises(Trap, match="^null reference"):
        inst.invoke(store, "f", None)
    assert inst.invoke(store, "f", inst.exports["f"]) == [0]


ATOMICS = """
(module
  (memory 1 1 shared)
  (func (export "add") (param i32 i32) (result i32) (i32.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "add8") (param i32 i32) (result i32) (i32.atomic.rmw8.add_u (local.get 0) (local.get 1)))
  (func (export "cmpxchg") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load16") (param i32) (result i64) (i64.atomic.load16_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32) (result i32) (memory.atomic.notify (local.get 0) (i32.const 1)))
  (func (export "fence") (atomic.fence)))
"""


def test_atomics_on_one_thread():
    store, inst = make(ATOMICS)
    run = lambda name, *args: inst.invoke(store, name, *args)  # noqa: E731
    assert run("add", 0, 5) == [0] and run("add", 0, 7) == [5] and run("load", 0) == [12]
    assert run("add8", 0, 250) == [12] and run("load", 0) == [6] and run("load16", 0) == [6]
    assert run("cmpxchg", 8, 0, 99) == [0] and run("cmpxchg", 8, 0, 5) == [99]
    assert run("load", 8) == [99]
    assert run("notify", 4) == [0] and run("fence") == []
    assert run("wait", 0, 1, 10) == [1]   # not-equal
    assert run("wait", 0, 6, 10) == [2]   # timed out: no thread will notify
    with pytest.raises(Trap, match="unaligned atomic"):
        run("store", 2, 1)
    with pytest.raises(Trap, match="out of bounds memory access"):
        run("load", 65536)


def test_memories_beyond_the_store_limit_are_exhaustion_not_a_crash():
    with pytest.raises(Exhaustion, match="out of memory"):
        make("(module (memory 100))", Store(max_memory_pages=10))
    store, inst = make(LOOPS, Store(max_memory_pages=3))
    assert inst.invoke(store, "grow", 2) == [1]
    assert inst.invoke(store, "grow", 1) == [0xFFFF_FFFF]
