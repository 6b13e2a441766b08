"""The validator on hand-written modules: what it accepts, and what it says when it rejects."""

import functools
import importlib
import inspect
import random
import re
import subprocess
import sys

import pytest
import wasmtime

import wasmmerge
from wasmmerge.binary.code import decode_code
from wasmmerge.errors import DecodeError, ValidationError, WasmError
from wasmmerge.features import ALL, WASM2, WASM3
from wasmmerge.validator import validate_module


def wat(text: str) -> bytes:
    # wasmtime's assembler reads the 3.0 text format (GC, exceptions) that wabt 1.0.32 cannot.
    return wasmtime.wat2wasm(text)


def check(text: str, features=WASM3, decode_features=None):
    data = wat(text)
    module = wasmmerge.decode(data, features=decode_features or features)
    return validate_module(module, features)


def rejects(text: str, message: str, features=WASM3, decode_features=None) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check(text, features, decode_features)
    assert message in info.value.message, info.value.message
    return info.value


# -- accepted ------------------------------------------------------------------------------

def test_accepts_a_module_using_most_3_0_features():
    check("""
    (module
      (rec (type $node (sub (struct (field $next (mut (ref null $node))) (field $val i32)))))
      (type $leaf (sub final $node (struct (field (mut (ref null $node))) (field i32) (field i64))))
      (type $bytes (array (mut i8)))
      (type $fn (func (param i32) (result i32)))
      (tag $oops (param i32))
      (memory $m0 1)
      (memory $m1 i64 1)
      (table $t 2 funcref)
      (table $t64 i64 1 (ref null $fn))
      (global $g i32 (i32.add (i32.const 1) (i32.const 2)))
      (global $h (ref null $node) (struct.new $node (ref.null $node) (global.get $g)))
      (data $d "abc")
      (elem declare func $inc)
      (func $inc (type $fn) (i32.add (local.get 0) (i32.const 1)))
      (func (export "run") (param $p i32) (result i32)
        (local $n (ref $node))
        (local.set $n (struct.new $node (ref.null $node) (local.get $p)))
        (drop (struct.get $node $val (local.get $n)))
        (drop (ref.test (ref $leaf) (local.get $n)))
        (drop (array.len (array.new_data $bytes $d (i32.const 0) (i32.const 3))))
        (drop (i64.load $m1 offset=0x100000000 (i64.const 0)))
        (i32.store8 $m0 (i32.const 0) (i32.const 7))
        (drop (i32x4.extract_lane 3 (v128.const i32x4 1 2 3 4)))
        (block $caught (result i32)
          (try_table (catch $oops $caught)
            (throw $oops (local.get $p)))
          (i32.const 0))
        (drop)
        (block $done (result (ref $node))
          (br_on_cast $done (ref null $node) (ref $node) (local.get $n))
          (unreachable))
        (drop)
        (call_ref $fn (local.get $p) (ref.func $inc))
        (return_call $inc)))
    """)


def test_accepts_unreachable_code_with_polymorphic_stack():
    check("""(module (func (result i32 f64)
        unreachable i32.add drop br_table 0 0 select unreachable ref.as_non_null drop
        i32.const 1 f64.const 2))""")


def test_function_with_very_many_locals_is_checked_without_expanding_them():
    data = bytearray(wat("(module (func (local i32) (local f64)))"))
    # Patch the body by hand: 200,000 i32 locals then one f64, reading the last one.
    from wasmmerge.binary import leb
    module = wasmmerge.decode(bytes(data))
    module.codes[0].locals = [(200_000, wasmmerge.binary.types.I32), (1, wasmmerge.binary.types.F64)]
    module.codes[0].body = b"\x20" + leb.write_unsigned(200_000) + b"\x1a\x0b"
    validate_module(module)
    module.codes[0].body = b"\x20" + leb.write_unsigned(200_001) + b"\x1a\x0b"
    with pytest.raises(ValidationError, match="unknown local 200001"):
        validate_module(module)


