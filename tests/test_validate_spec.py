"""The spec suites against the validator, one test per script.

Every `assert_invalid` module must be rejected with a `ValidationError` whose message
contains the suite's text (a decode error does not count), and every module the suite
defines or instantiates (`module`, `module_definition`, and the modules of
`assert_unlinkable` / `assert_uninstantiable`) must be accepted. 2.0 modules are decoded
and validated with the 2.0 feature set. Known exceptions would be listed in `EXCEPTIONS`
as "version/script:line" with a reason; there are none.

Run as a script for the totals: `python tests/test_validate_spec.py`.
"""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import or_missing_suite, suite_dir, suite_scripts  # noqa: E402

import wasmmerge  # noqa: E402
from wasmmerge.errors import ValidationError, WasmError  # noqa: E402
from wasmmerge.features import WASM2, WASM3  # noqa: E402
from wasmmerge.validator import validate_module  # noqa: E402

FEATURES = {"wasm-2.0": WASM2, "wasm-3.0": WASM3}
VALID_COMMANDS = ("module", "module_definition", "assert_unlinkable", "assert_uninstantiable")
EXCEPTIONS: dict[str, str] = {}


def suite_cases(script: Path):
    """(line, file name, expected text or None for a valid module) for each module to check."""
    for cmd in json.loads(script.read_text())["commands"]:
        kind = cmd["type"]
        if kind in VALID_COMMANDS and cmd.get("filename"):
            yield cmd["line"], cmd["filename"], None
        elif kind == "assert_invalid":
            name = cmd.get("binary_filename") or cmd["filename"]
            if name.endswith(".wasm"):
                yield cmd["line"], name, cmd["text"]


def check_script(version: str, script: Path) -> tuple[list[str], dict]:
    """Problems found (one line each) and counts for one script."""
    features = FEATURES[version]
    problems, counts = [], {"valid": 0, "invalid": 0, "text": 0}
    for line, name, text in suite_cases(script):
        where = f"{version}/{script.stem}:{line}"
        data = (script.parent / name).read_bytes()
        try:
            validate_module(wasmmerge.decode(data, features=features), features)
            error = None
        except WasmError as err:
            error = err
        if text is None:
            if error is None:
                counts["valid"] += 1
            elif where not in EXCEPTIONS:
                problems.append(f"{where}: valid module rejected: {error}")
        elif isinstance(error, ValidationError):
            counts["invalid"] += 1
            if text in error.message:
                counts["text"] += 1
            elif where not in EXCEPTIONS:
                problems.append(f"{where}: expected {text!r}, got {error.message!r}")
        elif where not in EXCEPTIONS:
            problems.append(f"{where}: invalid module ({text!r}) " +
                            ("accepted" if error is None else f"not rejected by validation: {error}"))
    return problems, counts


def _params(version):
    return [pytest.param(version, s, id=f"{version}/{s.stem}") for s in suite_scripts(version)]


@pytest.mark.parametrize("version,script", or_missing_suite(_params("wasm-2.0") + _params("wasm-3.0"), 2))
def test_suite_script(version, script):
    problems, _ = check_script(version, script)
    assert not problems, "\n".join(problems)


def test_suites_present():
    for version in FEATURES:
        assert suite_scripts(version), suite_dir(version)


if __name__ == "__main__":
    for version in FEATURES:
        total = {"valid": 0, "invalid": 0, "text": 0}
        all_problems = []
        for script in suite_scripts(version):
            problems, counts = check_script(version, script)
            all_problems += problems
            for key in total:
                total[key] += counts[key]
        print(f"{version}: {total['valid']} valid modules accepted, {total['invalid']} invalid rejected "
              f"({total['text']} with the suite's message), {len(all_problems)} problems")
        for problem in all_problems:
            print("  " + problem)
