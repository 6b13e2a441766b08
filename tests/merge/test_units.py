"""Each step of the merge pipeline on its own: types, resolution, index plan, constant
expressions, instantiation order, custom sections, report and depfile, end to end."""

import json

import pytest
import wasmtime

from conftest import wasm_validate, wat2wasm
from wasmmerge.binary.model import Export, Expr
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.types import FUNC_KIND, I32, I64, FuncType
from wasmmerge.errors import DecodeError, LinkError, Unsupported, ValidationError
from wasmmerge.merger import MergeOptions, merge
from wasmmerge.merger.constexpr import _fold, constant_value
from wasmmerge.merger.init_order import ModuleEffects, Step, plan_init_order, start_body
from wasmmerge.merger.load import input_name_from_path, load_inputs
from wasmmerge.merger.plan import plan_spaces
from wasmmerge.merger.resolve import Defined, External, resolve
from wasmmerge.validator.canon import TypeStore


def _prepare(*modules):
    loaded = load_inputs([(name, wat2wasm(text)) for name, text in modules])
    types = TypeStore()
    type_maps = [types.add_module(inp.module) for inp in loaded]
    return loaded, types, type_maps


def _instance(data: bytes, **host):
    """Instantiate in wasmtime (multi-memory on) with host functions given as callables."""
    config = wasmtime.Config()
    config.wasm_multi_memory = True
    store = wasmtime.Store(wasmtime.Engine(config))
    module = wasmtime.Module(store.engine, data)
    imports = []
    for imp in module.imports:
        fn = host[f"{imp.module}.{imp.name}"]
        imports.append(wasmtime.Func(store, imp.type, fn))
    return store, wasmtime.Instance(store, module, imports)


def _call(store, instance, name, *args):
    return instance.exports(store)[name](store, *args)


# -- types -----------------------------------------------------------------------------

def test_types_are_deduplicated_across_modules():
    loaded, types, maps = _prepare(
        ("a", "(module (type (func (param i32))) (type (func)) (type (func (param i32))))"),
        ("b", "(module (type (func)) (type (func (result i64))))"))
    assert maps[0] == [0, 1, 0]
    assert maps[1] == [1, 2]
    assert [t.comp for t in types.types] == [FuncType((I32,)), FuncType(), FuncType((), (I64,))]


def test_rec_groups_stay_intact_and_dedupe_as_wholes():
    a = decode_module(wasmtime.wat2wasm(
        "(module (rec (type $s (struct (field (ref null $t)))) (type $t (struct (field (ref null $s))))))"))
    b = decode_module(wasmtime.wat2wasm(
        "(module (type (struct)) (rec (type $s (struct (field (ref null $t)))) "
        "(type $t (struct (field (ref null $s))))))"))
    types = TypeStore()
    assert types.add_module(a) == [0, 1]
    assert types.add_module(b) == [2, 0, 1]
    assert len(types.rec_groups) == 1 and types.rec_groups[0].size == 2


def test_subtyping_follows_declared_supertypes():
    m = decode_module(wasmtime.wat2wasm(
        "(module (type $base (sub (func))) (type $derived (sub $base (func))) (type (func)))"))
    types = TypeStore()
    assert types.add_module(m) == [0, 1, 2]
    assert types.func_matches(1, 0)
    assert not types.func_matches(0, 1)
    assert not types.func_matches(2, 0)  # final and without supertypes: a different type


# -- resolution ------------------------------------------------------------------------

def test_imports_follow_reexport_chains_and_forward_references():
    loaded, types, maps = _prepare(
        ("app", '(module (import "mid" "f" (func (result i32))) (import "env" "log" (func)))'),
        ("mid", '(module (import "lib" "f" (func (result i32))) (export "f" (func 0)))'),
        ("lib", '(module (func (export "f") (result i32) i32.const 7))'))
    res = resolve(loaded, maps, types)
    assert res.targets[0][0] == Defined(2, 0)  # app -> mid -> lib, all forward references
    assert res.chains[0][0] == ((1, "f"), (2, "f"))
    assert res.targets[0][1] == External("env", "log", FUNC_KIND, types.add_func_type(FuncType()))
    assert res.targets[1][0] == Defined(2, 0)