def test_deep_subtype_chains_and_huge_counts_stay_cheap():
    from wasmmerge.binary.model import Module
    from wasmmerge.binary.types import StructType, SubType
    depth = 30_000
    types = [SubType(StructType(), (i - 1,) if i else (), final=False) for i in range(depth)]
    ctx = validate_module(Module(types=types))
    assert ctx.store.is_subtype(ctx.type_ids[-1], ctx.type_ids[0])
    assert not ctx.store.is_subtype(ctx.type_ids[0], ctx.type_ids[-1])
    # array.new_fixed's count is a u32: after `unreachable` it must not pop 2^32 values.
    check("(module (type $a (array i32)) (func (result anyref) unreachable array.new_fixed $a 4294967295))")
    rejects("(module (type $a (array i32)) (func (result anyref) (array.new_fixed $a 3 (i32.const 1))))",
            "type mismatch")


def test_threads_and_legacy_exceptions_are_checked_under_all():
    check("""(module (memory 1 1 shared)
        (func (result i32) (i32.atomic.rmw.add (i32.const 0) (i32.const 1))))""", ALL)
    rejects("""(module (memory 1 1 shared)
        (func (result i32) (i32.atomic.load align=2 (i32.const 0))))""", "alignment must be exactly natural", ALL)
    rejects("(module (memory 1 shared))", "shared memory must have maximum", ALL)
    check("""(module (tag $e (param i32))
        (func (result i32) try (result i32) i32.const 1 catch $e catch_all i32.const 2 end))""", ALL)
    rejects("(module (func (block (rethrow 0))))", "invalid rethrow label", ALL)


def test_every_instruction_of_the_opcode_table_has_a_typing_rule():
    from wasmmerge.binary.opcodes import ALL_OPS
    from wasmmerge.validator.func import ADDRESSED, FIXED
    from wasmmerge.validator.instructions import HANDLERS
    untyped = [op.name for op in ALL_OPS if op not in FIXED and op not in ADDRESSED and op.name not in HANDLERS]
    assert untyped == []
    # Fixed signatures come from the table, never from a handler as well.
    assert not [op.name for op in ALL_OPS if op.name in HANDLERS and op.params is not None]


# -- rejected, with the spec's wording and a location -----------------------------------------

def test_type_mismatch_names_the_instruction_offset_and_function():
    text = "(module (func) (func (result i32) (i64.const 1) (i32.eqz)))"
    err = rejects(text, "type mismatch: instruction requires [i32] but stack has [i64]")
    module = wasmmerge.decode(wat(text))
    eqz = decode_code(module.codes[1])[1]
    assert (err.func, err.offset) == (1, eqz.offset)
    assert str(err).endswith(f"(at offset {eqz.offset:#x}) [in function 1]")


@pytest.mark.parametrize("text,message", [
    ("(module (func (call 7)))", "unknown function 7"),
    ("(module (func (local.get 2)))", "unknown local 2"),
    ("(module (func (br 1)))", "unknown label 1"),
    ("(module (func (drop (global.get 0))))", "unknown global 0"),
    ("(module (func (drop (table.size 0))))", "unknown table 0"),
    ("(module (func (drop (i32.load (i32.const 0)))))", "unknown memory 0"),
    ("(module (func (elem.drop 4)))", "unknown elem segment 4"),
    ("(module (memory 1) (func (data.drop 1)) (data \"\"))", "unknown data segment 1"),
    ("(module (func (throw 0)))", "unknown tag 0"),
    ("(module (memory 1) (func (drop (i64.load align=16 (i32.const 0)))))",
     "alignment must not be larger than natural"),
    ("(module (func (result i32) (i32x4.extract_lane 4 (v128.const i64x2 0 0))))", "invalid lane index"),
    ("(module (global i32 (i32.const 0)) (global i32 (global.get 1)))", "unknown global 1"),
    ("(module (global $m (mut i32) (i32.const 0)) (global i32 (global.get $m)))", "constant expression required"),
    ("(module (global i32 (i32.clz (i32.const 0))))", "constant expression required"),
    ("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))", "global is immutable"),
    ("(module (func (drop (ref.func 0))))", "undeclared function reference"),
    ("(module (func (export \"a\")) (export \"a\" (func 0)))", "duplicate export name"),
    ("(module (func (param i32)) (start 0))", "start function"),
    ("(module (memory 2 1))", "size minimum must not be greater than maximum"),
    ("(module (memory 65537))", "memory size must be at most 65536 pages (4GiB)"),
    ("(module (table 0 (ref func)))", "type mismatch"),
    ("(module (func (local (ref func)) (drop (local.get 0))))", "uninitialized local 0"),
    ("(module (type (struct)) (type (sub 0 (struct))))", "sub type"),
    ("(module (type (sub (struct (field i32)))) (type (sub 0 (struct (field i64)))))", "sub type"),
    ("(module (type $a (array i8)) (func (array.set $a (ref.null $a) (i32.const 0) (i32.const 0))))",
     "immutable array"),
    ("(module (type $s (struct (field i32))) (func (struct.set $s 0 (ref.null $s) (i32.const 0))))",
     "immutable field"),
    ("(module (tag (result i32)))", "non-empty tag result type"),
    ("(module (func (select (i32.const 0) (i64.const 0) (i32.const 0)) (drop)))", "type mismatch"),
    ("(module (func (result i32) (block (result i32) (i32.const 0) (i32.const 1))))", "type mismatch"),
])
def test_rejections_use_the_spec_wording(text, message):
    rejects(text, message)


