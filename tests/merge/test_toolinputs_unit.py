"""Unit tests for the merge steps toolchain inputs need: shared host imports (limits
combined), unused tables dropped, overlapping data, WASI entry points, `--target`
profiles, and the refusals of inputs we cannot merge (objects, unknown dylink formats)."""

import re
import subprocess
import sys

import pytest
import wasmtime

import bytedsl as b
from conftest import wat2wasm
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.types import MEMORY_KIND, TABLE_KIND, Limits
from wasmmerge.custom import target_features
from wasmmerge.errors import LinkError, Unsupported
from wasmmerge.merger import MergeOptions, merge
from wasmmerge.merger.report import format_text
from wasmmerge.merger.shared_imports import combine_limits


def _merge(*wats, assembler=wat2wasm, **options):
    return merge([(f"m{k}", assembler(w)) for k, w in enumerate(wats)], MergeOptions(**options))


def _imports(result, kind):
    return [imp for imp in decode_module(result.data, lazy=True).imports if imp.kind == kind]


# -- shared host imports --------------------------------------------------------------

@pytest.mark.parametrize("first, second, expected", [
    (Limits(2), Limits(5), Limits(5)),                      # largest minimum
    (Limits(2, 10), Limits(5), Limits(5, 10)),              # a maximum is kept
    (Limits(2, 10), Limits(1, 6), Limits(2, 6)),            # smallest maximum
    (Limits(3, 3), Limits(3, 8), Limits(3, 3)),             # exactly one size fits
    (Limits(1, None, True), Limits(4, None, True), Limits(4, None, True)),  # 64-bit
    (Limits(1, 4, False, True), Limits(2, 9, False, True), Limits(2, 4, False, True)),  # shared
])
def test_limits_combine(first, second, expected):
    assert combine_limits("env.memory", first, second) == expected
    assert combine_limits("env.memory", second, first) == expected


@pytest.mark.parametrize("first, second, message", [
    (Limits(5), Limits(1, 4), "no size satisfies every importer (at least 5, at most 4)"),
    (Limits(1, 2), Limits(3, 8), "no size satisfies every importer (at least 3, at most 2)"),
    (Limits(1), Limits(1, None, True), "imported as 32-bit and as 64-bit"),
    (Limits(1, 2, False, True), Limits(1, 2), "imported both shared and not shared"),
])
def test_limits_that_cannot_combine(first, second, message):
    with pytest.raises(LinkError, match="import env.memory: " + message.replace("(", r"\(").replace(")", r"\)")):
        combine_limits("env.memory", first, second)


def test_two_inputs_importing_env_memory_get_one_import():
    result = _merge('(module (import "env" "memory" (memory 2 10)) (func (export "a") (result i32) (memory.size)))',
                    '(module (import "env" "memory" (memory 5)) (func (export "b") (result i32) (memory.size)))')
    (memory,) = _imports(result, MEMORY_KIND)
    assert (memory.module, memory.name, memory.type.limits) == ("env", "memory", Limits(5, 10))
    assert "memory env.memory" in format_text(result.report)


def test_tables_globals_and_tags_by_one_name_are_one_import():
    result = _merge('(module (import "env" "t" (table 1 funcref)) (import "env" "g" (global i32))'
                    ' (import "env" "e" (tag (param i32))))',
                    '(module (import "env" "t" (table 4 8 funcref)) (import "env" "g" (global i32))'
                    ' (import "env" "e" (tag (param i32))))')
    imports = decode_module(result.data, lazy=True).imports
    assert [(i.name, i.kind) for i in imports] == [("t", TABLE_KIND), ("g", 3), ("e", 4)]
    assert imports[0].type.limits == Limits(4, 8)


