"""Issue 15, items 4 and 8: did-you-mean hints for unresolved imports, `--fatal-warnings`,
`--allow-import ''`, and inputs and outputs in other forms (`.wat`, stdin, `-S`)."""

import shutil

import pytest

from conftest import FIXTURES, wat2wasm

from .clirun import APP, LIB, env_without_tools, snapshot, wasmmerge, write_modules

# The unresolved memory import stays beside the other input's own memory: two memories,
# which the merge warns about (issue 11, item 7) before any hint.
TWO_MEMORIES = ("wasmmerge: warning: the merged module needs multi-memory (separate memories of {}, app), which "
                "no input used: engines without it cannot load the output (use --target to make this an error)")

needs_wabt = pytest.mark.skipif(shutil.which("wat2wasm") is None or shutil.which("wasm2wat") is None,
                                reason="needs wabt (apt-get install wabt, or `make test`)")


@pytest.fixture
def demo(tmp_path):
    for name in ("mathlib", "app"):
        (tmp_path / f"{name}.wasm").write_bytes(wat2wasm(FIXTURES / "demo" / f"{name}.wat"))
    return tmp_path


def test_an_input_named_unlike_its_importers_gets_a_hint(demo):
    """`app` imports `mathlib.*`; the input read from mathlib.wasm is named `lib`."""
    proc = wasmmerge("lib=mathlib.wasm", "app.wasm", "-o", "out.wasm", cwd=demo)
    assert proc.returncode == 0, proc.stderr
    memories, *lines = proc.stderr.splitlines()
    assert memories == TWO_MEMORIES.format("lib")
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("wasmmerge: warning: 4 imports from 'mathlib' left unresolved (mathlib.add, ")
    assert "input 'lib' was read from mathlib.wasm: did you mean mathlib=mathlib.wasm?" in lines[0]
    assert (demo / "out.wasm").exists()