def test_identical_external_imports_are_deduplicated_only_when_types_agree():
    loaded, types, maps = _prepare(
        ("a", '(module (import "env" "f" (func)) (import "env" "g" (global i32)))'),
        ("b", '(module (import "env" "f" (func)) (import "env" "g" (global (mut i32))))'))
    res = resolve(loaded, maps, types)
    assert [e.label for e in res.externals] == ["env.f", "env.g", "env.g"]


def test_reexport_cycle_is_an_error():
    loaded, types, maps = _prepare(
        ("a", '(module (import "b" "f" (func)) (export "f" (func 0)))'),
        ("b", '(module (import "a" "f" (func)) (export "f" (func 0)))'))
    with pytest.raises(LinkError, match="cycle of re-exports"):
        resolve(loaded, maps, types)


@pytest.mark.parametrize("provider,consumer,words", [
    ('(func (export "x") (param i32))', '(import "p" "x" (func (param i64)))', "function type"),
    ('(global (export "x") (mut i32) (i32.const 0))', '(import "p" "x" (global i32))', "mutability"),
    ('(global (export "x") i64 (i64.const 0))', '(import "p" "x" (global i32))', "global type"),
    ('(memory (export "x") 1)', '(import "p" "x" (memory 2))', "minimum 1"),
    ('(memory (export "x") 1)', '(import "p" "x" (memory 1 2))', "no maximum"),
    ('(memory (export "x") 1 5)', '(import "p" "x" (memory 1 3))', "maximum 5"),
    ('(memory (export "x") 1 1 shared)', '(import "p" "x" (memory 1 1))', "shared"),
    ('(memory (export "x") i64 1)', '(import "p" "x" (memory 1))', "address type"),
    ('(table (export "x") 1 externref)', '(import "p" "x" (table 1 funcref))', "element type"),
    ('(func (export "x"))', '(import "p" "x" (global i32))', "expects a global"),
    ('', '(import "p" "x" (func))', "has no export 'x'"),
])
def test_import_type_mismatches_are_link_errors(provider, consumer, words):
    loaded, types, maps = _prepare(("p", f"(module {provider})"), ("c", f"(module {consumer})"))
    with pytest.raises(LinkError) as caught:
        resolve(loaded, maps, types)
    assert words in str(caught.value)
    assert "c: import p.x" in str(caught.value)


def test_matching_allows_larger_limits_and_subtypes():
    loaded, types, maps = _prepare(
        ("p", '(module (memory (export "m") 3 4) (table (export "t") 5 funcref))'),
        ("c", '(module (import "p" "m" (memory 2 8)) (import "p" "t" (table 1 funcref)))'))
    res = resolve(loaded, maps, types)
    assert res.targets[1] == [Defined(0, 0), Defined(0, 0)]


# -- index plan --------------------------------------------------------------------------

def test_plan_puts_kept_imports_first_then_definitions_in_input_order():
    loaded, types, maps = _prepare(
        ("a", '(module (import "env" "h" (func)) (func) (func) (global i32 (i32.const 1)))'),
        ("b", '(module (import "a" "f" (func)) (import "env" "h" (func)) (func) '
              '(global i32 (i32.const 2)))'),
    )
    loaded[0].module.exports.append(Export("f", FUNC_KIND, 2))
    plan = plan_spaces(loaded, maps, types, resolve(loaded, maps, types))
    assert plan.maps[0]["func"] == [0, 1, 2]
    assert plan.maps[1]["func"] == [2, 0, 3]
    assert plan.maps[0]["global"] == [0] and plan.maps[1]["global"] == [1]
    assert plan.totals["func"] == 4


