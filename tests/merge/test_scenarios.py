"""Every scenario of fixtures/merge: linked run against the pinned transcript, then each merge
variant against the linked run (or the pinned transcript when the inputs cannot be linked);
wasmtime first, then our interpreter on the same scenarios."""

import importlib

import pytest

from wasmmerge.errors import LinkError, Unsupported

from . import harness

SCENARIOS = harness.scenario_names()


def merger():
    """The merger module, or None while it has not landed."""
    try:
        module = importlib.import_module("wasmmerge.merger")
    except ImportError:
        return None
    # The package may exist half-written in a shared checkout; only the full API counts.
    return module if hasattr(module, "merge") and hasattr(module, "MergeOptions") else None


def variant_params(errors: bool = True):
    for name in SCENARIOS:
        spec = harness.load_scenario_spec(name)
        for i, variant in enumerate(spec.get("merges", [{"options": {}}])):
            if errors or "error" not in variant:
                yield pytest.param(name, i, id=f"{name}-{i}")


def test_scenarios_exist():
    assert len(SCENARIOS) >= 20, SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_linked_run_matches_pinned(name):
    scenario = harness.load_scenario(name)
    observed = harness.run_linked(scenario)
    if scenario.linked == "unlinkable":
        assert observed[0]["outcome"] == "unlinkable", (
            f"{name} is meant to be impossible to instantiate module by module, got {observed[0]}")
        return
    harness.assert_same(scenario.expected, observed, "pinned", "linked")


def merge_variant(name: str, index: int, request):
    """Merge as the variant says and check the output's shape: (scenario, variant, bytes),
    or None when the variant expects a LinkError (checked here)."""
    merge_module = merger()
    if merge_module is None:
        pytest.xfail("merger not landed")
    scenario = harness.load_scenario(name)
    variant = scenario.merges[index]
    if variant.known_failure:
        request.applymarker(pytest.mark.xfail(reason=variant.known_failure, strict=False))
    inputs = [(m, scenario.wasm[m]) for m in scenario.modules]
    options = merge_module.MergeOptions(**variant.options)
    if variant.error is not None:
        with pytest.raises(LinkError) as caught:
            merge_module.merge(inputs, options)
        message = str(caught.value)
        missing = [s for s in variant.error if s not in message]
        assert not missing, f"LinkError {message!r} does not mention {missing}"
        return None
    result = merge_module.merge(inputs, options)
    harness.validate_merged(result.data, scenario.validate_flags())
    imports, exports = harness.module_interface(result.data)
    implied_imports, implied_exports = harness.expected_interface(scenario, variant.options)
    wanted_imports = variant.imports if variant.imports is not None else implied_imports
    assert sorted(imports) == sorted(wanted_imports), f"merged imports {imports}"
    wanted_exports = variant.exports if variant.exports is not None else implied_exports
    if wanted_exports is not None:
        assert sorted(exports) == sorted(wanted_exports), f"merged exports {exports}"
    if variant.wat_contains:
        text = harness.disassemble(result.data, scenario.validate_flags() or [])
        missing = [w for w in variant.wat_contains if w not in text]
        assert not missing, f"merged module's text lacks {missing}:\n{text}"
    for wanted in variant.warnings:
        assert any(wanted in w for w in result.warnings), f"no warning mentions {wanted!r}: {result.warnings}"
    return scenario, variant, result.data


@pytest.mark.parametrize("name,index", list(variant_params()))
def test_merged_run_matches_linked(name, index, request):
    merged = merge_variant(name, index, request)
    if merged is None:
        return
    scenario, variant, data = merged
    scenario = harness.restricted(scenario, variant)
    observed = harness.run_merged(scenario, data, variant)
    if scenario.linked == "unlinkable":
        reference, label = scenario.expected, "pinned"
    else:
        reference, label = harness.run_linked(scenario), "linked"
    harness.assert_same(harness.as_merged(reference, variant), observed, label, "merged")


# The same scenarios on our own interpreter: the inputs linked in it must give the pinned
# transcript (which wasmtime gives too), and so must the merged module run in it.

def on_interpreter(run):
    """Run `run()`; a feature the interpreter lacks skips the test, saying which."""
    try:
        return run()
    except Unsupported as err:
        pytest.skip(f"interpreter: {err}")


