"""The engine against the spec suite: every command of every 2.0 script, and of every
3.0 script but those listed in WASM3_EXCLUDED, must pass.

Only text-format `assert_malformed` commands are left out (they test a text parser).
"""

import json

import pytest

from conftest import TESTSUITE, suite_dir
from wasmmerge.spectest.runner import is_text_malformed, run_script

# 3.0 scripts the engine cannot pass yet, each with the reason. Every other 3.0 script
# (multi-memory, tail calls, extended constants, memory64, function references,
# exceptions, relaxed SIMD, type canonicalisation...) must pass completely.
GC = "garbage collection (struct/array/i31 types and instructions) is unsupported"
WASM3_EXCLUDED = {
    "array": GC, "array_copy": GC, "array_fill": GC, "array_init_data": GC,
    "array_init_elem": GC, "array_new_data": GC, "array_new_elem": GC, "br_on_cast": GC,
    "br_on_cast_fail": GC, "extern": GC, "i31": GC, "ref_cast": GC, "ref_eq": GC,
    "ref_test": GC, "struct": GC, "type-rec": GC, "type-subtyping": GC,
    "table_init": GC + " (one module of the script)", "table_init64": GC + " (one module)",
}


def _names(version: str, excluded=()):
    path = TESTSUITE / version
    if not path.is_dir():
        return ["(absent)"]
    return sorted(p.name for p in path.iterdir() if p.is_dir() and p.name not in excluded)


def _check(version: str, name: str):
    script = suite_dir(version) / name / f"{name}.json"
    commands = json.loads(script.read_text())["commands"]
    expected = sum(1 for c in commands if not is_text_malformed(c))
    result = run_script(script)
    failures = "\n".join(f"  line {line}: {kind}: {why}" for line, kind, why in result.failures[:20])
    assert result.failed == 0, f"{result.failed} of {expected} commands failed:\n{failures}"
    assert result.passed == expected


@pytest.mark.spec
@pytest.mark.parametrize("name", _names("wasm-2.0"))
def test_wasm2_script(name):
    _check("wasm-2.0", name)


@pytest.mark.spec
@pytest.mark.parametrize("name", _names("wasm-3.0", WASM3_EXCLUDED))
def test_wasm3_script(name):
    _check("wasm-3.0", name)