@pytest.mark.parametrize("first, second, message", [
    ('(table 1 funcref)', '(table 1 externref)', "imported as a table of funcref and of externref"),
    ('(global i32)', '(global i64)', "imported as global (i32) and as global (i64)"),
    ('(global (mut i32))', '(global i32)', "imported as global (mut i32) and as global (i32)"),
    ('(tag (param i32))', '(tag (param i64))', "imported as tags of types"),
    ('(memory 1 2)', '(memory 3)', "no size satisfies every importer (at least 3, at most 2)"),
    ('(memory 1 2 shared)', '(memory 1 2)', "imported both shared and not shared"),
])
def test_one_name_two_incompatible_types_is_an_error(first, second, message):
    with pytest.raises(LinkError, match=f"import env.x: {re.escape(message)}.*imported by m0, m1"):
        _merge(f'(module (import "env" "x" {first}))', f'(module (import "env" "x" {second}))')


def test_immutable_reference_globals_keep_the_more_precise_type():
    # wabt 1.0.32 cannot assemble typed references: wasmtime's assembler can.
    result = _merge('(module (type $f (func)) (import "env" "g" (global (ref null $f))))',
                    '(module (import "env" "g" (global funcref)))', assembler=wasmtime.wat2wasm)
    (g,) = [i for i in decode_module(result.data, lazy=True).imports if i.name == "g"]
    assert "null" in str(g.type.type) and g.type.type.heap != "func"


# -- unused tables ----------------------------------------------------------------------

USED_TABLE = ('(module (type $v (func)) (table 2 funcref) (elem (i32.const 0) $f) (func $f)'
              ' (func (export "go") (call_indirect (type $v) (i32.const 0))))')


def test_an_unused_empty_table_is_dropped_and_reported():
    result = _merge('(module (table $spare 1 1 funcref) (func (export "x")))', USED_TABLE)
    module = decode_module(result.data, lazy=True)
    assert module.count(TABLE_KIND) == 1 and module.tables[0].type.limits.min == 2
    assert result.report["dropped_tables"] == [{"module": "m0", "table": 0}]
    assert "dropped m0 table 0" in format_text(result.report)


@pytest.mark.parametrize("keeper", [
    '(module (table 1 funcref) (export "t" (table 0)))',                               # exported
    '(module (table 1 funcref) (func (export "n") (result i32) (table.size 0)))',      # an instruction
    '(module (table 1 funcref) (elem (i32.const 0) $f) (func $f))',                      # a segment
    '(module (type $v (func)) (table 1 funcref) (func (call_indirect (type $v) (i32.const 0))))',
])
def test_a_table_something_can_observe_stays(keeper):
    result = _merge(keeper, USED_TABLE)
    assert decode_module(result.data, lazy=True).count(TABLE_KIND) == 2
    assert result.report["dropped_tables"] == []


def test_a_dropped_table_moves_the_later_tables_and_their_names():
    result = _merge('(module (table $spare 1 funcref) (table $used 1 funcref) (elem (table $used) (i32.const 0) func $f)'
                    ' (func $f) (func (export "n") (result i32) (table.size $used)))', assembler=wasmtime.wat2wasm)
    module = decode_module(result.data, lazy=True)
    assert module.count(TABLE_KIND) == 1 and module.elems[0].table == 0
    text = wat_of(result.data)
    assert "$spare" not in text and "table.size $used" in text.replace("(;0;)", "")


def wat_of(data: bytes) -> str:
    return subprocess.run(["wasm2wat", "--enable-all", "-"], input=data, capture_output=True).stdout.decode()


# -- overlapping data -------------------------------------------------------------------

def test_overlapping_segments_of_two_inputs_warn_once_per_pair():
    result = _merge('(module (import "env" "memory" (memory 1)) (data (i32.const 100) "aaaaaaaaaa")'
                    ' (data (i32.const 200) "a"))',
                    '(module (import "env" "memory" (memory 1)) (data (i32.const 105) "bbbbbbbbbb")'
                    ' (data (i32.const 200) "bb"))')
    overlaps = [w for w in result.warnings if "overlap" in w]
    assert overlaps == ["data of m0 and m1 overlap in memory 0 at bytes 105..200 (0x69..0xc8): m1's bytes "
                        "overwrite m0's; their data layouts were not made for one shared memory"]