@pytest.mark.parametrize("name", SCENARIOS)
def test_interpreter_linked_run_matches_pinned(name):
    scenario = harness.load_scenario(name)
    observed = on_interpreter(lambda: harness.run_linked(scenario, "interpreter"))
    if scenario.linked == "unlinkable":
        assert observed[0]["outcome"] == "unlinkable", observed[0]
        return
    harness.assert_same(scenario.expected, observed, "pinned", "interpreter linked")


@pytest.mark.parametrize("name,index", list(variant_params(errors=False)))
def test_interpreter_merged_run_matches_pinned(name, index, request):
    scenario, variant, data = merge_variant(name, index, request)
    scenario = harness.restricted(scenario, variant)
    observed = on_interpreter(lambda: harness.run_merged(scenario, data, variant, "interpreter"))
    harness.assert_same(harness.as_merged(scenario.expected, variant), observed, "pinned", "interpreter merged")


# A merged call_chain written by hand, and the same with one host call lost: the harness
# must accept the first and reject the second, whatever the merger does.
HAND_MERGED_CALL_CHAIN = """
(module
  (import "env" "log" (func $log (param i32)))
  (func $square (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $wide (export "wide") (param i64 i32) (result i64)
    (i64.add (local.get 0) (i64.extend_i32_s (local.get 1))))
  (func $sum_squares (export "sum_squares") (param i32 i32) (result i32)
    (i32.add (call $square (local.get 0)) (call $square (local.get 1))))
  (func $widen (export "widen") (param i32) (result i64) (call $wide (i64.const 0x100000000) (local.get 0)))
  (func (export "run") (param i32) (result i32)
    (local $r i32)
    (local.set $r (call $sum_squares (local.get 0) (call $square (local.get 0))))
    (call $log (local.get $r))
    (local.get $r))
  (func (export "run64") (param i32) (result i64) (call $widen (local.get 0))))
"""


def test_harness_accepts_a_correct_hand_merge():
    scenario = harness.load_scenario("call_chain")
    data = harness.assemble(HAND_MERGED_CALL_CHAIN, [])
    merged = harness.run_merged(scenario, data, scenario.merges[0])
    harness.assert_same(harness.run_linked(scenario), merged, "linked", "merged")


def test_harness_rejects_a_merge_that_loses_a_host_call():
    scenario = harness.load_scenario("call_chain")
    data = harness.assemble(HAND_MERGED_CALL_CHAIN.replace("(call $log (local.get $r))", ""), [])
    merged = harness.run_merged(scenario, data, scenario.merges[0])
    with pytest.raises(AssertionError, match="env.log"):
        harness.assert_same(harness.run_linked(scenario), merged, "linked", "merged")


def test_harness_rejects_a_merge_that_shares_private_memories():
    scenario = harness.load_scenario("private_memories")
    # One memory for both inputs, as a naive merge would do: right's data lands on left's.
    shared = """
    (module
      (memory $m 1 2)
      (export "left_mem" (memory $m))
      (export "right_mem" (memory $m))
      (data (i32.const 0) "first")
      (data (i32.const 0) "second")
      (func (export "left_peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "left_poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "left_grow") (result i32) (memory.grow (i32.const 1)))
      (func (export "right_peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "right_poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "right_size") (result i32) (memory.size))
      (func (export "right_fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      (func (export "right_copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))
    """
    merged = harness.run_merged(scenario, harness.assemble(shared, []), scenario.merges[0])
    with pytest.raises(AssertionError, match="differ"):
        harness.assert_same(harness.run_linked(scenario), merged, "linked", "merged")


def test_scenario_files_are_checked_for_misspelt_keys(tmp_path, monkeypatch):
    (tmp_path / "typo").mkdir()
    (tmp_path / "typo" / "scenario.json").write_text(
        '{"modules": [], "steps": [{"invoke": "a.f", "reslt": [1]}]}')
    monkeypatch.setattr(harness, "SCENARIO_DIR", tmp_path)
    with pytest.raises(harness.ScenarioError, match="reslt"):
        harness.load_scenario("typo")