def test_features_off_are_rejected_not_accepted():
    rejects("(module (memory 1) (memory 1))", "multiple memories", WASM2)
    check("(module (memory 1) (memory 1))", WASM3)
    # The validator does not rely on the decoder to refuse instructions of other proposals.
    rejects("(module (func return_call 0))", "return_call requires the tail-call feature", WASM2, ALL)
    rejects("(module (func (result i32) (atomic.fence) (i32.const 0)))", "requires the threads feature",
            WASM3, ALL)
    rejects("(module (memory i64 1))", "requires the memory64 feature", WASM2, ALL)
    rejects("(module (type (struct)))", "requires the gc feature", WASM2, ALL)
    rejects("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))", "constant expression required", WASM2, ALL)


def test_public_validate_is_a_plain_function():
    data = wat("(module (func (result i32) (i32.const 1)))")
    assert wasmmerge.validate(data).funcs
    assert wasmmerge.validate(wasmmerge.decode(data), features=WASM2).funcs
    with pytest.raises(ValidationError):
        wasmmerge.validate(wat("(module (func (result i32)))"))
    assert inspect.isfunction(wasmmerge.validate)
    importlib.import_module("wasmmerge.validator")  # importing the package must not rebind the verb
    assert inspect.isfunction(wasmmerge.validate)


# -- robustness and agreement with an independent validator --------------------------------------

def _suite_modules(version="wasm-3.0", limit=400):
    from conftest import suite_dir
    import json
    root = suite_dir(version)
    out = []
    for script in sorted(root.glob("*/*.json")):
        for cmd in json.loads(script.read_text())["commands"]:
            if cmd["type"] == "module":
                out.append((script.parent / cmd["filename"]).read_bytes())
    rng = random.Random(7)
    rng.shuffle(out)
    return out[:limit]


