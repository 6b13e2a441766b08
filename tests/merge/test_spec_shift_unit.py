"""Every spec-suite module, merged after a module that defines one of everything, behaves
like the module alone.

The first input shifts every index space of the second (types, functions, tables,
memories, globals, tags, element and data segments), so nearly every index immediate of
the suite's code is rewritten. Validation (ours, run by `merge`) checks the output is
well-typed; wasmtime then runs the script's actions on the original module and on the
merged one and the outcomes must agree. Modules importing other registered modules, and
actions with v128 or reference arguments, are left out of the run (not of the merge).
"""

import json
import math
import struct
from functools import lru_cache

import pytest
import wasmtime

from conftest import or_missing_suite, suite_dir, suite_scripts
from wasmmerge.merger import MergeOptions, merge

SHIFT_WAT = """(module
  (type (func (param i64 f64 f32 i32 i64 f64)))
  (func (type 0)) (table 1 funcref) (memory 1) (global i64 (i64.const 7)) (tag (type 0))
  (elem func 0) (data "shift"))"""

SCRIPTS = {version: suite_scripts(version) for version in ("wasm-2.0", "wasm-3.0")}


@lru_cache(maxsize=1)
def _shift() -> bytes:
    return wasmtime.wat2wasm(SHIFT_WAT)


def _config():
    config = wasmtime.Config()
    for feature in ("multi_memory", "tail_call", "function_references", "gc", "exceptions",
                    "memory64", "relaxed_simd", "simd", "threads"):
        setattr(config, f"wasm_{feature}", True)
    return config


ENGINE = None


def _engine():
    global ENGINE
    if ENGINE is None:
        ENGINE = wasmtime.Engine(_config())
    return ENGINE


def _spectest(store, module):
    """The spectest host objects the module imports, or None if it imports anything else."""
    out = []
    for imp in module.imports:
        if imp.module != "spectest":
            return None
        t = imp.type
        if isinstance(t, wasmtime.FuncType):
            out.append(wasmtime.Func(store, t, lambda *args: None))
        elif isinstance(t, wasmtime.GlobalType):
            value = {"global_i32": 666, "global_i64": 666, "global_f32": 666.6, "global_f64": 666.6}.get(imp.name)
            if value is None:
                return None
            out.append(wasmtime.Global(store, t, value))
        elif isinstance(t, wasmtime.MemoryType):
            out.append(wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, 2))))
        elif isinstance(t, wasmtime.TableType):
            out.append(wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(),
                                                                wasmtime.Limits(10, 20)), None))
        else:
            return None
    return out


def _arg(value: dict):
    kind, raw = value["type"], value.get("value")
    if kind in ("i32", "i64"):
        bits = 32 if kind == "i32" else 64
        n = int(raw)
        return n - (1 << bits) if n >> (bits - 1) else n
    if kind == "f32":
        return struct.unpack("<f", struct.pack("<I", int(raw)))[0]
    if kind == "f64":
        return struct.unpack("<d", struct.pack("<Q", int(raw)))[0]
    raise _Skip()


class _Skip(Exception):
    pass


def _observe(value):
    if isinstance(value, float):
        return "nan" if math.isnan(value) else struct.pack("<d", value)
    if isinstance(value, (list, tuple)):
        return [_observe(v) for v in value]
    if value is None or isinstance(value, int):
        return value
    return "ref"


class _Run:
    def __init__(self, data: bytes):
        self.store = wasmtime.Store(_engine())
        module = wasmtime.Module(_engine(), data)
        imports = _spectest(self.store, module)
        if imports is None:
            raise _Skip()
        try:
            self.instance = wasmtime.Instance(self.store, module, imports)
            self.failed = None
        except (wasmtime.Trap, wasmtime.WasmtimeError) as err:
            self.instance, self.failed = None, type(err).__name__

    def act(self, action: dict):
        exports = self.instance.exports(self.store)
        try:
            if action["type"] == "get":
                return _observe(exports[action["field"]].value(self.store))
            args = [_arg(a) for a in action["args"]]
            return _observe(exports[action["field"]](self.store, *args))
        except wasmtime.Trap as trap:
            return ("trap", str(trap.trap_code))
        except wasmtime.WasmtimeError as err:
            return ("error", "exhausted" if "stack" in str(err) else type(err).__name__)


def _modules_with_actions(script):
    """(module file, [actions on it]) for each binary module command of a script."""
    commands = json.loads(script.read_text())["commands"]
    current = None
    out = []
    for command in commands:
        if command["type"] == "module" and command.get("module_type", "binary") == "binary":
            current = (command["filename"], [])
            out.append(current)
        elif current and command["type"] in ("assert_return", "assert_trap", "action"):
            action = command["action"]
            if action.get("module") is None:
                current[1].append(action)
    return out


def _script_ids(version):
    return [pytest.param(s, id=s.stem) for s in SCRIPTS[version]]


@pytest.mark.spec
@pytest.mark.parametrize("version", ["wasm-2.0", "wasm-3.0"])
def test_every_suite_module_merges_into_a_valid_module(version):
    directory = suite_dir(version)
    merged = 0
    for script in SCRIPTS[version]:
        for filename, _ in _modules_with_actions(script):
            data = (script.parent / filename).read_bytes()
            merge([("shift", _shift()), ("m", data)], MergeOptions())  # validates the output
            merged += 1
    assert merged > 1000, directory


@pytest.mark.spec
@pytest.mark.parametrize("script", or_missing_suite(_script_ids("wasm-2.0") + _script_ids("wasm-3.0")))
def test_merged_suite_module_behaves_like_the_original(script):
    checked = 0
    for filename, actions in _modules_with_actions(script):
        if not actions:
            continue
        data = (script.parent / filename).read_bytes()
        result = merge([("shift", _shift()), ("m", data)], MergeOptions(validate=False))
        try:
            original = _Run(data)
        except (_Skip, wasmtime.WasmtimeError):
            continue  # imports we do not provide, or a module wasmtime itself does not take
        merged = _Run(result.data)
        assert merged.failed == original.failed, filename
        if original.failed:
            continue
        for action in actions:
            try:
                expected = original.act(action)
            except _Skip:
                continue
            assert merged.act(action) == expected, f"{filename}: {action}"
            checked += 1
    if not checked:
        pytest.skip("no action of this script can be run through wasmtime-py")
