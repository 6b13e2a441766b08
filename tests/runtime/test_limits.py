"""Implementation limits of the engines: a clean "out of memory" for functions with more
locals than they run (docs/limits.md), never a Python exception, and translation costs
that follow the body rather than the declarations."""

import subprocess
import sys

import pytest

import wasmmerge
from conftest import ROOT
from wasmmerge.binary import leb
from wasmmerge.errors import Exhaustion
from wasmmerge.runtime import Store, instantiate
from wasmmerge.runtime.compiled import python_source
from wasmmerge.runtime.prepare import MAX_FUNCTION_LOCALS

ENGINES = ["reference", "compiled"]


def section(sid: int, body: bytes) -> bytes:
    return bytes((sid,)) + leb.write_unsigned(len(body)) + body


def many_locals(count: int, body: bytes = b"\x0b", params: int = 0) -> bytes:
    """A module exporting `f` (`params` i32 params, no results) declaring `count` i32 locals."""
    functype = b"\x60" + leb.write_unsigned(params) + b"\x7f" * params + b"\x00"
    entry = b"\x01" + leb.write_unsigned(count) + b"\x7f" + body
    return (b"\0asm\1\0\0\0" + section(1, b"\x01" + functype) + section(3, b"\x01\x00")
            + section(7, b"\x01\x01f\x00\x00") + section(10, b"\x01" + leb.write_unsigned(len(entry)) + entry))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("count", [MAX_FUNCTION_LOCALS + 1, 10 ** 6, 2 ** 32 - 1])
def test_too_many_locals_is_a_clean_out_of_memory(engine, count):
    module = wasmmerge.decode(many_locals(count))
    wasmmerge.validate(module)  # valid: the spec allows up to 2^32-1 locals
    store = Store(engine=engine)
    inst = instantiate(store, module, [])
    with pytest.raises(Exhaustion, match=f"out of memory: function 0 has {count} locals"):
        inst.invoke(store, "f")


@pytest.mark.parametrize("engine", ENGINES)
def test_parameters_count_towards_the_limit(engine):
    module = wasmmerge.decode(many_locals(MAX_FUNCTION_LOCALS, params=1))
    store = Store(engine=engine)
    inst = instantiate(store, module, [])
    with pytest.raises(Exhaustion, match="out of memory"):
        inst.invoke(store, "f", 7)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_limit_itself_runs(engine):
    # local.get 49999 ; local.set 0 ; end: the last local is zero-initialised.
    body = b"\x20" + leb.write_unsigned(MAX_FUNCTION_LOCALS - 1) + b"\x21\x00\x0b"
    module = wasmmerge.decode(many_locals(MAX_FUNCTION_LOCALS, body))
    store = Store(engine=engine)
    inst = instantiate(store, module, [])
    assert inst.invoke(store, "f") in ([], None)


def test_compiled_translation_initialises_only_the_locals_used():
    body = b"\x41\x05\x21\x02\x0b"  # i32.const 5 ; local.set 2
    source = python_source(wasmmerge.decode(many_locals(MAX_FUNCTION_LOCALS, body)), 0)
    assert "l2 = 0" in source
    assert "l3" not in source and f"l{MAX_FUNCTION_LOCALS - 1}" not in source


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("count", [10 ** 6, 2 ** 32 - 1])
def test_cli_reports_the_limit_as_a_trap(tmp_path, engine, count):
    path = tmp_path / "locals.wasm"
    path.write_bytes(many_locals(count))
    assert len(path.read_bytes()) < 40
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "run", str(path), "--invoke", "f",
                           "--engine", engine], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "trap: out of memory: function 0 has" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
