"""The compiled engine: call depth, interop, per-function fallback, CPython limits, cache."""

import pytest
from click.testing import CliRunner

import wasmmerge
from conftest import wat2wasm
from wasmmerge.binary.types import I32, FuncType
from wasmmerge.errors import Exhaustion, Trap
from wasmmerge.runtime import Linker, Store, host_func, instantiate
from wasmmerge.runtime.compiled import engine_of, python_source

ENGINES = ["reference", "compiled"]

RECURSION = """(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))
      (else (i32.const 0))))
  (func (export "forever") (call 1)))"""


def setup(text: str, engine: str, imports=(), **store_args):
    store = Store(engine=engine, **store_args)
    inst = instantiate(store, wasmmerge.decode(wat2wasm(text)), list(imports))
    return store, inst


def outcome(store, inst, name, *args):
    try:
        return inst.invoke(store, name, *args)
    except (Trap, Exhaustion) as err:
        return f"{type(err).__name__}: {err.message}"


def test_call_depth_limit_is_the_reference_engines():
    """The deepest call that succeeds is the same on both engines, for several limits."""
    for limit in (0, 1, 5, 100):
        seen = []
        for engine in ENGINES:
            store, inst = setup(RECURSION, engine, max_call_depth=limit)
            seen.append([outcome(store, inst, "down", n) for n in range(limit - 1, limit + 3)
                         if n >= 0])
        assert seen[0] == seen[1], limit
        assert seen[1][-1] == "Exhaustion: call stack exhausted"


def test_deep_recursion_needs_no_python_recursion_limit():
    store, inst = setup(RECURSION, "compiled")
    assert inst.invoke(store, "down", 9_999) == [9_999]
    assert outcome(store, inst, "down", 10_001) == "Exhaustion: call stack exhausted"
    assert outcome(store, inst, "forever") == "Exhaustion: call stack exhausted"


def test_traps_match_the_reference_engine():
    text = """(module (memory 1)
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "load") (param i32) (result i64) (i64.load offset=4 (local.get 0)))
      (func (export "store") (param i32) (i32.store16 (local.get 0) (i32.const -1)))
      (func (export "unreachable") (unreachable)))"""
    calls = [("div", 7, 0), ("div", 0x8000_0000, 0xFFFF_FFFF), ("div", 7, 0xFFFF_FFFE),
             ("load", 65524), ("load", 65525), ("load", 0xFFFF_FFFF), ("store", 65534),
             ("store", 65535), ("unreachable",)]
    results = []
    for engine in ENGINES:
        store, inst = setup(text, engine)
        results.append([outcome(store, inst, *call) for call in calls])
    assert results[0] == results[1]
    assert results[1][0] == "Trap: integer divide by zero"
    assert results[1][4] == "Trap: out of bounds memory access"


def test_multi_value_blocks_loops_and_branch_tables():
    text = """(module
      (func $pair (param i32) (result i32 i32) (local.get 0) (i32.const 10))
      (func (export "swap") (param i32) (result i32 i32)
        (call $pair (local.get 0))
        (block (param i32 i32) (result i32 i32)
          (br_if 0 (i32.eqz (local.get 0)))
          (drop) (drop) (i32.const 1) (i32.const 2)))
      (func (export "sum") (param i32) (result i32)
        (i32.const 0) (local.get 0)
        (loop (param i32 i32) (result i32)
          (local.set 0)
          (i32.add (local.get 0))
          (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
          (br_if 0 (local.get 0))
          (drop)))
      (func (export "classify") (param i32) (result i32)
        (block (block (block (block
          (br_table 0 1 2 1 0 3 3 3 3 3 2 (local.get 0)))
          (return (i32.const 100)))
          (return (i32.const 101)))
          (return (i32.const 102)))
        (i32.const 103)))"""
    results = []
    for engine in ENGINES:
        store, inst = setup(text, engine)
        results.append([inst.invoke(store, "swap", 0), inst.invoke(store, "swap", 5),
                        inst.invoke(store, "sum", 10)] +
                       [inst.invoke(store, "classify", i) for i in range(14)])
    assert results[0] == results[1]
    assert results[1][:3] == [[0, 10], [1, 2], [55]]


