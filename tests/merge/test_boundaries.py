"""Boundary cases a mutation run showed untested (issue 15, "the test suite itself"):
constant folding across the signed wrap, import limits that differ by exactly one or are
equal, a rename whose result is already an export, and instantiation order where an
earlier module's segment runs past its memory's end by its length alone.

wasmtime is the oracle: what the inputs do linked by name, the merged module must do.
"""

import pytest
import wasmtime

from conftest import wat2wasm
from wasmmerge.errors import LinkError
from wasmmerge.merger import MergeOptions, merge

# -- constant folding across the signed wrap ---------------------------------------------------

LIMITS = """(module
  (global (export "i32max") i32 (i32.const 0x7fffffff))
  (global (export "i32min") i32 (i32.const -0x80000000))
  (global (export "i64max") i64 (i64.const 0x7fffffffffffffff))
  (global (export "i64min") i64 (i64.const -0x8000000000000000)))"""
FOLDS = """(module
  (import "limits" "i32max" (global $i32max i32))
  (import "limits" "i32min" (global $i32min i32))
  (import "limits" "i64max" (global $i64max i64))
  (import "limits" "i64min" (global $i64min i64))
  (global (export "i32add") i32 (i32.add (global.get $i32max) (i32.const 1)))
  (global (export "i32sub") i32 (i32.sub (global.get $i32min) (i32.const 1)))
  (global (export "i32mul") i32 (i32.mul (global.get $i32max) (i32.const 2)))
  (global (export "i64add") i64 (i64.add (global.get $i64max) (i64.const 1)))
  (global (export "i64sub") i64 (i64.sub (global.get $i64min) (i64.const 1)))
  (global (export "i64mul") i64 (i64.mul (global.get $i64max) (i64.const 2))))"""
WRAPPED = {"i32add": -2**31, "i32sub": 2**31 - 1, "i32mul": -2, "i64add": -2**63, "i64sub": 2**63 - 1,
           "i64mul": -2}


def _exports(engine, store, instance) -> dict:
    return {name: instance.exports(store)[name] for name in WRAPPED}


def test_constant_folding_wraps_like_the_engine():
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    limits = linker.instantiate(store, wasmtime.Module(engine, wat2wasm(LIMITS)))
    linker.define_instance(store, "limits", limits)
    linked = linker.instantiate(store, wasmtime.Module(engine, wat2wasm(FOLDS)))
    linked_values = {name: g.value(store) for name, g in _exports(engine, store, linked).items()}
    assert linked_values == WRAPPED
    merged = merge([("limits", wat2wasm(LIMITS)), ("folds", wat2wasm(FOLDS))]).data
    instance = wasmtime.Instance(store, wasmtime.Module(engine, merged), [])
    assert {name: g.value(store) for name, g in _exports(engine, store, instance).items()} == WRAPPED


# -- import limits: maxima and minima one apart, and equal ---------------------------------------

def _limits_case(kind: str, exported: str, imported: str) -> tuple[bytes, bytes]:
    item = "memory" if kind == "memory" else "table"
    elem = "" if kind == "memory" else " funcref"
    provider = f'(module ({item} (export "x") {exported}{elem}))'
    consumer = f'(module (import "provider" "x" ({item} {imported}{elem})))'
    return wat2wasm(provider), wat2wasm(consumer)


def _links_in_wasmtime(provider: bytes, consumer: bytes) -> bool:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_instance(store, "provider", linker.instantiate(store, wasmtime.Module(engine, provider)))
    try:
        linker.instantiate(store, wasmtime.Module(engine, consumer))
    except wasmtime.WasmtimeError:
        return False
    return True