def test_own_overlaps_and_separate_memories_do_not_warn():
    result = _merge('(module (memory 1) (data (i32.const 0) "aaaa") (data (i32.const 2) "bb"))',
                    '(module (memory 1) (data (i32.const 0) "cccc"))')
    assert not [w for w in result.warnings if "overlap" in w]


# -- WASI entry points ------------------------------------------------------------------

REACTOR = '(module (global $n (mut i32) (i32.const 0)) (func (export "_initialize") (global.set $n (i32.const {v})))' \
          ' (func (export "get{v}") (result i32) (global.get $n)))'


def test_start_must_be_a_function_of_the_abi_type_to_count():
    result = _merge(REACTOR.format(v=1), '(module (func (export "_start") (param i32)))')
    exports = [e.name for e in decode_module(result.data, lazy=True).exports]
    assert "_initialize" in exports and "_start" in exports
    assert any("export '_start' has type [i32] -> []" in w for w in result.warnings)


def test_two_reactors_are_not_an_export_conflict():
    result = _merge(REACTOR.format(v=1), REACTOR.format(v=2))
    assert [e.name for e in decode_module(result.data, lazy=True).exports].count("_initialize") == 1


def test_export_from_leaving_out_the_command_keeps_the_reactor_initializer():
    result = _merge(REACTOR.format(v=1), '(module (func (export "_start")))', export_from=["m0"])
    assert {e.name for e in decode_module(result.data, lazy=True).exports} == {"_initialize", "get1"}


LIB_OWN_MEMORY = '(module (memory (export "memory") 1) (func (export "f") (result i32) (i32.const 7)))'
WASI_CALLER = ('(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'
               ' (memory (export "memory") 1) (func (export "_start")))')


def test_wasi_calls_bound_to_another_inputs_memory_are_warned_about():
    # A library with its own memory first keeps the name `memory`; the command's WASI
    # calls would then read the library's memory (found merging clang output).
    result = _merge(LIB_OWN_MEMORY, WASI_CALLER, export_conflicts="rename")
    assert any(w.startswith("WASI calls of m1 will use merged memory 0") for w in result.warnings)
    for quiet in (_merge(WASI_CALLER, LIB_OWN_MEMORY, export_conflicts="rename"),
                  _merge(LIB_OWN_MEMORY, WASI_CALLER, export_from=["m1"])):
        assert not any("WASI calls" in w for w in quiet.warnings)


# -- targets ------------------------------------------------------------------------------

TWO_MEMORIES = ('(module (memory 1) (func (export "a") (result i32) (i32.load (i32.const 0))))',
                '(module (memory 1) (func (export "b") (result i32) (i32.load (i32.const 0))))')


def test_target_refuses_what_the_merge_introduces_naming_the_inputs():
    with pytest.raises(LinkError, match=r"--target node20: .*multi-memory, needed by the merge: separate memories "
                                        r"of m0, m1"):
        _merge(*TWO_MEMORIES, target="node20")
    _merge(*TWO_MEMORIES, target="3.0")


def test_target_refuses_what_an_input_uses_naming_it_and_the_instruction():
    tail = '(module (func $f) (func (export "t") (return_call $f)))'
    with pytest.raises(LinkError, match=r"--target 2.0: .*tail-call, needed by m1 \(instruction return_call\)"):
        _merge('(module (func (export "x")))', tail, target="2.0")
    _merge('(module (func (export "x")))', tail, target="node20")


def test_target_refuses_extended_constant_expressions():
    extended = '(module (import "env" "base" (global i32)) (global (export "g") i32 ' \
               '(i32.add (global.get 0) (i32.const 8))))'
    with pytest.raises(LinkError, match=r"--target node20: .*extended-const, needed by m0"):
        _merge(extended, target="node20")
    _merge(extended, target="3.0")


