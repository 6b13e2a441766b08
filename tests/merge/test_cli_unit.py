"""`wasmmerge [merge] INPUT... -o OUTPUT`: options, reports, and user errors leaving no output."""

import json

import pytest
from click.testing import CliRunner

from conftest import wat2wasm
from wasmmerge.cli import cli
from wasmmerge.merger import MergeOptions, merge

LIB = '(module (func (export "five") (result i32) i32.const 5) (memory (export "mem") 1))'
APP = ('(module (import "lib" "five" (func $five (result i32))) (import "env" "log" (func (param i32))) '
       '(func (export "run") (result i32) call $five))')


@pytest.fixture
def files(tmp_path):
    (tmp_path / "lib.wasm").write_bytes(wat2wasm(LIB))
    (tmp_path / "app.wasm").write_bytes(wat2wasm(APP))
    return tmp_path


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".wasmmerge-"))


def test_default_command_merges(files):
    out = files / "out.wasm"
    result = _run(files / "lib.wasm", files / "app.wasm", "-o", out)
    assert result.exit_code == 0, result.stderr
    expected = merge([("lib", wat2wasm(LIB)), ("app", wat2wasm(APP))]).data
    assert out.read_bytes() == expected
    assert _leftovers(files) == []


def test_explicit_merge_command_with_named_inputs(files):
    out = files / "out.wasm"
    result = _run("merge", f"lib={files / 'lib.wasm'}", f"app={files / 'app.wasm'}", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.exists()


def test_output_to_stdout(files):
    result = CliRunner().invoke(cli, [str(files / "lib.wasm"), "-o", "-"])
    assert result.exit_code == 0
    assert result.stdout_bytes == merge([("lib", wat2wasm(LIB))]).data


def test_map_and_depfile(files):
    out, text_map, json_map, dep = (files / n for n in ("o u t.wasm", "map.txt", "map.json", "out.d"))
    args = [files / "lib.wasm", files / "app.wasm", "-o", out, "--depfile", dep]
    assert _run(*args, "--map", text_map).exit_code == 0
    assert _run(*args, "--map", json_map, "--map-format", "json").exit_code == 0
    text = text_map.read_text()
    assert "app: func lib.five via lib.five => lib func 0" in text
    assert "kept as import env.log" in text and "## index maps" in text
    report = json.loads(json_map.read_text())
    assert report["inputs"][0]["size"] == len(wat2wasm(LIB))
    assert {"import": "env.log", "kind": "func"} in report["kept_imports"]
    lib, app = files / "lib.wasm", files / "app.wasm"
    assert dep.read_text() == (f"{str(out).replace(' ', chr(92) + ' ')}: {lib} {app}\n"
                               f"\n{lib}:\n\n{app}:\n")


def test_verbose_prints_phases_and_quiet_hides_warnings(files, tmp_path):
    from wasmmerge.binary.model import CustomSection
    from wasmmerge.binary.reader import decode_module
    from wasmmerge.binary.writer import encode_module
    module = decode_module(wat2wasm(LIB))
    module.customs.append(CustomSection(".debug_line", b"\x00"))
    (files / "dbg.wasm").write_bytes(encode_module(module))
    loud = _run(files / "dbg.wasm", "-o", files / "o.wasm", "-v")
    assert "wasmmerge: resolve:" in loud.stderr and "warning: dbg: custom section '.debug_line'" in loud.stderr
    quiet = _run(files / "dbg.wasm", "-o", files / "o.wasm", "-q")
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr


@pytest.mark.parametrize("setup,args,words", [
    (None, ["missing.wasm"], ["missing.wasm", "No such file"]),
    ("bad.wasm:\x00asm\x01\x00\x00\x00\x01\x05", ["bad.wasm"], ["bad.wasm"]),
    ("dup.wasm:" + LIB, ["lib.wasm", "dup.wasm", "--export-from", "nobody"], ["nobody"]),
    ("twin.wasm:" + LIB, ["lib.wasm", "twin.wasm"], ["'five' (lib and twin)"]),
    ("sig.wasm:" + '(module (import "lib" "five" (func (result i64))))', ["lib.wasm", "sig.wasm"],
     ["sig", "import lib.five", "function type"]),
    ("cyc.wasm:" + '(module (import "cyc" "x" (func)) (export "x" (func 0)))', ["cyc.wasm"],
     ["cycle of re-exports", "cyc"]),
    (None, ["lib.wasm", "app.wasm", "--allow-import", "wasi.*"], ["env.log"]),
], ids=["missing", "malformed", "export-from", "conflict", "signature", "cycle", "allow-import"])
def test_user_errors_leave_no_output(files, setup, args, words):
    if setup:
        name, content = setup.split(":", 1)
        data = content.encode("latin-1") if content.startswith("\x00asm") else wat2wasm(content)
        (files / name).write_bytes(data)
    out = files / "out.wasm"
    result = _run(*[files / a if a.endswith(".wasm") else a for a in args], "-o", out)
    assert result.exit_code != 0
    assert result.stderr.startswith("wasmmerge: error:")
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and _leftovers(files) == []


def test_failed_merge_keeps_an_existing_output_untouched(files):
    out = files / "out.wasm"
    out.write_bytes(b"previous")
    (files / "twin.wasm").write_bytes(wat2wasm(LIB))
    result = _run(files / "lib.wasm", files / "twin.wasm", "-o", out)
    assert result.exit_code != 0 and out.read_bytes() == b"previous"


def test_conflict_options(files):
    (files / "twin.wasm").write_bytes(wat2wasm(LIB))
    out = files / "out.wasm"
    assert _run(files / "lib.wasm", files / "twin.wasm", "-o", out, "--rename-export-conflicts").exit_code == 0
    expected = merge([("lib", wat2wasm(LIB)), ("twin", wat2wasm(LIB))], MergeOptions(export_conflicts="rename"))
    assert out.read_bytes() == expected.data
    assert _run(files / "lib.wasm", files / "twin.wasm", "-o", out, "--skip-export-conflicts").exit_code == 0


def test_no_validate_skips_validation(files):
    out = files / "out.wasm"
    result = _run(files / "lib.wasm", "-o", out, "--no-validate", "-v")
    assert result.exit_code == 0 and "validate:" not in result.stderr


def test_rename_and_skip_exclude_each_other(files):
    result = _run(files / "lib.wasm", "-o", files / "o.wasm", "--rename-export-conflicts",
                  "--skip-export-conflicts")
    assert result.exit_code != 0 and "exclude each other" in result.stderr
    assert not (files / "o.wasm").exists()


def test_jobs_option_gives_the_same_bytes(tmp_path):
    """Worker processes change how bodies are rewritten and checked, never the output."""
    funcs = "".join(f"(func (export \"f{i}\") (param i32) (result i32) local.get 0 call $g)" for i in range(30))
    (tmp_path / "a.wasm").write_bytes(wat2wasm(f'(module (import "b" "g" (func $g (param i32) (result i32))) {funcs})'))
    (tmp_path / "b.wasm").write_bytes(wat2wasm('(module (func (export "g") (param i32) (result i32) local.get 0))'))
    outputs = []
    for jobs in ("1", "3"):
        out = tmp_path / f"out{jobs}.wasm"
        result = CliRunner().invoke(cli, [str(tmp_path / "b.wasm"), str(tmp_path / "a.wasm"),
                                          "-o", str(out), "-j", jobs])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_output_file_gets_ordinary_permissions(tmp_path):
    """Written atomically through a private temporary file, the output still ends up with
    the permissions a plain write gives (0666 less the umask), not 0600."""
    import os
    import stat
    (tmp_path / "a.wasm").write_bytes(wat2wasm('(module (func (export "f")))'))
    out = tmp_path / "out.wasm"
    old = os.umask(0o022)
    try:
        result = CliRunner().invoke(cli, [str(tmp_path / "a.wasm"), "-o", str(out)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
