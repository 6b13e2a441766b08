"""Issue 15, item 9: a progress line on a terminal, nothing in logs or pipes."""

import os
import pty
import subprocess
import sys

from .clirun import APP, LIB, write_modules

# Shown at once instead of after a second, so a small merge shows it.
IMMEDIATE = {**os.environ, "WASMMERGE_PROGRESS_AFTER": "0"}


def _run_with_terminal_stderr(args, cwd) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal; return the status and what the terminal got."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "wasmmerge", *args], cwd=cwd, env=IMMEDIATE,
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def _slow_enough(tmp_path):
    """Many functions, so that the merge lasts past the first redraw (0.5 s apart)."""
    funcs = "".join(f'(func (export "f{i}") (param i32) (result i32) local.get 0 call $five i32.add)'
                    for i in range(3000))
    write_modules(tmp_path, lib=LIB,
                  app=f'(module (import "lib" "five" (func $five (result i32))) {funcs})'
                  .replace("call $five i32.add", "call $five drop"))


def test_progress_line_on_a_terminal(tmp_path):
    _slow_enough(tmp_path)
    status, seen = _run_with_terminal_stderr(["lib.wasm", "app.wasm", "-o", "out.wasm"], tmp_path)
    assert status == 0, seen
    assert "wasmmerge: merging 2 inputs: " in seen and " s)" in seen
    assert seen.endswith("\r\033[K"), repr(seen[-80:])  # erased at the end
    assert (tmp_path / "out.wasm").exists()


def test_an_error_starts_on_a_clean_line(tmp_path):
    _slow_enough(tmp_path)
    (tmp_path / "twin.wasm").write_bytes((tmp_path / "lib.wasm").read_bytes())
    status, seen = _run_with_terminal_stderr(["lib.wasm", "twin.wasm", "app.wasm", "-o", "out.wasm"], tmp_path)
    assert status == 1
    error = seen[seen.index("wasmmerge: error:"):]
    assert "export name conflicts" in error and "merging" not in error
    before = seen[:seen.index("wasmmerge: error:")]
    assert before == "" or before.endswith("\r\033[K"), repr(before[-80:])


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    write_modules(tmp_path, lib=LIB, app=APP)
    for args in (["lib.wasm", "app.wasm", "-o", "out.wasm"], ["validate", "lib.wasm", "app.wasm"]):
        proc = subprocess.run([sys.executable, "-m", "wasmmerge", *args], cwd=tmp_path, env=IMMEDIATE,
                              capture_output=True)
        assert proc.returncode == 0 and proc.stderr == b"", proc.stderr


def test_validate_progress_names_the_file(tmp_path):
    _slow_enough(tmp_path)
    status, seen = _run_with_terminal_stderr(["validate", "lib.wasm", "app.wasm"], tmp_path)
    assert status == 0, seen
    assert "wasmmerge: validating: " in seen and ("1/2 lib.wasm" in seen or "2/2 app.wasm" in seen)
