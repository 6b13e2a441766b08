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


def _check(version: str, name: str, engine: str = "reference"):
    script = suite_dir(version) / name / f"{name}.json"
    commands = json.loads(script.read_text())["commands"]
    expected = sum(1 for c in commands if not is_text_malformed(c))
    result = run_script(script, engine=engine)
    failures = "\n".join(f"  line {line}: {kind}: {why}" for line, kind, why in result.failures[:20])
    assert result.failed == 0, f"{result.failed} of {expected} commands failed:\n{failures}"
    assert result.passed == expected


# Both engines: the reference interpreter, and the compiled one (runtime/compiled).
ENGINES = ["reference", "compiled"]


@pytest.mark.spec
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", _names("wasm-2.0"))
def test_wasm2_script(name, engine):
    _check("wasm-2.0", name, engine)


@pytest.mark.spec
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", _names("wasm-3.0"))
def test_wasm3_script(name, engine):
    _check("wasm-3.0", name, engine)


def test_spec_command_prints_a_line_per_file_and_totals(tmp_path):
    from click.testing import CliRunner

    from wasmmerge.cli import cli
    suite = suite_dir("wasm-2.0")
    result = CliRunner().invoke(cli, ["spec", str(suite / "fac" / "fac.json"),
                                      str(suite / "forward" / "forward.json")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("fac.json: 8 passed, 0 failed")
    assert lines[-1] == "13 passed, 0 failed"
    # A failing expectation is reported, and the exit status says so.
    script = json.loads((suite / "fac" / "fac.json").read_text())
    for cmd in script["commands"]:
        if cmd["type"] == "assert_return":
            cmd["expected"][0]["value"] = "12345"
            break
    for cmd in script["commands"]:
        if "filename" in cmd:
            (tmp_path / cmd["filename"]).write_bytes((suite / "fac" / cmd["filename"]).read_bytes())
    (tmp_path / "fac.json").write_text(json.dumps(script))
    result = CliRunner().invoke(cli, ["spec", "-v", str(tmp_path / "fac.json")])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "7 passed, 1 failed"
    assert "expected" in result.output


def test_wast_scripts_are_converted_with_wast2json():
    import shutil
    if shutil.which("wast2json") is None:
        pytest.skip("wabt's wast2json is not installed")
    result = run_script(suite_dir("wasm-2.0") / "fac" / "fac.wast")
    assert (result.passed, result.failed) == (8, 0)
