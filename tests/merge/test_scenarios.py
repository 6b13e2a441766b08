"""Every scenario of fixtures/merge: linked run against the pinned transcript, then each merge
variant against the linked run (or the pinned transcript when the inputs cannot be linked)."""

import importlib

import pytest

from . import harness

SCENARIOS = harness.scenario_names()


def merger():
    """The merger module, or None while it has not landed."""
    try:
        module = importlib.import_module("wasmmerge.merge")
    except ImportError:
        return None
    # The package may exist half-written in a shared checkout; only the full API counts.
    return module if hasattr(module, "merge") and hasattr(module, "MergeOptions") else None


def variant_params():
    for name in SCENARIOS:
        spec = harness.load_scenario_spec(name)
        for i, _ in enumerate(spec.get("merges", [{"options": {}}])):
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


@pytest.mark.parametrize("name,index", list(variant_params()))
def test_merged_run_matches_linked(name, index):
    merge_module = merger()
    if merge_module is None:
        pytest.xfail("merger not landed")
    scenario = harness.load_scenario(name)
    variant = scenario.merges[index]
    inputs = [(m, scenario.wasm[m]) for m in scenario.modules]
    options = merge_module.MergeOptions(**variant.options)
    if variant.error is not None:
        from wasmmerge.errors import LinkError
        with pytest.raises(LinkError) as caught:
            merge_module.merge(inputs, options)
        message = str(caught.value)
        missing = [s for s in variant.error if s not in message]
        assert not missing, f"LinkError {message!r} does not mention {missing}"
        return
    result = merge_module.merge(inputs, options)
    harness.validate_merged(result.data, scenario.validate_flags())
    imports, exports = harness.module_interface(result.data)
    if variant.imports is not None:
        assert sorted(imports) == sorted(variant.imports), f"merged imports {imports}"
    if variant.exports is not None:
        assert sorted(exports) == sorted(variant.exports), f"merged exports {exports}"
    for wanted in variant.warnings:
        assert any(wanted in w for w in result.warnings), f"no warning mentions {wanted!r}: {result.warnings}"
    merged = harness.run_merged(scenario, result.data, variant)
    if scenario.linked == "unlinkable":
        reference, label = harness.without_dropped(scenario.expected, scenario, variant), "pinned"
    else:
        reference = harness.without_dropped(harness.run_linked(scenario), scenario, variant)
        label = "linked"
    harness.assert_same(reference, merged, label, "merged")