# -- constant expressions ------------------------------------------------------------------

def test_fold_folds_constant_arithmetic_only():
    i32c = lambda v: ("i32.const", b"\x41" + bytes((v,)))  # noqa: E731
    assert _fold([i32c(40), i32c(2), ("i32.add", b"\x6a"), ("end", b"\x0b")]) == b"\x41\x2a\x0b"
    kept = [("global.get", b"\x23\x00"), i32c(2), ("i32.add", b"\x6a"), ("end", b"\x0b")]
    assert _fold(kept) == b"\x23\x00\x41\x02\x6a\x0b"


def test_imported_global_bound_to_a_definition_is_substituted_and_folded():
    a = wat2wasm('(module (global (export "base") i32 (i32.const 40)))')
    b = wat2wasm('(module (import "a" "base" (global $b i32)) '
                 '(global $plus (export "plus") i32 (i32.add (global.get $b) (i32.const 2))) '
                 '(global $same (export "same") i32 (global.get $b)) (memory 1) '
                 '(data (global.get $b) "x"))')
    result = merge([("a", a), ("b", b)])
    out = result.module
    assert [g.init.code for g in out.globals] == [b"\x41\x28\x0b", b"\x41\x2a\x0b", b"\x41\x28\x0b"]
    assert out.datas[0].offset.code == b"\x41\x28\x0b"
    wasm_validate(result.data, "--enable-multi-memory")  # 2.0 rules: no global.get of a definition


def test_extended_constants_remain_where_an_input_needed_them():
    a = wat2wasm('(module (import "env" "base" (global $e i32)) '
                 '(global (export "g") i32 (i32.add (global.get $e) (i32.const 8))))')
    b = wat2wasm('(module (import "a" "g" (global $g i32)) (global (export "h") i32 (global.get $g)))')
    out = merge([("a", a), ("b", b)]).module
    assert out.globals[1].init.code == b"\x23\x00\x41\x08\x6a\x0b"


def test_cyclic_global_initialisers_are_an_error():
    a = wat2wasm('(module (import "b" "g" (global $g i32)) (global (export "g") i32 (global.get $g)))')
    b = wat2wasm('(module (import "a" "g" (global $g i32)) (global (export "g") i32 (global.get $g)))')
    with pytest.raises(LinkError, match="cycle"):
        merge([("a", a), ("b", b)])


def test_constant_value():
    assert constant_value(Expr(b"\x41\x7f\x0b")) == -1
    assert constant_value(Expr(b"\x23\x00\x0b")) is None


# -- instantiation order -------------------------------------------------------------------

def _seg(kind, index, offset, count, target=0):
    return Step(kind, index, target, Expr(b"\x41" + bytes((offset,)) + b"\x0b"), count)


def test_segments_stay_active_when_no_start_function_can_tell():
    effects = [ModuleEffects([_seg("elem", 0, 0, 2)], [_seg("data", 0, 0, 4)], None),
               ModuleEffects([_seg("elem", 1, 2, 2)], [_seg("data", 1, 8, 4)], None)]
    plan = plan_init_order(effects, [10], [65536])
    assert not plan.steps and not plan.passive_elems and not plan.passive_datas


def test_segments_after_a_start_function_run_from_a_generated_start():
    effects = [ModuleEffects([], [_seg("data", 0, 0, 4)], 5),
               ModuleEffects([_seg("elem", 0, 0, 1)], [_seg("data", 1, 0, 4)], 9)]
    plan = plan_init_order(effects, [10], [65536])
    assert [(s.kind, s.index) for s in plan.steps] == [("call", 5), ("elem", 0), ("data", 1), ("call", 9)]
    assert plan.passive_elems == {0} and plan.passive_datas == {1}
    assert plan.needs_generated_start


def test_a_lone_start_function_is_kept_as_is():
    plan = plan_init_order([ModuleEffects([], [], 4), ModuleEffects([], [], None)], [], [])
    assert plan.start == 4 and not plan.needs_generated_start


