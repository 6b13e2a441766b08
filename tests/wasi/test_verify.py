"""`wasmmerge verify`: inputs linked by name against the merged module, in our interpreter."""


import pytest
from click.testing import CliRunner

from wasmmerge.verify_cmd import verify_command

from conftest import FIXTURES, wat2wasm

from .helpers import build


def verify(*args):
    result = CliRunner().invoke(verify_command, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def linked(tmp_path):
    """lib.wasm (WAT, no memory) and app.wasm (C, imports lib.mix, uses WASI)."""
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(wat2wasm(FIXTURES / "wasi" / "linked_lib.wat"))
    app = build("linked_app", tmp_path)
    return lib, app


def test_command_merged_on_the_fly(linked):
    lib, app = linked
    status, output = verify(lib, app, "--", "hello", "world")
    assert status == 0, output
    assert "equivalent:" in output and "exit 11 both ways" in output
    assert "1 exported memories and globals" in output or "2 exported memories and globals" in output


def test_difference_is_reported(linked, tmp_path):
    lib, app = linked
    text = (FIXTURES / "wasi" / "linked_lib.wat").read_text().replace("i32.const 31", "i32.const 33")
    other_lib = tmp_path / "other" / "lib.wasm"
    other_lib.parent.mkdir()
    other_lib.write_bytes(wat2wasm(text))
    from wasmmerge.merger.pipeline import merge
    wrong = tmp_path / "wrong.wasm"
    wrong.write_bytes(merge([("lib", other_lib.read_bytes()), ("app", app.read_bytes())]).data)
    status, output = verify(lib, app, "--merged", wrong, "--", "hello", "world")
    assert status == 1
    assert "difference: exit status: linked exit 11, merged exit 7" in output


def test_invocations_and_exported_state(tmp_path):
    mathlib = tmp_path / "mathlib.wasm"
    mathlib.write_bytes(wat2wasm(FIXTURES / "demo" / "mathlib.wat"))
    app = tmp_path / "app.wasm"
    app.write_bytes(wat2wasm(FIXTURES / "demo" / "app.wat"))
    status, output = verify(mathlib, app, "--invoke", "app.compute 6 7", "--invoke", "app.answer",
                            "--invoke", "app.call_count")
    assert status == 0, output
    assert "3 call results" in output and "2 exported memories and globals" in output


def test_file_writing_program_compares_trees(tmp_path):
    files = build("files", tmp_path)
    box = tmp_path / "box"
    box.mkdir()
    (box / "keep.txt").write_text("kept\n")
    status, output = verify(files, "--dir", f"{box}::/sandbox", "--", "/sandbox")
    assert status == 0, output
    assert "preopen 0" in output
    assert sorted(p.name for p in box.iterdir()) == ["keep.txt"]  # runs use copies


def test_clock_and_random_programs_are_deterministic_under_verify(tmp_path):
    clocks = build("clocks", tmp_path)
    status, output = verify(clocks)
    assert status == 0, output




def test_two_wasi_programs_with_their_own_memories(tmp_path):
    """Linked, each instance's WASI calls read its own memory; the merged module has one
    set of WASI imports, which a WASI host binds to one memory: verify reports it."""
    from wasmmerge.runtime.wasi import WasiConfig
    from wasmmerge.runtime.wasi.session import run_program
    lib = build("printing_lib", tmp_path, "-mexec-model=reactor")
    app = build("printing_app", tmp_path)
    linked = run_program([("printing_lib", lib.read_bytes()), ("printing_app", app.read_bytes())],
                         WasiConfig(argv=["app"]))
    assert linked.stdout == b"app starts\nlib says 42\napp ends\n"
    status, output = verify(lib, app, "--rename-export-conflicts")
    assert status == 1 and "difference: stdout differs at byte 0 (line 1)" in output


def test_verify_through_the_command_line(linked):
    import subprocess
    import sys
    lib, app = linked
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "verify", f"lib={lib}", f"app={app}",
                           "--", "x"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("equivalent: exit status")


_LIB_WITH_MEMORY = """(module
  (memory (export "memory") 1)
  (data (i32.const 16) "lib's bytes")
  (global (export "count") (mut i32) (i32.const 5))
  (func (export "seven") (result i32) (i32.const 7)))"""

_APP_WITH_MEMORY = """(module
  (import "lib" "seven" (func $seven (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "app's bytes")
  (global (export "count") (mut i32) (i32.const 9))
  (func (export "run") (result i32)
    (i32.store (i32.const 0) (call $seven))
    (i32.load (i32.const 0))))"""


def test_export_from_compares_only_the_kept_exports(tmp_path):
    """With --export-from app the merged `memory` and `count` are app's: lib's (left out)
    are not compared with them (they were, and differed), merged now or given."""
    from wasmmerge.merger.options import MergeOptions
    from wasmmerge.merger.pipeline import merge
    lib, app = tmp_path / "lib.wasm", tmp_path / "app.wasm"
    lib.write_bytes(wat2wasm(_LIB_WITH_MEMORY))
    app.write_bytes(wat2wasm(_APP_WITH_MEMORY))
    status, output = verify(lib, app, "--export-from", "app", "--invoke", "app.run")
    assert status == 0, output
    assert "1 call results" in output and "2 exported memories and globals" in output
    merged = tmp_path / "merged.wasm"
    merged.write_bytes(merge([("lib", lib.read_bytes()), ("app", app.read_bytes())],
                             MergeOptions(export_from=["app"])).data)
    status, output = verify(lib, app, "--merged", merged, "--export-from", "app", "--invoke", "app.run")
    assert status == 0, output
    assert "2 exported memories and globals" in output
    # Without the option the merge is taken to keep lib's `memory` (the first input's):
    # compared with app's, the difference is reported, as the merge could have made it.
    status, output = verify(lib, app, "--merged", merged, "--invoke", "app.run")
    assert status == 1 and "memory lib.memory (merged: memory) differs at offset 0x0" in output
    assert ("note: the merged module lacks exports of lib: if it was merged with "
            "--export-from, give verify the same option") in output
    # A name that is no input is refused as merge refuses it.
    status, output = verify(lib, app, "--export-from", "nobody", "--invoke", "app.run")
    assert status == 1 and "--export-from names no input: nobody" in output