def test_functions_it_does_not_translate_run_on_the_reference_engine():
    text = """(module
      (tag $boom (param i32))
      (func $guarded (param i32) (result i32)
        (try (result i32)
          (do (if (local.get 0) (then (throw $boom (local.get 0)))) (i32.const -1))
          (catch $boom (i32.add (i32.const 100)))))
      (func (export "f") (param i32) (result i32) (call $guarded (local.get 0))))"""
    store, inst = setup(text, "compiled")
    assert inst.invoke(store, "f", 0) == [0xFFFF_FFFF]
    assert inst.invoke(store, "f", 5) == [105]
    reasons = {func.index: why for func, why in engine_of(store).fallbacks.items()}
    assert reasons == {0: "exception handling (try)"}
    assert python_source(inst.module, 0).startswith("# function 0: reference engine")


TAIL_CALLS = """(module
  (type $i64 (func (param i64) (result i64)))
  (table funcref (elem $even_indirect $odd_indirect))
  (func $count (export "count") (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $count (i32.sub (local.get 0) (i32.const 1))
                                (i32.add (local.get 1) (i32.const 2))))))
  (func $even (export "even") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func $even_indirect (export "even_indirect") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (return_call_indirect (type $i64) (i64.sub (local.get 0) (i64.const 1))
                                  (i32.const 1)))))
  (func $odd_indirect (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
      (else (return_call_indirect (type $i64) (i64.sub (local.get 0) (i64.const 1))
                                  (i32.const 0)))))
  (func $bad_slot (export "bad_slot") (param i32) (result i64)
    (return_call_indirect (type $i64) (i64.const 1) (local.get 0)))
  (func (export "nested") (param i32) (result i32)
    ;; a self tail call from inside nested loops and blocks
    (block $out (loop $again
      (br_if $out (i32.eqz (local.get 0)))
      (if (i32.and (local.get 0) (i32.const 1))
        (then (return_call 6 (i32.sub (local.get 0) (i32.const 1)))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $again)))
    (local.get 0)))"""


def test_tail_calls_are_translated_and_run_in_constant_python_stack():
    """A million-deep mutual tail recursion neither exhausts the wasm call depth nor Python's."""
    store, inst = setup(TAIL_CALLS, "compiled", max_call_depth=100)
    assert inst.invoke(store, "count", 1_000_000, 5) == [2_000_005]
    assert inst.invoke(store, "even", 1_000_001) == [0]
    assert inst.invoke(store, "even_indirect", 200_000) == [1]
    assert inst.invoke(store, "nested", 7) == [0]
    assert outcome(store, inst, "bad_slot", 2) == "Trap: undefined element"
    assert not engine_of(store).fallbacks
    _, reference = setup(TAIL_CALLS, "reference")
    ref_store = Store()
    for name, arg in (("even", 11), ("even_indirect", 10), ("nested", 9)):
        assert inst.invoke(store, name, arg) == reference.invoke(ref_store, name, arg)
    assert "continue" in python_source(inst.module, 0)  # the self tail call is a loop
    assert "return TailCall(" in python_source(inst.module, 1)