def test_elem_after_a_possibly_trapping_data_segment_waits_for_it():
    effects = [ModuleEffects([], [_seg("data", 0, 0, 70000)], None),  # beyond one page
               ModuleEffects([_seg("elem", 0, 0, 1)], [], None)]
    plan = plan_init_order(effects, [10], [65536])
    assert plan.passive_elems == {0} and [s.kind for s in plan.steps] == ["elem"]


def test_start_body_encodes_init_and_drop_in_order():
    body = start_body([_seg("data", 1, 16, 3, target=2), Step("call", 7)])
    assert body == (b"\x41\x10" + b"\x41\x00\x41\x03" + b"\xfc\x08\x01\x02" + b"\xfc\x09\x01"
                    + b"\x10\x07\x0b")


def test_data_written_by_a_later_module_lands_after_the_earlier_start_ran():
    # a's start stores 1 at address 0 of the memory b imports; b's active segment must
    # overwrite it afterwards, and b's start then sees b's byte.
    a = wat2wasm('(module (memory (export "mem") 1) (func $s (i32.store8 (i32.const 0) (i32.const 1))) '
                 '(start $s))')
    b = wat2wasm('(module (import "a" "mem" (memory 1)) (import "env" "seen" (func $seen (param i32))) '
                 '(data (i32.const 0) "\\07") (func $s (call $seen (i32.load8_u (i32.const 0)))) (start $s) '
                 '(func (export "peek") (result i32) (i32.load8_u (i32.const 0))))')
    result = merge([("a", a), ("b", b)])
    wasm_validate(result.data, "--enable-multi-memory")
    seen = []
    store, instance = _instance(result.data, **{"env.seen": lambda v: seen.append(v)})
    assert seen == [7]
    assert _call(store, instance, "peek") == 7


# -- whole merges ---------------------------------------------------------------------------

def test_calls_across_modules_run_in_wasmtime():
    lib = wat2wasm('(module (memory 1) (data (i32.const 0) "\\05") '
                   '(func (export "five") (result i32) (i32.load8_u (i32.const 0))))')
    app = wat2wasm('(module (import "lib" "five" (func $five (result i32))) (memory 1) '
                   '(data (i32.const 0) "\\02") (table 2 funcref) (elem (i32.const 1) $five) '
                   '(type $t (func (result i32))) '
                   '(func (export "sum") (result i32) (i32.add (call $five) '
                   '(i32.add (i32.load8_u (i32.const 0)) (call_indirect (type $t) (i32.const 1))))))')
    result = merge([("lib", lib), ("app", app)])
    assert [len(result.module.memories)] == [2]
    wasm_validate(result.data, "--enable-multi-memory")
    store, instance = _instance(result.data)
    assert _call(store, instance, "sum") == 12
    assert result.data == merge([("lib", lib), ("app", app)]).data  # deterministic


def test_export_policies():
    a = wat2wasm('(module (func (export "f") (result i32) i32.const 1))')
    b = wat2wasm('(module (func (export "f") (result i32) i32.const 2) (func (export "g")))')
    with pytest.raises(LinkError, match="'f' \\(a and b\\)"):
        merge([("a", a), ("b", b)])
    renamed = merge([("a", a), ("b", b)], MergeOptions(export_conflicts="rename")).module
    assert [e.name for e in renamed.exports] == ["f", "b.f", "g"]
    skipped = merge([("a", a), ("b", b)], MergeOptions(export_conflicts="skip"))
    assert [e.name for e in skipped.module.exports] == ["f", "g"]
    only_b = merge([("a", a), ("b", b)], MergeOptions(export_from=["b"])).module
    assert [e.name for e in only_b.exports] == ["f", "g"] and only_b.exports[0].index == 1