# Edge cases of the typing rules (polymorphic stacks, casts, local initialisation, segment
# and table typing, subtyping declarations), each judged by wasmtime as the oracle.
EDGE_CASES = [
 "(func (result i32) unreachable ref.as_non_null i32.add)",
 "(func (result i32) unreachable ref.as_non_null)",
 "(func (result (ref any)) unreachable any.convert_extern)",
 "(func (result (ref extern)) unreachable extern.convert_any)",
 "(func (result (ref any)) unreachable br_on_null 0)",
 "(func (result i32) unreachable br_on_null 0 drop i32.const 0)",
 "(func (param anyref) (result anyref) local.get 0 br_on_non_null 0 ref.null any)",
 "(func (param anyref) (result (ref any)) local.get 0 br_on_non_null 0 unreachable)",
 "(func (result i32) unreachable br_on_non_null 0)",
 "(func (result i32 anyref) unreachable br_on_non_null 0)",
 "(func (param i31ref) (result (ref eq)) local.get 0 br_on_cast 0 i31ref (ref i31) unreachable)",
 "(func (param i31ref) (result (ref null i31)) block (result (ref i31)) local.get 0 br_on_cast_fail 1 i31ref (ref i31) end)",
 "(func (param anyref) (result (ref null i31)) block (result (ref i31)) local.get 0 br_on_cast_fail 1 anyref (ref i31) end)",
 "(func (param externref) (result i32) local.get 0 ref.test (ref any))",
 "(func (param nullref) (result i32) local.get 0 ref.test (ref struct))",
 "(func (param nullfuncref) (result i32) local.get 0 ref.test (ref func))",
 "(func (param nullfuncref) (result i32) local.get 0 ref.test (ref any))",
 "(func (result i32) unreachable ref.test (ref any))",
 "(func (result i32) unreachable select)",
 "(func (result funcref) unreachable select)",
 "(func (result i32) unreachable ref.as_non_null select)",
 "(func (param (ref func)) (result i32) local.get 0 local.get 0 i32.const 1 select drop i32.const 0)",
 "(func (local (ref func)) block local.get 0 drop end)",
 "(func (local (ref func)) (local.set 0 (ref.func 0)) block local.get 0 drop end)",
 "(func (local (ref func)) block (local.set 0 (ref.func 0)) end local.get 0 drop) (elem declare func 0)",
 "(func (local (ref func)) (local.set 0 (ref.func 0)) block local.get 0 drop end) (elem declare func 0)",
 "(func (param i32) (local (ref func)) local.get 0 if (local.set 1 (ref.func 0)) else end local.get 1 drop) (elem declare func 0)",
 "(func (result i32) unreachable ref.is_null)",
 "(func (result i32) i32.const 0 ref.is_null)",
 "(func unreachable ref.eq drop)",
 "(func (result i32) unreachable i31.get_s)",
 "(func unreachable unreachable br_table 0 0)",
 "(func (result i32) (block (result i32) unreachable br_table 0 1))",
 "(func (result f32) (block (result i32) unreachable br_table 0 1) drop f32.const 0)",
 "(type $t (func)) (func (type $t) unreachable call_ref $t)",
 "(type $t (func (result i32))) (func (result i32) unreachable return_call_ref $t)",
 "(type $t (func (result i64))) (func (result i32) unreachable return_call_ref $t)",
 "(func (result i32) unreachable return_call 0)",
 "(func (result f32) i32.const 0 if (result f32) f32.const 0 end)",
 "(func (param i32) (result i32) local.get 0 local.get 0 if (param i32) (result i32) end)",
 "(func (param i32) (result i32) local.get 0 local.get 0 if (param i32) (result i64) end drop i32.const 0)",
 "(global (ref null func) (ref.null func)) (func (result funcref) global.get 0)",
 "(table 1 funcref) (func (result i32) (call_indirect (result i32) (i32.const 0)))",
 "(table 1 externref) (func (call_indirect (i32.const 0)))",
 "(type $s (struct (field i8))) (func (param (ref $s)) (result i32) local.get 0 struct.get $s 0)",
 "(type $s (struct (field i8))) (func (param (ref $s)) (result i32) local.get 0 struct.get_u $s 0)",
 "(type $s (struct (field i32))) (func (param (ref $s)) (result i32) local.get 0 struct.get_u $s 0)",
 "(type $s (struct (field i32))) (func (param (ref null $s)) (result i32) local.get 0 struct.get $s 0)",
 "(type $a (array (mut i32))) (type $b (array (mut i8))) (func (param (ref $a) (ref $b)) local.get 0 i32.const 0 local.get 1 i32.const 0 i32.const 0 array.copy $a $b)",
 "(type $a (array (mut anyref))) (type $b (array (mut eqref))) (func (param (ref $a) (ref $b)) local.get 0 i32.const 0 local.get 1 i32.const 0 i32.const 0 array.copy $a $b)",
 "(type $a (array (mut anyref))) (type $b (array (mut eqref))) (func (param (ref $a) (ref $b)) local.get 1 i32.const 0 local.get 0 i32.const 0 i32.const 0 array.copy $b $a)",
 "(type $a (array (mut funcref))) (elem $e funcref) (func (param (ref $a)) local.get 0 i32.const 0 i32.const 0 i32.const 0 array.init_elem $a $e)",
 "(type $a (array (mut (ref func)))) (elem $e funcref) (func (param (ref $a)) local.get 0 i32.const 0 i32.const 0 i32.const 0 array.init_elem $a $e)",
 "(type $a (array (mut (ref func)))) (elem $e func) (func (param (ref $a)) local.get 0 i32.const 0 i32.const 0 i32.const 0 array.init_elem $a $e)",
 "(type $a (array (mut v128))) (data $d \"\") (func (param (ref $a)) local.get 0 i32.const 0 i32.const 0 i32.const 0 array.init_data $a $d)",
 "(type $a (array (mut funcref))) (data $d \"\") (func (param (ref $a)) local.get 0 i32.const 0 i32.const 0 i32.const 0 array.init_data $a $d)",
 "(type $a (array i32)) (global (ref $a) (array.new_fixed $a 2 (i32.const 1) (i32.const 2)))",
 "(global i32 (i32.const 1)) (global i32 (global.get 0))",
 "(global (mut i32) (i32.const 1)) (global i32 (global.get 0))",
 "(global i32 (global.get 1)) (global i32 (i32.const 1))",
 "(global $g (import \"a\" \"b\") (mut i32)) (memory 1) (data (global.get $g) \"\")",
 "(table 1 (ref null func) (ref.func 0)) (func)",
 "(table 1 (ref func) (ref.func 0)) (func)",
 "(global i32 (i32.const 0)) (table 1 funcref (global.get 0))",
 "(global funcref (ref.null func)) (table 1 funcref (global.get 0))",
 "(import \"a\" \"g\" (global funcref)) (table 1 funcref (global.get 0))",
 "(elem (i32.const 0) funcref (ref.null func)) (table 1 (ref null func))",
 "(elem (i32.const 0) externref (ref.null extern)) (table 1 funcref)",
 "(type $t (func)) (elem (i32.const 0) (ref $t) (ref.func 0)) (table 1 funcref) (func (type $t))",
 "(type $t (func)) (elem (i32.const 0) funcref (ref.func 0)) (table 1 (ref null $t)) (func (type $t))",
 "(type $t (func)) (table 1 (ref null $t)) (elem (table 0) (i32.const 0) func 0) (func (type $t))",
 "(func (param v128) (result v128) local.get 0 local.get 0 i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31)",
 "(memory 1) (func (param v128) (result v128) i32.const 0 local.get 0 v128.load8_lane 15)",
 "(memory 1) (func (result i32) i32.const 0 i32.load offset=4294967295)",
 "(memory i64 1) (func (result i32) i64.const 0 i32.load offset=4294967296)",
 "(memory 1) (memory i64 1) (func i32.const 0 i64.const 0 i32.const 0 memory.copy 0 1)",
 "(memory 1) (memory i64 1) (func i64.const 0 i32.const 0 i32.const 0 memory.copy 1 0)",
 "(memory 1) (memory i64 1) (func i64.const 0 i32.const 0 i64.const 0 memory.copy 1 0)",
 "(table 1 funcref) (table i64 1 funcref) (func i32.const 0 i64.const 0 i32.const 0 table.copy 0 1)",
 "(table 1 funcref) (table i64 1 funcref) (func i32.const 0 i64.const 0 i64.const 0 table.copy 0 1)",
 "(tag $e (param i32)) (func (result i32 exnref) (block $l (result i32 exnref) (try_table (catch_ref $e $l) nop) unreachable))",
 "(tag $e (param i32)) (func (result i32 (ref exn)) (block $l (result i32 (ref exn)) (try_table (catch_ref $e $l) nop) unreachable))",
 "(tag $e (param i32)) (func (result i32 (ref null exn)) (block $l (result i32 (ref null exn)) (try_table (catch_all_ref $l) nop) unreachable))",
 "(tag $e (param i32)) (func (result exnref) (block $l (result exnref) (try_table (catch_all_ref $l) nop) unreachable))",
 "(tag $e (param i32)) (func (result i32) (try_table (result i32) (catch $e 0) (i32.const 0)))",
 "(tag $e (param i64)) (func (result i32) (try_table (result i32) (catch $e 0) (i32.const 0)))",
 "(type $f (func (param i32))) (tag $e (type $f)) (func (param (ref $f)) local.get 0 drop)",
 "(rec (type $a (sub (struct (field (ref null $b))))) (type $b (sub (struct (field (ref null $a))))))  (type $c (sub $a (struct (field (ref null $b)) (field i32))))",
 "(rec (type $a (sub (struct))) (type $b (sub $a (struct))))",
 "(rec (type $b (sub $a (struct))) (type $a (sub (struct))))",
 "(type $a (sub (func (param anyref) (result eqref)))) (type $b (sub $a (func (param eqref) (result i31ref))))",
 "(type $a (sub (func (param eqref) (result eqref)))) (type $b (sub $a (func (param anyref) (result i31ref))))",
 "(type $a (sub (func (param anyref) (result i31ref)))) (type $b (sub $a (func (param anyref) (result eqref))))",
 "(type $t (sub (struct))) (func (param (ref $t)) (result (ref struct)) local.get 0)",
 "(type $t (sub (func))) (func (param (ref $t)) (result (ref struct)) local.get 0)",
 "(type $t (func)) (func (param (ref $t)) (result funcref) local.get 0)",
 "(type $t (func)) (func (param nullfuncref) (result (ref null $t)) local.get 0)",
 "(type $t (func)) (func (param nullref) (result (ref null $t)) local.get 0)",
 "(type $t (array i8)) (func (param nullref) (result (ref null $t)) local.get 0)",
 "(type $t (array i8)) (func (param (ref none)) (result (ref $t)) local.get 0)",
 "(func (param exnref) (result (ref null noexn)) local.get 0)",
 "(func (param nullexnref) (result exnref) local.get 0)",
 "(func (param i32) (result i32) local.get 0 (block (param i32) (result i32)) )",
 "(func (result i32) (loop (result i32) (br 0)) )",
 "(func (result i32) (loop (result i32) (br 1 (i32.const 0))) )",
 "(func (result i32) (loop (param i32) (result i32) (br 0)) )",
 "(func (param i32) (result i32) (local.get 0) (loop (param i32) (result i32) (br 0)) )",
 "(func (param i32) (result i32) (local.get 0) (loop (param i32) (result i32) (br_if 0 (i32.const 1))) )",
]


