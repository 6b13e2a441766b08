"""The engine against the spec suite: every command of every 2.0 script, and the 3.0
scripts for multi-memory, tail calls and extended constants, must pass.

Only text-format `assert_malformed` commands are left out (they test a text parser).
"""

import json

import pytest

from conftest import TESTSUITE, suite_dir
from wasmmerge.spectest.runner import is_text_malformed, run_script

# 3.0 scripts covering what the engine runs beyond 2.0 (the others need GC, function
# references, exceptions or memory64, which fail with "unsupported: ...").
WASM3_SCRIPTS = [
    # multi-memory
    "address0", "address1", "align0", "binary0", "data0", "data1", "data_drop0", "exports0",
    "float_exprs0", "float_exprs1", "float_memory0", "imports0", "imports1", "imports2",
    "imports3", "imports4", "linking0", "linking1", "linking2", "linking3", "load0", "load1",
    "load2", "memory-multi", "memory_copy0", "memory_copy1", "memory_fill0", "memory_init0",
    "memory_size0", "memory_size1", "memory_size2", "memory_size3", "memory_trap0",
    "memory_trap1", "start0", "store0", "store1", "store2", "traps0", "simd_memory-multi",
    # tail calls
    "return_call", "return_call_indirect",
    # extended constant expressions (folded into these scripts in 3.0)
    "global", "data", "elem",
]


def _wasm2_names():
    path = TESTSUITE / "wasm-2.0"
    return sorted(p.name for p in path.iterdir() if p.is_dir()) if path.is_dir() else ["(absent)"]


def _check(version: str, name: str):
    script = suite_dir(version) / name / f"{name}.json"
    commands = json.loads(script.read_text())["commands"]
    expected = sum(1 for c in commands if not is_text_malformed(c))
    result = run_script(script)
    failures = "\n".join(f"  line {line}: {kind}: {why}" for line, kind, why in result.failures[:20])
    assert result.failed == 0, f"{result.failed} of {expected} commands failed:\n{failures}"
    assert result.passed == expected


@pytest.mark.spec
@pytest.mark.parametrize("name", _wasm2_names())
def test_wasm2_script(name):
    _check("wasm-2.0", name)


@pytest.mark.spec
@pytest.mark.parametrize("name", WASM3_SCRIPTS)
def test_wasm3_script(name):
    _check("wasm-3.0", name)