def test_skipped_export_still_satisfies_imports():
    a = wat2wasm('(module (func (export "f") (result i32) i32.const 1))')
    b = wat2wasm('(module (func (export "f") (result i32) i32.const 2))')
    c = wat2wasm('(module (import "b" "f" (func $f (result i32))) (func (export "c") (result i32) call $f))')
    result = merge([("a", a), ("b", b), ("c", c)], MergeOptions(export_conflicts="skip"))
    store, instance = _instance(result.data)
    assert _call(store, instance, "c") == 2


def test_allow_imports_lists_every_stray_import():
    a = wat2wasm('(module (import "env" "log" (func)) (import "wasi" "exit" (func)) '
                 '(import "x" "y" (global i32)))')
    merge([("a", a)], MergeOptions(allow_imports=["env.*", "wasi.*", "x.y"]))
    with pytest.raises(LinkError) as caught:
        merge([("a", a)], MergeOptions(allow_imports=["env.log"]))
    assert "wasi.exit (func, imported by a)" in str(caught.value) and "x.y (global" in str(caught.value)


def test_invalid_input_is_reported_against_its_module_and_function():
    good = wat2wasm("(module (func))")
    bad = decode_module(wat2wasm("(module (func (result i32) i32.const 1))"))
    bad.codes[0].body = b"\x0b"  # no result left: invalid
    from wasmmerge.binary.writer import encode_module
    with pytest.raises(ValidationError) as caught:
        merge([("good", good), ("bad", encode_module(bad))])
    assert "bad: function 0" in str(caught.value)


def test_allocating_global_read_before_its_definition_is_unsupported():
    a = wasmtime.wat2wasm('(module (type $s (struct)) (import "b" "g" (global (ref $s))) '
                          '(global (export "h") (ref $s) (global.get 0)))')
    b = wasmtime.wat2wasm('(module (type $s (struct)) (global (export "g") (ref $s) (struct.new $s)))')
    with pytest.raises(Unsupported, match="unsupported"):
        merge([("a", a), ("b", b)])
    result = merge([("b", b), ("a", a)])  # the definition first: read it, not copy it
    assert result.module.globals[1].init.code == b"\x23\x00\x0b"


def test_input_name_from_path():
    assert input_name_from_path("dir/lib.wasm") == "lib"
    assert input_name_from_path("lib") == "lib"
    assert input_name_from_path("a.b.wasm") == "a.b"


def test_report_lists_bindings_and_index_maps():
    a = wat2wasm('(module (import "env" "h" (func)) (func (export "f")))')
    b = wat2wasm('(module (import "a" "f" (func)) (func))')
    report = merge([("a", a), ("b", b)]).report
    json.dumps(report)  # plain data
    binding = next(i for i in report["imports"] if i["module"] == "b")
    assert binding["bound_to"] == {"module": "a", "definition": 1} and binding["index"] == 1
    assert report["inputs"][1]["index_map"]["func"] == [1, 2]
    assert report["kept_imports"] == [{"import": "env.h", "kind": "func"}]


def test_invalid_input_outside_functions_is_blamed_on_its_file():
    good = wat2wasm("(module (func))")
    bad = decode_module(wat2wasm('(module (global i32 (i32.const 1)) (export "g" (global 0)))'))
    bad.globals[0].init = Expr(b"\x42\x01\x0b")  # an i64 constant for an i32 global
    from wasmmerge.binary.writer import encode_module
    with pytest.raises(ValidationError) as caught:
        merge([("good", good), ("bad", encode_module(bad))])
    assert str(caught.value).startswith("bad:")


def test_malformed_body_copied_unchanged_is_still_reported():
    bad = decode_module(wat2wasm("(module (func))"), lazy=True)
    bad.codes[0].body = b"\xff\x0b"  # an illegal opcode in a body nobody needs to patch
    from wasmmerge.binary.writer import encode_module
    with pytest.raises((ValidationError, DecodeError)) as caught:
        merge([("bad", encode_module(bad))])
    assert "bad" in str(caught.value)