@pytest.mark.parametrize("fields", EDGE_CASES)
def test_edge_case_verdicts_agree_with_wasmtime(fields):
    data = wat(f"(module {fields})")
    try:
        validate_module(wasmmerge.decode(data, features=WASM3), WASM3)
        ours = None
    except ValidationError as err:
        ours = err
    try:
        wasmtime.Module.validate(_wasmtime_engine(), data)
        theirs = None
    except Exception as err:  # wasmtime's own error type
        theirs = err
    assert (ours is None) == (theirs is None), f"ours: {ours}; wasmtime: {theirs}"


# Threads and legacy exception handling, judged by wabt's wasm-validate (wasmtime has no
# legacy exceptions).
WABT_EDGE_CASES = [
 "(tag $e (param i32)) (func (result i32) try (result i32) i32.const 1 catch $e catch_all i32.const 2 end)",
 "(tag $e (param i32)) (func (result i32) try (result i32) i32.const 1 catch $e i32.const 1 i32.add end)",
 "(tag $e (param i32)) (func (result i32) try (result i32) i32.const 1 catch_all catch $e end)",
 "(tag $e (param i32)) (func try catch $e drop rethrow 0 end)",
 "(tag $e (param i32)) (func try catch $e drop block rethrow 1 end end)",
 "(tag $e (param i32)) (func try catch $e drop block rethrow 0 end end)",
 "(tag $e (param i32)) (func try rethrow 0 catch $e drop end)",
 "(tag $e (param i32)) (func try catch_all rethrow 0 end)",
 "(func block try nop delegate 0 end)",
 "(func try nop delegate 0)",
 "(func try nop delegate 1)",
 "(func try nop delegate 2)",
 "(func block try nop delegate 1 end)",
 "(func (result i32) try (result i32) i32.const 0 delegate 0)",
 "(func (result i32) try (result i32) delegate 0)",
 "(func try catch_all end)",
 "(func try end)",
 "(func (param i32) (result i32) local.get 0 try (param i32) (result i32) end)",
 "(tag $e (param i64)) (func (result i64) try (result i64) i64.const 0 catch $e end)",
 "(tag $e (param i64)) (func (result i32) try (result i32) i32.const 0 catch $e end)",
 "(tag $e (param i32) (result i32))",
 "(tag $e (param i32)) (func (param i32) local.get 0 throw $e)",
 "(tag $e (param i32)) (func (param i64) local.get 0 throw $e)",
 "(memory 1 1 shared) (func (result i32) i32.const 0 i32.atomic.load)",
 "(memory 1 1) (func (result i32) i32.const 0 i32.atomic.load)",
 "(memory 1 1 shared) (func (result i32) i32.const 0 i32.atomic.load align=2)",
 "(memory 1 1 shared) (func (result i32) i32.const 0 i32.atomic.load align=1)",
 "(memory 1 1 shared) (func (result i32) i32.const 0 i32.const 0 i64.const 0 memory.atomic.wait32)",
 "(memory 1 1 shared) (func (result i32) i32.const 0 i64.const 0 i64.const 0 memory.atomic.wait64)",
 "(memory 1 1 shared) (func (result i32) i32.const 0 i32.const 0 memory.atomic.notify)",
 "(memory 1 1 shared) (func (result i64) i32.const 0 i64.const 0 i64.const 1 i64.atomic.rmw32.cmpxchg_u)",
 "(memory 1 1 shared) (func (result i64) i32.const 0 i64.const 0 i64.const 1 i64.atomic.rmw32.cmpxchg_u align=8)",
 "(func atomic.fence)",
 "(func (result i32) i32.const 0 i32.atomic.load)",
 "(memory 1 shared)",
 "(memory 1 2 shared)",
 "(import \"a\" \"m\" (memory 1 2 shared))",
]
LEGACY_FEATURES = WASM2 | {"threads", "exceptions", "legacy-exceptions"}


