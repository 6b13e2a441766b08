"""The embedding API, the Linker and `wasmmerge run`."""

import pytest
from click.testing import CliRunner

from conftest import wat2wasm
from wasmmerge.binary.types import I32, I64, FuncType, GlobalType, Limits, MemType
from wasmmerge.cli import cli
from wasmmerge.errors import LinkError, Trap, ValidationError
from wasmmerge.runtime import (HostRef, Linker, Store, exports_of, global_set, host_func, host_global,
                               imports_of, instantiate, invoke, load_module)

LIB = """
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "base" (global $base i32))
  (memory (export "mem") 1 3)
  (table (export "tab") 2 funcref)
  (global $count (export "count") (mut i32) (i32.const 0))
  (func $add (export "add") (param i32 i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $log (local.get 0))
    (i32.add (i32.add (local.get 0) (local.get 1)) (global.get $base)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "ref") (param externref) (result externref) (local.get 0))
  (elem (i32.const 1) $add))
"""

USER = """
(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (func (export "add2") (param i32) (result i32) (call $add (local.get 0) (i32.const 2))))
"""


@pytest.fixture
def lib_module():
    return load_module(wat2wasm(LIB))


def make_lib(store, module, logged):
    log = host_func(store, FuncType((I32,), ()), logged.append)
    base = host_global(store, GlobalType(I32), 100)
    return instantiate(store, module, [log, base])


def test_imports_and_exports_are_listed(lib_module):
    assert imports_of(lib_module) == [("env", "log", FuncType((I32,), ())),
                                     ("env", "base", GlobalType(I32))]
    exports = dict(exports_of(lib_module))
    assert exports["add"] == FuncType((I32, I32), (I32,))
    assert exports["mem"] == MemType(Limits(1, 3))
    assert exports["count"] == GlobalType(I32, mutable=True)


def test_invoke_host_functions_globals_memories_tables(lib_module):
    store = Store()
    logged = []
    inst = make_lib(store, lib_module, logged)
    add = inst.exports["add"]
    assert invoke(store, add, [1, 2]) == [103]
    assert logged == [1]
    count = inst.exports["count"]
    assert count.value == 1
    global_set(count, 41)
    invoke(store, add, [0, 0])
    assert count.value == 42
    mem = inst.exports["mem"]
    mem.write(10, b"\x07")
    assert inst.invoke(store, "peek", 10) == [7]
    assert mem.grow(2) == 1 and mem.pages == 3
    assert mem.grow(1) == -1
    with pytest.raises(Trap, match="out of bounds memory access"):
        mem.read(3 * 65536, 1)
    table = inst.exports["tab"]
    assert table.get(1) is add and table.get(0) is None
    assert table.grow(3) == 2 and table.size == 5
    with pytest.raises(Trap, match="out of bounds table access"):
        table.set(5, None)
    assert inst.invoke(store, "ref", HostRef("x")) == [HostRef("x")]


def test_import_types_are_checked(lib_module):
    store = Store()
    wrong = host_func(store, FuncType((I64,), ()), print)
    base = host_global(store, GlobalType(I32), 0)
    with pytest.raises(LinkError, match="incompatible import type"):
        instantiate(store, lib_module, [wrong, base])
    mutable = host_global(store, GlobalType(I32, mutable=True), 0)
    log = host_func(store, FuncType((I32,), ()), print)
    with pytest.raises(LinkError, match="incompatible import type"):
        instantiate(store, lib_module, [log, mutable])


def test_linker_swarm_and_duplicates(lib_module):
    store = Store()
    linker = Linker()
    logged = []
    linker.define_func(store, "env", "log", FuncType((I32,), ()), logged.append)
    linker.define("env", "base", host_global(store, GlobalType(I32), 0))
    linker.instantiate(store, lib_module, name="lib")
    user = linker.instantiate(store, load_module(wat2wasm(USER)), name="user")
    assert user.invoke(store, "add2", 11) == [13]
    assert logged == [11]
    with pytest.raises(LinkError, match=r"duplicate definition of lib\.mem"):
        linker.instantiate(store, lib_module, name="lib")


def test_linker_lists_every_missing_import(lib_module):
    with pytest.raises(LinkError, match=r"unknown import: env\.log \(func\), env\.base \(global\)"):
        Linker().instantiate(Store(), lib_module)


