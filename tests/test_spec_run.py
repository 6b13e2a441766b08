"""The engine against the spec suite: every command of every 2.0 and 3.0 script must pass.

Only text-format `assert_malformed` commands are left out (they test a text parser).
"""

import json

import pytest

from conftest import TESTSUITE, suite_dir
from wasmmerge.spectest.runner import is_text_malformed, run_script


def _names(version: str):
    path = TESTSUITE / version
    if not path.is_dir():
        return ["(absent)"]
    return sorted(p.name for p in path.iterdir() if p.is_dir())


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
@pytest.mark.parametrize("name", _names("wasm-3.0"))
def test_wasm3_script(name):
    _check("wasm-3.0", name)
