"""`wasmmerge run` with WASI: a real process, real stdin/stdout, exit statuses, linked mode,
reactors, limits and clean messages (never a traceback)."""

import os
import signal
import subprocess
import sys

import pytest

from conftest import FIXTURES, wat2wasm

from .helpers import build

REACTOR = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $ready (mut i32) (i32.const 0))
  (data (i32.const 16) "initialized\\n")
  (func (export "_initialize")
    (global.set $ready (i32.const 40))
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 12))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "get") (param i32) (result i32) (i32.add (global.get $ready) (local.get 0))))"""

SPIN = '(module (func (export "_start") (loop $l (br $l))))'
SAY_THEN_SPIN = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "spinning\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 9))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop $l (br $l))))"""
RECURSE = '(module (func $f (export "_start") (call $f)))'


def wasmmerge(*args, stdin=b"", timeout=120):
    return subprocess.run([sys.executable, "-m", "wasmmerge", *map(str, args)], input=stdin,
                          capture_output=True, timeout=timeout, env={**os.environ})


def test_command_with_args_env_and_status(tmp_path):
    hello = build("hello", tmp_path)
    proc = wasmmerge("run", hello, "--env", "GREETING=hey", "--", "x", "--not-an-option", "5")
    assert proc.returncode == 5, proc.stderr
    out = proc.stdout.decode()
    assert "argv[1]=x\nargv[2]=--not-an-option\nargv[3]=5\nGREETING=hey\n" in out
    assert proc.stderr == b"to stderr\n"


def test_inherit_env(tmp_path):
    hello = build("hello", tmp_path)
    env = {**os.environ, "GREETING": "from host"}
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "run", str(hello), "--inherit-env"],
                          capture_output=True, env=env)
    assert b"GREETING=from host" in proc.stdout
    proc = wasmmerge("run", hello)
    assert b"GREETING=(unset)" in proc.stdout  # nothing inherited unless asked


def test_preopened_dir_and_guest_name(tmp_path):
    files = build("files", tmp_path)
    box = tmp_path / "box"
    box.mkdir()
    proc = wasmmerge("run", files, "--dir", f"{box}::/data", "--", "/data")
    assert proc.returncode == 0, proc.stderr
    assert b"line 42 reads: line 042" in proc.stdout
    proc = wasmmerge("run", files, "--", "/data")  # nothing preopened
    assert proc.returncode == 1 and b"fopen for writing failed" in proc.stdout


def test_real_stdin_pipe(tmp_path):
    echo = build("echo", tmp_path)
    proc = wasmmerge("run", echo, stdin=b"abc\ndef\n")
    assert proc.returncode == 2
    assert proc.stdout.decode() == "poll: 1 readable 1\nABC\nDEF\n2 lines, 8 bytes\n"


def test_reactor_initialize_then_invoke(tmp_path):
    path = tmp_path / "reactor.wasm"
    path.write_bytes(wat2wasm(REACTOR))
    proc = wasmmerge("run", path, "--invoke", "get", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"initialized\n42\n"


def test_linked_mode_gives_every_instance_wasi(tmp_path):
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(wat2wasm(FIXTURES / "wasi" / "linked_lib.wat"))
    app = build("linked_app", tmp_path)
    for items in ([f"lib={lib}", f"app={app}"], [lib, app]):  # names default to file stems
        proc = wasmmerge("run", *items, "--", "hello", "world")
        assert proc.returncode == 11, proc.stderr
        assert proc.stdout == b"mixed 2 arguments: 992148443\n"


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_limits_end_cleanly(tmp_path, engine):
    spin = tmp_path / "spin.wasm"
    spin.write_bytes(wat2wasm(SPIN))
    recurse = tmp_path / "recurse.wasm"
    recurse.write_bytes(wat2wasm(RECURSE))
    proc = wasmmerge("run", "--engine", engine, spin, "--timeout", "0.5")
    assert proc.returncode == 3 and proc.stderr == b"wasmmerge: error: trap: timeout: still running after 0.5 s\n"
    proc = wasmmerge("run", "--engine", engine, spin, "--fuel", "5000")
    assert proc.returncode == 3 and proc.stderr == b"wasmmerge: error: trap: out of fuel\n"
    proc = wasmmerge("run", "--engine", engine, recurse)
    assert proc.returncode == 3 and proc.stderr == b"wasmmerge: error: trap: call stack exhausted\n"


def test_max_memory(tmp_path):
    sortheap = build("sortheap", tmp_path)
    proc = wasmmerge("run", sortheap, "--max-memory", "1")  # below the program's own minimum (2 pages)
    assert proc.returncode == 3 and b"wasmmerge: error: trap: out of memory" in proc.stderr
    assert b"Traceback" not in proc.stderr
    proc = wasmmerge("run", sortheap, "--max-memory", "64MiB")
    assert proc.returncode == 0 and proc.stdout.startswith(b"sorted 1:")


def test_user_errors_are_one_line(tmp_path):
    hello = build("hello", tmp_path)
    proc = wasmmerge("run", hello, "--dir", tmp_path / "missing")
    assert proc.returncode == 1 and proc.stderr.startswith(b"wasmmerge: error: --dir")
    lib = tmp_path / "lib.wasm"
    lib.write_bytes(wat2wasm('(module (func (export "f")))'))
    proc = wasmmerge("run", lib)
    assert proc.returncode == 1 and b"no module exports _start" in proc.stderr


def test_interrupt_is_clean(tmp_path):
    spin = tmp_path / "spin.wasm"
    spin.write_bytes(wat2wasm(SAY_THEN_SPIN))
    child = subprocess.Popen([sys.executable, "-m", "wasmmerge", "run", str(spin)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline() == b"spinning\n"  # streamed as it runs, and now in the loop
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130 and err == b"wasmmerge: error: interrupted\n"