def test_gc_types_tags_and_tail_calls_across_modules_run_in_wasmtime():
    a = wasmtime.wat2wasm('''(module
      (rec (type $node (struct (field i32) (field (ref null $node)))))
      (tag $oops (export "oops") (param i32))
      (func (export "make") (param i32) (result (ref $node)) (struct.new $node (local.get 0) (ref.null $node)))
      (func (export "fail") (param i32) (throw $oops (local.get 0))))''')
    b = wasmtime.wat2wasm('''(module
      (type $other (struct (field f64)))
      (rec (type $node (struct (field i32) (field (ref null $node)))))
      (import "a" "make" (func $make (param i32) (result (ref $node))))
      (import "a" "fail" (func $fail (param i32)))
      (import "a" "oops" (tag $oops (param i32)))
      (func (export "run") (param i32) (result i32) (local $n (ref null $node))
        (local.set $n (call $make (local.get 0)))
        (block $h (result i32)
          (try_table (catch $oops $h) (call $fail (struct.get $node 0 (local.get $n))))
          (i32.const -1)))
      (func (export "tail") (param i32) (result (ref $node)) (return_call $make (local.get 0))))''')
    result = merge([("a", a), ("b", b)])
    # b's copy of $node is a's (same rec group shape): one struct type for both.
    structs = [t for t in result.module.types if type(t.comp).__name__ == "StructType"]
    assert len(structs) == 2 and len(result.module.tags) == 1
    config = wasmtime.Config()
    for feature in ("gc", "function_references", "exceptions", "tail_call"):
        setattr(config, f"wasm_{feature}", True)
    store = wasmtime.Store(wasmtime.Engine(config))
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, result.data), [])
    assert _call(store, instance, "run", 41) == 41


def test_corrupted_inputs_give_our_errors_never_tracebacks():
    import random
    from wasmmerge.errors import WasmError
    provider = wat2wasm('(module (type (func (param i32) (result i32))) (func (export "f") (type 0) '
                        'local.get 0) (global (export "g") (mut i32) (i32.const 0)) (memory (export "m") 1 2) '
                        '(table (export "t") 1 funcref) (elem (i32.const 0) 0) (data (i32.const 1) "x"))')
    consumer = wat2wasm('(module (import "p" "f" (func $f (param i32) (result i32))) '
                        '(import "p" "g" (global (mut i32))) (import "p" "m" (memory 1)) '
                        '(func (export "run") (result i32) (call $f (i32.load (i32.const 0)))))')
    rng = random.Random(1234)
    for _ in range(400):
        which = rng.randrange(2)
        data = bytearray((provider, consumer)[which])
        data[rng.randrange(8, len(data))] = rng.randrange(256)
        inputs = [("p", provider), ("c", consumer)]
        inputs[which] = (inputs[which][0], bytes(data))
        try:
            merge(inputs)
        except WasmError:
            pass


def test_minimum_reached_by_an_earlier_start_function_is_checked_at_run_time():
    def grower(pages):
        start = f"(func $s (drop (memory.grow (i32.const {pages})))) (start $s)" if pages else ""
        return wat2wasm(f'(module (memory (export "mem") 1 8) {start})')
    needy = wat2wasm('(module (import "grower" "mem" (memory 3 8)) '
                     '(func (export "size") (result i32) memory.size))')
    store, instance = _instance(merge([("grower", grower(2)), ("needy", needy)]).data)
    assert _call(store, instance, "size") == 3
    with pytest.raises(wasmtime.Trap):  # grown too little: sequentially, needy is unlinkable
        _instance(merge([("grower", grower(1)), ("needy", needy)]).data)
    # Without a start function before the importer nothing can grow it: a link error.
    with pytest.raises(LinkError, match="minimum 1 is below the imported minimum 3"):
        merge([("grower", grower(0)), ("needy", needy)])