def test_a_name_close_to_an_input_gets_a_hint(tmp_path):
    write_modules(tmp_path, mathlib=LIB, app=APP.replace('"lib"', '"mathlb"'))
    proc = wasmmerge("mathlib.wasm", "app.wasm", "-o", "out.wasm", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr == (TWO_MEMORIES.format("mathlib") + "\n"
                           "wasmmerge: warning: 2 imports from 'mathlb' left unresolved (mathlb.five, mathlb.mem): "
                           "no input is named 'mathlb'; did you mean input 'mathlib'?\n")


def test_no_hint_for_host_imports(tmp_path):
    write_modules(tmp_path, lib=LIB, app=APP.replace('"lib" "mem"', '"env" "mem"'))
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", "-v", cwd=tmp_path)
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert proc.returncode == 0 and warnings == [TWO_MEMORIES.format("lib")]


def test_quiet_hides_the_hint(demo):
    proc = wasmmerge("lib=mathlib.wasm", "app.wasm", "-o", "out.wasm", "-q", cwd=demo)
    assert proc.returncode == 0 and proc.stderr == ""


def test_fatal_warnings_turn_the_hint_into_an_error(demo):
    (demo / "out.wasm").write_bytes(b"previous")
    before = snapshot(demo)
    proc = wasmmerge("lib=mathlib.wasm", "app.wasm", "-o", "out.wasm", "--map", "out.map", "--fatal-warnings",
                     cwd=demo)
    assert proc.returncode == 1
    memories, hint = proc.stderr.splitlines()
    assert memories == TWO_MEMORIES.format("lib").replace("warning:", "error:")
    assert hint.startswith("wasmmerge: error: 4 imports from 'mathlib' left unresolved")
    assert proc.stderr.rstrip().endswith("(--fatal-warnings)") and "wasmmerge: warning" not in proc.stderr
    assert snapshot(demo) == before


def test_fatal_warnings_without_warnings_merges(demo):
    proc = wasmmerge("mathlib.wasm", "app.wasm", "-o", "out.wasm", "--fatal-warnings", cwd=demo)
    assert proc.returncode == 0 and proc.stderr == ""


def test_empty_allow_import_pattern_means_no_import_may_remain(demo):
    ok = wasmmerge("mathlib.wasm", "app.wasm", "-o", "out.wasm", "--allow-import", "", cwd=demo)
    assert ok.returncode == 0, ok.stderr
    bad = wasmmerge("app.wasm", "-o", "app-only.wasm", "--allow-import", "", cwd=demo)
    assert bad.returncode == 1 and bad.stderr.startswith("wasmmerge: error:")
    assert "mathlib.add" in bad.stderr and not (demo / "app-only.wasm").exists()


@needs_wabt
def test_wat_inputs_are_assembled(tmp_path):
    (tmp_path / "lib.wat").write_text(LIB)
    (tmp_path / "app.wat").write_text(APP)
    write_modules(tmp_path, lib=LIB, app=APP)
    from_text = wasmmerge("lib.wat", "app.wat", "-o", "text.wasm", cwd=tmp_path)
    from_binary = wasmmerge("lib.wasm", "app.wasm", "-o", "binary.wasm", cwd=tmp_path)
    assert from_text.returncode == 0 and from_binary.returncode == 0, from_text.stderr
    assert (tmp_path / "text.wasm").read_bytes() == (tmp_path / "binary.wasm").read_bytes()
    assert wasmmerge("validate", "lib.wat", cwd=tmp_path).returncode == 0
    assert wasmmerge("inspect", "app.wat", cwd=tmp_path).stdout.count("lib.") >= 2


@needs_wabt
def test_an_invalid_wat_is_reported_by_our_validator(tmp_path):
    (tmp_path / "bad.wat").write_text("(module (func (result i32) (i64.const 1)))")
    write_modules(tmp_path, bad="(module (func (result i32) (i64.const 1)))")
    from_text = wasmmerge("validate", "bad.wat", cwd=tmp_path)
    from_binary = wasmmerge("validate", "bad.wasm", cwd=tmp_path)
    assert from_text.returncode == from_binary.returncode == 1
    assert from_text.stderr == from_binary.stderr.replace("bad.wasm", "bad.wat")
    assert "type mismatch" in from_text.stderr and "[in function 0]" in from_text.stderr


@needs_wabt
def test_a_wat_syntax_error_names_file_line_and_column(tmp_path):
    (tmp_path / "bad.wat").write_text("(module\n  (func bogus))")
    proc = wasmmerge("bad.wat", "-o", "out.wasm", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("wasmmerge: error: bad.wat:2:9: unexpected token bogus")
    assert not (tmp_path / "out.wasm").exists()


def test_wat_input_without_wabt_says_how_to_get_it(tmp_path):
    (tmp_path / "lib.wat").write_text(LIB)
    proc = wasmmerge("lib.wat", "-o", "out.wasm", cwd=tmp_path, env=env_without_tools(tmp_path))
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("wasmmerge: error: lib.wat: text input needs wabt's wat2wasm")
    assert "apt-get install wabt" in proc.stderr and not (tmp_path / "out.wasm").exists()


def test_stdin_input(tmp_path):
    write_modules(tmp_path, lib=LIB, app=APP)
    expected = wasmmerge("lib.wasm", "app.wasm", "-o", "expected.wasm", cwd=tmp_path)
    assert expected.returncode == 0
    proc = wasmmerge("lib=-", "app.wasm", "-o", "-", cwd=tmp_path, input=(tmp_path / "lib.wasm").read_bytes(),
                     text=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (tmp_path / "expected.wasm").read_bytes()
    inspected = wasmmerge("inspect", "-", cwd=tmp_path, input=(tmp_path / "app.wasm").read_bytes(), text=False)
    assert inspected.returncode == 0 and b"lib.five" in inspected.stdout
    twice = wasmmerge("-", "-", "-o", "out.wasm", cwd=tmp_path, input="")
    assert twice.returncode == 2 and "read only once" in twice.stderr


@needs_wabt
def test_emit_text(tmp_path):
    write_modules(tmp_path, lib=LIB, app=APP)
    proc = wasmmerge("lib.wasm", "app.wasm", "-S", "-o", "out.wat", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "out.wat").read_text()
    assert text.startswith("(module") and "(export \"run\"" in text
    binary = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", cwd=tmp_path)
    assert binary.returncode == 0
    assert wat2wasm(text) == (tmp_path / "out.wasm").read_bytes()


def test_emit_text_without_wabt_writes_nothing(tmp_path):
    write_modules(tmp_path, lib=LIB)
    proc = wasmmerge("lib.wasm", "--emit-text", "-o", "out.wat", cwd=tmp_path, env=env_without_tools(tmp_path))
    assert proc.returncode == 1 and "--emit-text needs wabt's wasm2wat" in proc.stderr
    assert not (tmp_path / "out.wat").exists()


def test_a_bad_module_on_stdin_is_named_stdin(tmp_path):
    for command in (["validate", "-"], ["inspect", "-"], ["-", "-o", "out.wasm"]):
        proc = wasmmerge(*command, cwd=tmp_path, input=b"\0asm\1\0\0\0\1\5\1\x60", text=False)
        assert proc.returncode == 1
        assert proc.stderr.decode().startswith("wasmmerge: error: <stdin>:0x"), (command, proc.stderr)
    assert not (tmp_path / "out.wasm").exists()