def test_invalid_modules_are_rejected_before_running():
    # (func (result i32) (i64.const 0)), which no assembler will write for us.
    data = (b"\0asm\1\0\0\0" + bytes.fromhex("0105016000017f") + bytes.fromhex("03020100")
            + bytes.fromhex("0a060104004200" + "0b"))
    with pytest.raises(ValidationError, match="type mismatch"):
        load_module(data)


def test_start_function_traps_leave_earlier_segment_writes():
    text = """
    (module
      (memory (export "mem") 1)
      (data (i32.const 0) "hi")
      (func $start unreachable)
      (start $start))
    """
    store = Store()
    with pytest.raises(Trap, match="unreachable"):
        instantiate(store, load_module(wat2wasm(text)), [])
    assert bytes(store.memories[-1].data[:2]) == b"hi"


# -- wasmmerge run ---------------------------------------------------------------------------

CLI_MODULE = """
(module
  (import "env" "note" (func $note (param i32 f32)))
  (func (export "calc") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
    (call $note (local.get 0) (local.get 2))
    (local.get 0) (local.get 1) (local.get 2) (local.get 3))
  (func (export "vec") (result v128) (v128.const i32x4 1 2 3 4))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))
"""


LIB_FOR_CLI = """
(module
  (import "env" "log" (func $log (param i32)))
  (func (export "add") (param i32 i32) (result i32)
    (call $log (local.get 0))
    (i32.add (local.get 0) (local.get 1))))
"""


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in (("m", CLI_MODULE), ("lib", LIB_FOR_CLI), ("user", USER)):
        path = tmp_path / f"{name}.wasm"
        path.write_bytes(wat2wasm(text))
        paths[name] = str(path)
    return paths


def test_run_prints_results_by_type(files):
    result = CliRunner().invoke(cli, ["run", files["m"], "--host", "log", "--invoke", "calc",
                                      "-5", "-9000000000", "1.5", "0.1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["env.note(-5, 1.5)", "-5", "-9000000000", "1.5", "0.1"]
    result = CliRunner().invoke(cli, ["run", files["m"], "--host", "log", "--invoke", "vec"])
    assert result.output.strip() == "00000004000000030000000200000001"


def test_run_reports_traps_with_status_3(files):
    result = CliRunner().invoke(cli, ["run", files["m"], "--host", "log", "--invoke", "div", "0"])
    assert result.exit_code == 3
    assert "integer divide by zero" in result.output


def test_run_lists_missing_host_imports(files):
    result = CliRunner().invoke(cli, ["run", files["m"], "--invoke", "div", "1"])
    assert result.exit_code == 1
    assert "unknown import: env.note (func)" in result.output


def test_run_links_modules_by_name(files):
    result = CliRunner().invoke(cli, ["run", f"lib={files['lib']}", f"user={files['user']}",
                                      "--host", "log", "--invoke", "user.add2", "11"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["env.log(11)", "13"]


def test_python_values_convert_to_bit_patterns_and_back():
    from wasmmerge.binary.types import F32, F64, V128
    from wasmmerge.runtime.values import from_python, to_python
    assert from_python(I32, -1) == 0xFFFF_FFFF and to_python(I32, 0xFFFF_FFFF) == -1
    assert from_python(I64, -2) == 0xFFFF_FFFF_FFFF_FFFE and to_python(I64, 1 << 63) == -(1 << 63)
    assert from_python(F32, 1.5) == 0x3FC0_0000 and to_python(F32, 0x3FC0_0000) == 1.5
    assert to_python(F64, from_python(F64, -0.0)) == 0.0 and from_python(F64, -0.0) == 1 << 63
    assert from_python(V128, -1) == (1 << 128) - 1


def test_host_functions_are_invoked_like_wasm_ones():
    store = Store()
    pair = host_func(store, FuncType((I32,), (I32, I32)), lambda x: (x, x + 1))
    assert invoke(store, pair, [4]) == [4, 5]


def test_run_with_fuel_and_the_spectest_host(tmp_path):
    text = """
    (module
      (import "spectest" "print_i32" (func $print (param i32)))
      (func (export "spin") (loop $l (br $l)))
      (func (export "show") (call $print (i32.const 42))))
    """
    path = tmp_path / "m.wasm"
    path.write_bytes(wat2wasm(text))
    result = CliRunner().invoke(cli, ["run", str(path), "--host", "spectest", "--fuel", "1000",
                                      "--invoke", "spin"])
    assert result.exit_code == 3 and "out of fuel" in result.output
    result = CliRunner().invoke(cli, ["run", str(path), "--host", "spectest", "--invoke", "show"])
    assert result.exit_code == 0 and result.output == "42:i32\n"