def test_loads_stay_in_order_with_stores_traps_and_branches():
    """Loads kept symbolic still trap before a later store, call or branch happens."""
    text = """(module (memory 1) (global $g (mut i32) (i32.const 0))
      (func $note (param i32) (global.set $g (local.get 0)))
      (func (export "store_after") (param i32)
        (i32.store (i32.const 0) (i32.load (local.get 0)))  ;; a pending load, then
        (i32.store (i32.const 8) (i32.const 7)))
      (func (export "load_then_store") (param i32) (result i32)
        (i32.load (local.get 0))
        (i32.store (i32.const 4) (i32.const 9))
        (i32.add (i32.load (i32.const 4))))
      (func (export "dropped") (param i32)
        (drop (i32.load (local.get 0))) (global.set $g (i32.const 5)))
      (func (export "select_arm") (param i32) (result i32)
        (select (i32.const 1) (i32.load (local.get 0)) (i32.const 1)))
      (func (export "before_call") (param i32)
        (i32.load (local.get 0)) (call $note (i32.const 3)) (drop))
      (func (export "before_branch") (param i32) (result i32)
        (block (result i32) (i32.load (local.get 0)) (br 0 (i32.const 2))))
      (func (export "table_index") (param i32) (result i32)
        (block (br_table 0 0 (i32.load (local.get 0)))) (i32.const 1))
      (func (export "memory") (result i32 i32 i32) (i32.load (i32.const 0))
        (i32.load (i32.const 4)) (global.get $g)))"""
    calls = [("store_after", 65536), ("load_then_store", 4), ("load_then_store", 65535),
             ("dropped", 65534), ("select_arm", 65533), ("select_arm", 0), ("before_call", 70000),
             ("before_branch", 65535), ("before_branch", 0), ("table_index", 65533),
             ("memory",)]
    results = []
    for engine in ENGINES:
        store, inst = setup(text, engine)
        results.append([outcome(store, inst, *call) for call in calls])
    assert results[0] == results[1]
    assert results[1][0] == "Trap: out of bounds memory access"
    assert results[1][1] == [9]
    assert results[1][-2] == "Trap: out of bounds memory access"
    assert results[1][-1] == [0, 9, 0]  # neither the global nor address 0 was written


def test_host_functions_and_calls_back_into_wasm():
    text = """(module
      (import "env" "twice" (func $twice (param i32) (result i32)))
      (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "run") (param i32) (result i32) (call $twice (local.get 0))))"""
    store = Store(engine="compiled")
    holder = {}
    twice = host_func(store, FuncType((I32,), (I32,)),
                      lambda x: holder["inst"].invoke(store, "inc", x)[0] * 2)
    holder["inst"] = inst = instantiate(store, wasmmerge.decode(wat2wasm(text)), [twice])
    assert inst.invoke(store, "run", 20) == [42]


def test_calls_across_instances_and_shared_tables():
    lib = """(module (table (export "t") 2 funcref) (elem (i32.const 0) $sq $neg)
      (func $sq (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0))))"""
    app = """(module
      (import "lib" "sq" (func $sq (param i32) (result i32)))
      (import "lib" "t" (table 2 funcref))
      (type $u (func (param i32) (result i32)))
      (func (export "go") (param i32 i32) (result i32)
        (call_indirect (type $u) (call $sq (local.get 0)) (local.get 1))))"""
    for engine in ENGINES:
        store = Store(engine=engine)
        linker = Linker()
        linker.define_instance("lib", linker.instantiate(store, wasmmerge.decode(wat2wasm(lib))))
        inst = linker.instantiate(store, wasmmerge.decode(wat2wasm(app)))
        assert inst.invoke(store, "go", 3, 0) == [81]
        assert inst.invoke(store, "go", 3, 1) == [(-9) & 0xFFFF_FFFF]
        assert outcome(store, inst, "go", 3, 2) == "Trap: undefined element"


def nested(depth: int, kind: str) -> str:
    body = "(local.set 0 (i32.add (local.get 0) (i32.const 1)))"
    for _ in range(depth):
        if kind == "loop":
            body = f"(block (loop {body} (br_if 1 (local.get 0))))"
        else:
            body = f"(if (local.get 0) (then {body}))"
    return f'(module (func (export "f") (param i32) (result i32) {body} (local.get 0)))'