def test_without_target_a_feature_no_input_used_warns():
    result = _merge(*TWO_MEMORIES)
    assert any(w.startswith("the merged module needs multi-memory (separate memories of m0, m1), which no input used")
               for w in result.warnings)
    # No input claimed its features, so the output claims none either (a partial
    # target_features section would mislead tools that trust it).
    assert decode_module(result.data, lazy=True).custom("target_features") is None


def _with_features(wat: str, *features: str) -> bytes:
    payload = b.name("target_features") + b.vec(*[b"+" + b.name(f) for f in features])
    return wat2wasm(wat) + b.section(0, payload)


def test_target_features_section_gains_what_the_merge_introduced():
    result = merge([("m0", _with_features(TWO_MEMORIES[0], "sign-ext")), ("m1", wat2wasm(TWO_MEMORIES[1]))])
    section = decode_module(result.data, lazy=True).custom("target_features")
    assert [f.prefix + f.name for f in target_features.parse(section.data).features] == ["+sign-ext", "+multimemory"]


def test_a_declared_feature_counts_as_used():
    result = merge([("m0", _with_features(TWO_MEMORIES[0], "multimemory")), ("m1", wat2wasm(TWO_MEMORIES[1]))])
    assert not [w for w in result.warnings if "no input used" in w]


def test_a_feature_an_input_already_used_does_not_warn():
    result = _merge('(module (memory 1) (memory 1))', '(module (memory 1))')
    assert not [w for w in result.warnings if "no input used" in w]


# -- refusals -----------------------------------------------------------------------------

def _with_custom(section_name: str, payload: bytes = b"") -> bytes:
    return b.module(b.section(0, b.name(section_name) + payload))


@pytest.mark.parametrize("section", ["dylink", "dylink.1"])
def test_unknown_dylink_formats_are_refused(section):
    # One check for every input, in pic_inputs.dylink_of.
    with pytest.raises(Unsupported, match=rf"side \(side\.wasm\): custom section '{section}' is a dynamic-linking "
                                          rf"version this merger does not know \(only 'dylink\.0'\); relink it"):
        merge([("side", _with_custom(section, b"\x00"))], files=["side.wasm"])


def test_an_object_is_refused_by_its_linear_memory_import():
    linking = b.section(0, b.name("linking") + b.u32(2))
    memory_import = b.section(2, b.vec(b.name("env") + b.name("__linear_memory") + b"\x02\x00\x00"))
    with pytest.raises(LinkError, match=r"^obj\.o is a relocatable object \(it has a linking section and imports "
                                        r"env\.__linear_memory\): link objects with `wasmmerge link`"):
        merge([("obj", b.module(memory_import, linking))], files=["obj.o"])


def test_a_linking_section_without_the_object_imports_merges_with_one_warning():
    linked = b.module(b.section(5, b.vec(b"\x00\x01")), b.section(0, b.name("linking") + b.u32(2)),
                      b.section(0, b.name("reloc.DATA") + b"\x00\x00"))
    result = merge([("final", linked)])
    assert [w for w in result.warnings if "final:" in w] == [
        "final: its relocation sections (linking, reloc.DATA, from wasm-ld --emit-relocs) describe its own "
        "layout and are stale once merged; dropped"]


def test_cli_target_option_fails_with_one_line(tmp_path):
    paths = []
    for k, wat in enumerate(TWO_MEMORIES):
        path = tmp_path / f"m{k}.wasm"
        path.write_bytes(wat2wasm(wat))
        paths.append(str(path))
    out = tmp_path / "out.wasm"
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "merge", *paths, "-o", str(out), "--target", "node20"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and not out.exists()
    assert "--target node20" in proc.stderr and "multi-memory" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "merge", *paths, "-o", str(out), "--target", "3.0"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and out.exists() and proc.stderr == ""
