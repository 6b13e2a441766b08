"""Issue 15, items 6 and 7: one diagnostic format on stderr for every command, usage
errors on one line with status 2, command typos, and the version."""

import re

import pytest

from wasmmerge import __version__

from .clirun import LIB, snapshot, wasmmerge, write_modules

# wasmmerge: error: FILE:0xOFFSET: message [in function N]
DIAGNOSTIC = re.compile(r"wasmmerge: error: (?P<file>[^:]+):0x(?P<offset>[0-9a-f]+): (?P<message>.+?)"
                        r"(?: \[in function (?P<func>\d+)\])?")
INVALID = "(module (func (result i32) (i64.const 1)))"


@pytest.fixture
def work(tmp_path):
    write_modules(tmp_path, lib=LIB, bad=INVALID)
    (tmp_path / "broken.wasm").write_bytes(b"\0asm\1\0\0\0\1\5\1\x60")
    return tmp_path


def one_line(proc, status=1) -> str:
    assert proc.returncode == status, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_merge_and_validate_report_an_invalid_input_alike(work):
    merged = one_line(wasmmerge("lib.wasm", "bad.wasm", "-o", "out.wasm", cwd=work))
    validated = one_line(wasmmerge("validate", "lib.wasm", "bad.wasm", cwd=work))
    assert merged == validated
    match = DIAGNOSTIC.fullmatch(validated)
    assert match and match["file"] == "bad.wasm" and match["func"] == "0", validated
    assert match["message"].startswith("type mismatch")
    assert not (work / "out.wasm").exists()


@pytest.mark.parametrize("command", [["validate"], ["inspect"], ["merge", "-o", "out.wasm"],
                                     ["run", "--invoke", "f"]])
def test_a_malformed_input_is_the_same_line_for_every_command(work, command):
    proc = wasmmerge(command[0], "broken.wasm", *command[1:], cwd=work)
    line = one_line(proc)
    match = DIAGNOSTIC.fullmatch(line)
    assert match and match["file"] == "broken.wasm" and "length out of bounds" in match["message"], line
    assert not (work / "out.wasm").exists()


def test_a_missing_file_names_it(work):
    for command in (["validate"], ["inspect"], ["merge", "-o", "out.wasm"], ["run", "--invoke", "f"]):
        line = one_line(wasmmerge(command[0], "nope.wasm", *command[1:], cwd=work))
        assert line == "wasmmerge: error: nope.wasm: No such file or directory"


def test_warnings_share_the_form(work, tmp_path):
    from wasmmerge.binary.model import CustomSection
    from wasmmerge.binary.reader import decode_module
    from wasmmerge.binary.writer import encode_module
    module = decode_module((work / "lib.wasm").read_bytes())
    module.customs.append(CustomSection(".debug_line", b"\0"))
    (work / "dbg.wasm").write_bytes(encode_module(module))
    proc = wasmmerge("dbg.wasm", "-o", "out.wasm", cwd=work)
    assert proc.returncode == 0
    assert proc.stderr.startswith("wasmmerge: warning: dbg: custom section '.debug_line'")


@pytest.mark.parametrize("content,words", [
    ("{not json", ["malformed script: not JSON"]),
    ("[]", ["malformed script", "\"commands\" is a list"]),
    ('{"commands": 5}', ["malformed script"]),
    ('{"commands": [{"line": 7}]}', ["malformed script: line 7 has no \"type\""]),
])
def test_spec_on_a_malformed_script_is_one_line(tmp_path, content, words):
    (tmp_path / "s.json").write_text(content)
    line = one_line(wasmmerge("spec", "s.json", cwd=tmp_path))
    assert line.startswith("wasmmerge: error: s.json: ") and all(w in line for w in words), line


def test_spec_on_wast_scripts_without_wast2json_says_how_to_convert(tmp_path):
    from .clirun import env_without_tools
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "a.wast").write_text("(module)")
    line = one_line(wasmmerge("spec", "suite", cwd=tmp_path, env=env_without_tools(tmp_path)))
    assert line.startswith("wasmmerge: error: suite: holds .wast scripts") and "wast2json" in line


@pytest.mark.parametrize("args,words", [
    (["lib.wasm"], ["Missing option '-o'", "wasmmerge merge --help"]),
    (["inspect"], ["Missing argument 'FILE'", "wasmmerge inspect --help"]),
    (["lib.wasm", "-o", "out.wasm", "--frobnicate"], ["No such option '--frobnicate'"]),
    (["validate", "--features", "9.9", "lib.wasm"], ["'9.9' is not one of"]),
    (["lib.wasm", "-o", "o.wasm", "--rename-export-conflicts", "--skip-export-conflicts"], ["exclude each other"]),
])
def test_usage_errors_are_one_line_with_status_2(work, args, words):
    before = snapshot(work)
    line = one_line(wasmmerge(*args, cwd=work), status=2)
    assert line.startswith("wasmmerge: error: ") and all(w in line for w in words), line
    assert snapshot(work) == before


@pytest.mark.parametrize("typo,command", [("inspec", "inspect"), ("mrege", "merge"), ("valdiate", "validate"),
                                          ("rnu", "run")])
def test_a_misspelt_command_is_suggested(work, typo, command):
    line = one_line(wasmmerge(typo, "lib.wasm", cwd=work), status=2)
    assert line.startswith(f"wasmmerge: error: no such command '{typo}'; did you mean '{command}'?"), line


def test_an_existing_file_named_like_a_command_is_an_input(work):
    (work / "inspec").write_bytes((work / "lib.wasm").read_bytes())
    proc = wasmmerge("inspec", "-o", "out.wasm", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (work / "out.wasm").exists()


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag, tmp_path):
    proc = wasmmerge(flag, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == f"wasmmerge {__version__}\n" and proc.stderr == ""


def test_version_lives_in_one_place():
    """pyproject.toml reads it from the package; no other file spells it."""
    import tomllib
    from conftest import ROOT
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "wasmmerge.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_no_arguments_prints_the_help_with_status_2(tmp_path):
    proc = wasmmerge(cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("Usage: wasmmerge [OPTIONS] COMMAND")
    assert "Traceback" not in proc.stderr and "error:" not in proc.stderr