@pytest.mark.parametrize("fields", WABT_EDGE_CASES)
def test_threads_and_legacy_verdicts_agree_with_wabt(fields, tmp_path):
    import shutil
    if shutil.which("wasm-validate") is None or shutil.which("wat2wasm") is None:
        pytest.fail("wabt not found: run `make test`, which installs it")
    # --no-check: assemble invalid modules too, so that only the validators judge them.
    assembled = subprocess.run(["wat2wasm", "--enable-all", "--no-check", "-", "--output=-"],
                               input=f"(module {fields})".encode(), capture_output=True)
    assert assembled.returncode == 0, assembled.stderr.decode()
    data = assembled.stdout
    try:
        validate_module(wasmmerge.decode(data, features=LEGACY_FEATURES), LEGACY_FEATURES)
        ours = None
    except ValidationError as err:
        ours = err
    path = tmp_path / "m.wasm"
    path.write_bytes(data)
    wabt = subprocess.run(["wasm-validate", "--enable-threads", "--enable-exceptions", str(path)],
                          capture_output=True, text=True)
    assert (ours is None) == (wabt.returncode == 0), f"ours: {ours}; wabt: {wabt.stderr.strip()}"


def test_mutated_modules_give_our_errors_only():
    """Byte flips in valid modules: decode or validation may fail, but only with our errors."""
    rng = random.Random(1)
    outcomes = {"valid": 0, "malformed": 0, "invalid": 0}
    for data in _suite_modules(limit=300):
        if len(data) <= 8:
            continue
        for _ in range(4):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                mutated[rng.randrange(8, len(mutated))] = rng.randrange(256)
            try:
                module = wasmmerge.decode(bytes(mutated), features=WASM3)
            except DecodeError:
                outcomes["malformed"] += 1
                continue
            try:
                validate_module(module, WASM3)
                outcomes["valid"] += 1
            except WasmError:
                outcomes["invalid"] += 1
    assert outcomes["invalid"] > 50 and outcomes["valid"] > 50, outcomes