@pytest.mark.parametrize("depth,kind,reason", [
    (20, "loop", "too many statically nested blocks"),
    (120, "if", "CPython cannot compile it"),
])
def test_cpython_limits_fall_back_per_function(depth, kind, reason):
    store, inst = setup(nested(depth, kind), "compiled")
    _, reference = setup(nested(depth, kind), "reference")
    assert inst.invoke(store, "f", 1) == reference.invoke(Store(), "f", 1)
    assert any(why.startswith(reason) for why in engine_of(store).fallbacks.values())


def test_long_expressions_are_split_into_statements():
    expr = "(local.get 0)"
    for i in range(2000):
        expr = f"(i32.add {expr} (i32.const {i}))"
    text = f'(module (func (export "f") (param i32) (result i32) {expr}))'
    store, inst = setup(text, "compiled")
    assert inst.invoke(store, "f", 1) == [1 + sum(range(2000))]
    assert not engine_of(store).fallbacks


def test_translations_are_cached_per_module():
    module = wasmmerge.decode(wat2wasm(RECURSION))
    for _ in range(2):
        store = Store(engine="compiled")
        inst = instantiate(store, module, [])
        assert inst.invoke(store, "down", 3) == [3]
    cache = module.__dict__["_python_translations"]
    assert list(cache) == [0]
    code = cache[0][1]
    store = Store(engine="compiled")
    instantiate(store, module, []).invoke(store, "down", 2)
    assert cache[0][1] is code


def test_fuel_runs_out_on_the_compiled_engine_too():
    store, inst = setup(RECURSION, "compiled", fuel=50)
    assert outcome(store, inst, "down", 1000) == "Exhaustion: out of fuel"