def test_import_matching_uses_subtyping():
    provider = wasmtime.wat2wasm('''(module
      (type $base (sub (func (result i32)))) (type $derived (sub $base (func (result i32))))
      (type $s (struct))
      (func (export "f") (type $derived) i32.const 1)
      (global (export "g") (ref $s) (struct.new $s))
      (global (export "m") (mut (ref null $s)) (ref.null $s)))''')

    def consumer(imports):
        return wasmtime.wat2wasm(f'''(module (type $base (sub (func (result i32)))) (type $s (struct))
          {imports})''')
    merge([("p", provider), ("c", consumer('(import "p" "f" (func (type $base))) '
                                           '(import "p" "g" (global (ref null $s)))'))])
    for bad, words in [('(import "p" "m" (global (mut (ref $s))))', "global type"),
                       ('(import "p" "m" (global (mut anyref)))', "global type"),
                       ('(import "p" "f" (func (result i64)))', "function type")]:
        with pytest.raises(LinkError, match=words):
            merge([("p", provider), ("c", consumer(bad))])


def test_benchmark_pair_merges_into_a_valid_module():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_merge.py"
    spec = importlib.util.spec_from_file_location("bench_merge", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    inputs = bench.generate_pair(0.1)
    result = merge(inputs, MergeOptions(export_conflicts="rename"))  # validated by ours
    wasm_validate(result.data, "--enable-multi-memory")
    assert len(result.module.memories) == 2 and not result.module.imports


def test_host_memory_passed_through_an_input_is_checked_where_the_importer_links():
    relay = wat2wasm('(module (import "env" "mem" (memory 1 10)) (export "mem" (memory 0)) '
                     '(data (i32.const 0) "relay"))')
    needy = wat2wasm('(module (import "relay" "mem" (memory 3 6)) (func (export "pages") (result i32) memory.size))')
    result = merge([("relay", relay), ("needy", needy)])
    # One import, its maximum lowered to needy's; the minimum is the host's business at run time.
    assert [(i.module, i.name, i.type.limits.min, i.type.limits.max) for i in result.module.imports] == \
        [("env", "mem", 1, 6)]
    for pages, ok in ((3, True), (2, False)):
        store = wasmtime.Store()
        memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(pages, 6)))
        module = wasmtime.Module(store.engine, result.data)
        if ok:
            instance = wasmtime.Instance(store, module, [memory])
            assert instance.exports(store)["pages"](store) == 3
        else:
            with pytest.raises(wasmtime.Trap):  # needy would not link: after relay's data
                wasmtime.Instance(store, module, [memory])
        assert memory.read(store, 0, 5) == b"relay"
    impossible = wat2wasm('(module (import "relay" "mem" (memory 11)))')
    with pytest.raises(LinkError, match="no size satisfies every importer"):
        merge([("relay", relay), ("needy", impossible)])
    shared = wat2wasm('(module (import "relay" "mem" (memory 1 10 shared)))')
    with pytest.raises(LinkError, match="shared"):
        merge([("relay", relay), ("needy", shared)])


def test_host_function_passed_on_is_checked_by_the_host_against_each_importer():
    relay = wasmtime.wat2wasm('''(module (type $base (sub (func))) (type $derived (sub $base (func)))
      (import "env" "f" (func (type $base))) (export "f" (func 0)))''')
    precise = wasmtime.wat2wasm('''(module (type $base (sub (func))) (type $derived (sub $base (func)))
      (import "relay" "f" (func (type $derived))))''')
    result = merge([("relay", relay), ("precise", precise)])
    # Two imports of the one host function, each with its importer's type.
    assert [(i.module, i.name, i.type) for i in result.module.imports] == [("env", "f", 0), ("env", "f", 1)]
    unrelated = wasmtime.wat2wasm('(module (import "relay" "f" (func (param i32))))')
    with pytest.raises(LinkError, match="function type"):
        merge([("relay", relay), ("unrelated", unrelated)])