@functools.cache
def _wasmtime_engine():
    config = wasmtime.Config()
    for feature in ("gc", "function_references", "exceptions", "memory64", "multi_memory",
                    "tail_call", "relaxed_simd", "simd", "bulk_memory", "reference_types"):
        setattr(config, f"wasm_{feature}", True)
    return wasmtime.Engine(config)


def test_verdicts_agree_with_wasmtime_on_mutated_bodies():
    """Instructions inserted, deleted and replaced in suite functions: same verdict as wasmtime."""
    from wasmmerge.binary.code import Instr, encode_instrs
    from wasmmerge.binary.model import Code
    from wasmmerge.binary.opcodes import ALL_OPS
    engine = _wasmtime_engine()
    rng = random.Random(3)
    simple = [op for op in ALL_OPS if op.feature in WASM3 and set(op.imms) <= {"local", "global", "func", "i32", "label"}
              and op.name not in ("end", "else")]
    compared = 0
    problems = []
    for data in _suite_modules(limit=250):
        module = wasmmerge.decode(data, features=WASM3)
        if not module.codes:
            continue
        index = rng.randrange(len(module.codes))
        code = module.codes[index]
        body = decode_code(code, module.datacount is not None)
        op = rng.choice(simple)
        new = Instr(op, tuple(rng.choice((0, 0, 1, 2)) for _ in op.imms), 0)
        position = rng.randrange(len(body))
        if rng.random() < 0.5 or body[position].op.name in ("end", "else", "block", "loop", "if", "try_table"):
            body.insert(position, new)
        else:
            body[position] = new
        module.codes[index] = Code(code.locals, encode_instrs(body), 0)
        mutated = wasmmerge.encode(module)
        try:
            validate_module(wasmmerge.decode(mutated, features=WASM3), WASM3)
            ours = None
        except WasmError as err:
            ours = err
        try:
            wasmtime.Module.validate(engine, mutated)
            theirs = None
        except Exception as err:  # wasmtime's own error type
            theirs = err
        compared += 1
        if (ours is None) != (theirs is None):
            problems.append(f"ours: {ours}; wasmtime: {str(theirs).splitlines()[0] if theirs else 'valid'}")
    assert compared > 150
    assert not problems, "\n".join(problems)