@pytest.mark.parametrize("kind", ["memory", "table"])
@pytest.mark.parametrize("exported,imported,links", [
    ("1 4", "1 3", False),  # the export may grow one past what the import allows
    ("1 3", "1 3", True),
    ("1 3", "1 4", True),
    ("2 3", "3 3", False),  # the export starts one below the import's minimum
    ("3 3", "3 3", True),
    ("1", "1 3", False),    # no maximum against a maximum
])
def test_import_limits_at_the_boundary(kind, exported, imported, links):
    provider, consumer = _limits_case(kind, exported, imported)
    assert _links_in_wasmtime(provider, consumer) == links
    inputs = [("provider", provider), ("consumer", consumer)]
    if links:
        assert merge(inputs).data.startswith(b"\0asm")
    else:
        with pytest.raises(LinkError) as caught:
            merge(inputs)
        assert "provider" in str(caught.value) and "consumer" in str(caught.value)


# -- --rename-export-conflicts when the renamed form is already an export ------------------------

@pytest.mark.parametrize("a_exports,b_exports", [
    (["f", "b.f"], ["f"]),   # an earlier input exports the renamed form
    (["f"], ["b.f", "f"]),   # the input itself does, before the clash
    (["f"], ["f", "b.f"]),   # ... or after it
], ids=["earlier-input", "own-before", "own-after"])
def test_rename_onto_an_existing_export_is_a_clean_error(a_exports, b_exports):
    def module(names):
        return wat2wasm("(module " + " ".join(f'(func (export "{n}"))' for n in names) + ")")
    with pytest.raises(LinkError) as caught:
        merge([("a", module(a_exports)), ("b", module(b_exports))], MergeOptions(export_conflicts="rename"))
    assert "'b.f' is taken" in str(caught.value) and "internal error" not in str(caught.value)


def test_rename_onto_a_later_input_export_renames_that_one_too():
    """`c` exporting "b.f" comes after b's renamed f: c's clashes and is renamed in turn."""
    def module(names):
        return wat2wasm("(module " + " ".join(f'(func (export "{n}"))' for n in names) + ")")
    result = merge([("a", module(["f"])), ("b", module(["f"])), ("c", module(["b.f"]))],
                   MergeOptions(export_conflicts="rename"))
    assert [e.name for e in result.module.exports] == ["f", "b.f", "c.b.f"]


# -- instantiation order: an earlier segment out of bounds by its length alone ------------------

FIRST = """(module
  (import "env" "mem" (memory 1))
  (data (i32.const {offset}) "{text}"))"""
SECOND = """(module
  (import "env" "tab" (table 2 funcref))
  (elem (i32.const 0) func $f)
  (func $f))"""


def _run(modules: list[bytes], merged: bool):
    """Instantiate (in order, linked, or the merged module); return the trap or None and
    whether the host table's slot 0 was written."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
    table = wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(2, None)), None)
    linker.define(store, "env", "mem", memory)
    linker.define(store, "env", "tab", table)
    trap = None
    try:
        for data in modules:
            linker.instantiate(store, wasmtime.Module(engine, data))
    except wasmtime.Trap as err:
        trap = err.trap_code
    slot = table.get(store, 0)
    written = slot is not None and getattr(slot, "value", slot) is not None  # a null funcref reads as Val(None)
    return trap, written, memory.read(store, 65530, 65536)


@pytest.mark.parametrize("offset,traps", [(65531, True), (65530, False)],
                         ids=["one-byte-past-the-end", "exactly-to-the-end"])
def test_a_later_table_write_waits_for_an_earlier_segment_that_traps(offset, traps):
    """first's data segment starts inside its memory; whether it ends inside depends on
    its length (6 bytes from 65530 fit exactly, from 65531 run one past). Instantiated in
    order, a trap there means second never writes the table; the merged module applies
    all element segments before all data segments, so it must not keep second's
    element segment active on the strength of first's offset alone."""
    first = wat2wasm(FIRST.format(offset=offset, text="sixsix"))
    second = wat2wasm(SECOND)
    linked = _run([first, second], merged=False)
    assert (linked[0] is not None) == traps and linked[1] == (not traps)
    out = merge([("first", first), ("second", second)]).data
    assert _run([out], merged=True) == linked