def test_run_command_engines_and_dump(tmp_path):
    from wasmmerge.cli import cli
    path = tmp_path / "r.wasm"
    path.write_bytes(wat2wasm(RECURSION))
    for engine in ENGINES:
        result = CliRunner().invoke(cli, ["run", str(path), "--engine", engine, "--invoke", "down", "7"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "7"
    result = CliRunner().invoke(cli, ["run", str(path), "--dump-python", "--invoke", "down", "2"])
    assert result.exit_code == 0
    assert "def f0(d, l0):" in result.output


def test_addresses_and_stored_values_wrap_like_the_reference_engine():
    """Accesses are tried before wrapping the address and value; wrapping must still win."""
    text = """(module (memory 1)
      (func (export "wrap_load") (param i32) (result i32)
        (i32.load offset=4 (i32.add (local.get 0) (i32.const 16))))
      (func (export "wrap_store") (param i32 i32)
        (i32.store (i32.mul (local.get 0) (i32.const 4)) (i32.add (local.get 1) (local.get 1)))
        (i32.store8 offset=8 (i32.const 0) (i32.shl (local.get 1) (i32.const 1))))
      (func (export "wide") (param i64)
        (i64.store (i32.const 16) (i64.add (local.get 0) (local.get 0))))
      (func (export "read") (param i32) (result i64) (i64.load (local.get 0))))"""
    calls = [("wrap_store", 0x4000_0001, 0xC000_0001), ("read", 0), ("read", 4),
             ("wrap_load", 0xFFFF_FFF0), ("wrap_load", 0xFFFF_FFEC), ("wrap_load", 0xFFFE_FFF0),
             ("wrap_store", 0x4000_4000, 1), ("wide", 0xF000_0000_0000_0001), ("read", 16),
             ("read", 65529)]
    results = []
    for engine in ENGINES:
        store, inst = setup(text, engine)
        results.append([outcome(store, inst, *call) for call in calls])
    assert results[0] == results[1]
    assert results[1][1] == [0x8000_0002_0000_0000]
    assert results[1][6] == "Trap: out of bounds memory access"
    assert results[1][8] == [0xE000_0000_0000_0002]


def test_a_wrapping_store_of_a_value_loaded_from_the_same_place():
    """`p->n -= 16` on n < 16: struct's pack_into zeroes the field before it refuses the
    unwrapped value, so retrying with the wrapped one must not load the field again (Lua's
    `L->top--` through `+ 0xfffffff0` became 0xfffffff0 instead of n - 16)."""
    text = """(module (memory 1)
      (func (export "dec") (param i32)
        (i32.store (local.get 0) (i32.add (i32.load (local.get 0)) (i32.const -16))))
      (func (export "dec64") (param i32)
        (i64.store (local.get 0) (i64.add (i64.load (local.get 0)) (i64.const -3))))
      (func (export "set") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "get") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "get64") (param i32) (result i64) (i64.load (local.get 0))))"""
    calls = [("set", 8, 0x18940), ("dec", 8), ("get", 8), ("set", 8, 5), ("dec", 8),
             ("get", 8), ("set", 16, 0x7FFF_0000), ("dec64", 16), ("get64", 16)]
    results = []
    for engine in ENGINES:
        store, inst = setup(text, engine)
        results.append([outcome(store, inst, *call) for call in calls])
    assert results[0] == results[1]
    assert results[1][2] == [0x18930] and results[1][5] == [0xFFFF_FFF5]
    assert results[1][8] == [0x7FFE_FFFD]


def test_a_wrapping_store_through_an_address_loaded_from_the_same_place():
    """The address too: a pointer to itself (a one-node ring's `next`) stored through, with
    a value that needs wrapping: the retry must not load the zeroed pointer again (it
    stored at address 0)."""
    text = """(module (memory 1)
      (func (export "store_through") (param i32 i32)
        (i32.store (i32.load (local.get 0)) (i32.add (local.get 1) (i32.const -1))))
      (func (export "set") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "get") (param i32) (result i32) (i32.load (local.get 0))))"""
    calls = [("set", 8, 8), ("store_through", 8, 5), ("get", 8), ("get", 0)]
    results = []
    for engine in ENGINES:
        store, inst = setup(text, engine)
        results.append([outcome(store, inst, *call) for call in calls])
    assert results[0] == results[1]
    assert results[1][2:] == [[4], [0]]


def test_a_local_set_after_an_if_keeps_both_arms_results():
    """`local.set` folds into the assignment just before it only in straight-line code."""
    text = """(module
      (func $id (param i32) (result i32) (local.get 0))
      (func (export "f") (param i32) (result i32) (local i32)
        (if (result i32) (local.get 0) (then (i32.const 5)) (else (call $id (i32.const 7))))
        (local.set 1)
        (local.get 1)))"""
    for engine in ENGINES:
        store, inst = setup(text, engine)
        assert [inst.invoke(store, "f", x) for x in (1, 0)] == [[5], [7]], engine


def test_tail_calls_keep_the_callers_depth():
    """a -> b (call), b -> c (tail, indirect), c -> a (tail): frames as the reference counts."""
    text = """(module
      (type $t (func (param i32) (result i32)))
      (table 3 funcref) (elem (i32.const 0) $a $b $c)
      (func $a (export "a") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $b (i32.sub (local.get 0) (i32.const 1)))))))
      (func $b (param i32) (result i32)
        (return_call_indirect (type $t) (local.get 0) (i32.const 2)))
      (func $c (param i32) (result i32) (return_call $a (local.get 0))))"""
    for limit in (1, 2, 5):
        seen = []
        for engine in ENGINES:
            store, inst = setup(text, engine, max_call_depth=limit)
            seen.append([outcome(store, inst, "a", n) for n in range(limit + 2)])
        assert seen[0] == seen[1], limit
        assert seen[1][-1] == "Exhaustion: call stack exhausted"
        assert seen[1][-2] == [limit]


def test_recursion_limit_is_restored_after_a_call():
    """The engine raises Python's recursion limit for deep wasm calls, and only for them."""
    import sys
    before = sys.getrecursionlimit()
    store, inst = setup(RECURSION, "compiled")
    assert inst.invoke(store, "down", 5000) == [5000]
    assert sys.getrecursionlimit() == before