# -- command line ----------------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "wasmmerge", "validate", *args], capture_output=True, text=True)


def test_cli_reports_one_line_per_problem(tmp_path):
    good = tmp_path / "good.wasm"
    good.write_bytes(wat("(module (func (result i32) (i32.const 1)))"))
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(wat("(module (func (result i32) (i64.const 1)))"))
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(b"\0asm\1\0\0\0\1\5")
    missing = tmp_path / "missing.wasm"
    ok = run_cli(str(good))
    assert ok.returncode == 0 and ok.stdout == "" and ok.stderr == ""
    result = run_cli(str(good), str(bad), str(broken), str(missing))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and result.stdout == "", result.stderr
    # wasmmerge: error: FILE:0xOFFSET: message [in function N] (docs/cli.md)
    assert re.fullmatch(rf"wasmmerge: error: {re.escape(str(bad))}:0x[0-9a-f]+: type mismatch.* \[in function 0\]",
                        lines[0]), lines[0]
    assert lines[1].startswith(f"wasmmerge: error: {broken}:0x")
    assert lines[2] == f"wasmmerge: error: {missing}: No such file or directory"
    assert "Traceback" not in result.stderr


def test_cli_features_option(tmp_path):
    two_memories = tmp_path / "m.wasm"
    two_memories.write_bytes(wat("(module (memory 1) (memory 1))"))
    assert run_cli(str(two_memories)).returncode == 0
    result = run_cli("--features", "2.0", str(two_memories))
    assert result.returncode == 1 and "multiple memories" in result.stderr


def test_parallel_body_check_reports_the_first_invalid_function():
    """Forced onto worker processes, the error is the one a sequential check gives."""
    from wasmmerge import decode
    from wasmmerge.binary.model import Code
    from wasmmerge.validator import validate_module
    from conftest import wat2wasm
    funcs = "".join(f"(func (param i32) (result i32) local.get 0 i32.const {i} i32.add)" for i in range(40))
    module = decode(wat2wasm(f"(module {funcs})"))
    validate_module(module, jobs=2)
    module.codes[25] = Code([], b"\x6a\x0b")  # i32.add on an empty stack
    module.codes[31] = Code([], b"\x1a\x0b")
    errors = []
    for jobs in (1, 2, 3):
        try:
            validate_module(module, jobs=jobs)
        except ValidationError as err:
            errors.append(str(err))
    assert len(errors) == 3 and len(set(errors)) == 1
    assert "[in function 25]" in errors[0]
