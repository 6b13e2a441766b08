"""`wasmmerge inspect`: golden text output, JSON, and clean failures."""

import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, wat2wasm
from golden import GOLDEN_DIR, check_golden

GOLDEN = GOLDEN_DIR / "inspect_app.txt"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "wasmmerge", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def app_wasm(tmp_path):
    path = tmp_path / "app.wasm"
    path.write_bytes(wat2wasm(FIXTURES / "demo" / "app.wat"))
    return path


def test_text_output_matches_golden(app_wasm, request):
    proc = run_cli("inspect", "app.wasm", cwd=app_wasm.parent)
    assert proc.returncode == 0, proc.stderr
    check_golden(GOLDEN, proc.stdout, request)


def test_json_output(app_wasm):
    proc = run_cli("inspect", str(app_wasm), "--json")
    info = json.loads(proc.stdout)
    assert [i["name"] for i in info["imports"]] == ["add", "mul", "memory", "calls"]
    assert info["index_spaces"]["functions"] == 6
    assert info["start"] == 2
    assert [s["name"] for s in info["sections"]][:2] == ["type", "import"]
    assert info["features"] == ["mvp"]


def test_features_are_reported(tmp_path):
    path = tmp_path / "m.wasm"
    path.write_bytes(wat2wasm("""(module (memory 1) (memory 1)
      (func (result v128) (v128.const i32x4 1 2 3 4))
      (func (param i32) (result i32 i32) (local.get 0) (local.get 0))
      (func (return_call 3)) (func))"""))
    info = json.loads(run_cli("inspect", str(path), "--json").stdout)
    assert {"simd", "multi-memory", "multi-value", "tail-call"} <= set(info["features"])


@pytest.mark.parametrize("content,message", [
    (b"not wasm", "magic header not detected"),
    (b"\x00asm\x01\x00\x00\x00\x01\x05\x01\x60", "length out of bounds"),
])
def test_malformed_input_is_one_line_and_exit_1(tmp_path, content, message):
    path = tmp_path / "bad.wasm"
    path.write_bytes(content)
    proc = run_cli("inspect", str(path))
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_file(tmp_path):
    proc = run_cli("inspect", str(tmp_path / "nope.wasm"))
    assert proc.returncode == 1
    assert "No such file" in proc.stderr and "Traceback" not in proc.stderr
