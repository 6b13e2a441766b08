"""Merging what clang, wasm-ld and wasi-libc make (fixtures/toolchain/*.c, built here):
a library and a WASI app sharing `env.memory` with different minimums, each with its own
table; a reactor library with a command; overlapping data layouts; objects and
`--emit-relocs` modules. Each merged module is checked by our validator, wabt,
wasm-tools, wasmtime and node 20, and run under WASI against its inputs linked by name.
"""

import pytest
import wasmtime

from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.types import FUNC_KIND, MEMORY_KIND, TABLE_KIND
from wasmmerge.custom import target_features
from wasmmerge.errors import LinkError
from wasmmerge.merger import MergeOptions, merge

from .toolchain import build, check_everywhere, engine, run_linked, run_merged

LIB_FLAGS = ("-nostartfiles", "-Wl,--no-entry", "-Wl,--import-memory", "-Wl,--global-base=1024",
             "-Wl,-z,stack-size=8192")
APP_FLAGS = ("-Wl,--import-memory", "-Wl,--global-base=65536")
REACTOR_FLAGS = ("-mexec-model=reactor", "-Wl,--import-memory", "-Wl,-z,stack-size=8192")


@pytest.fixture(scope="module")
def shared_memory_pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared")
    return build(tmp, "mathlib.c", *LIB_FLAGS), build(tmp, "app.c", *APP_FLAGS, export_memory=True)


def _memory_imports(data: bytes):
    module = decode_module(data, lazy=True)
    return [(imp.module, imp.name, imp.type.limits) for imp in module.imports if imp.kind == MEMORY_KIND]


def test_library_and_app_share_one_memory_import(shared_memory_pair, tmp_path):
    lib, app = shared_memory_pair
    assert _memory_imports(lib)[0][2].min == 1 and _memory_imports(app)[0][2].min == 3  # what the test needs
    result = merge([("mathlib", lib), ("app", app)])
    (module, name, limits), = _memory_imports(result.data)
    assert (module, name, limits.min, limits.max) == ("env", "memory", 3, None)
    merged = decode_module(result.data, lazy=True)
    assert merged.count(MEMORY_KIND) == 1 and merged.count(TABLE_KIND) == 2  # both tables are used
    assert not [w for w in result.warnings if "overlap" in w]
    check_everywhere(result.data, tmp_path)
    linked = run_linked([("mathlib", lib), ("app", app)], tmp_path, memory_pages=3)
    merged_run = run_merged(result.data, tmp_path, memory_pages=3)
    assert linked == merged_run
    assert merged_run.exit_code == 7
    assert 'add 42 mul 42 sub 42\nlibrary says "mathlib data" after 3 calls\nhook 42, heap ok\n' == merged_run.stdout


def test_two_tables_need_reference_types_target(shared_memory_pair):
    lib, app = shared_memory_pair
    merge([("mathlib", lib), ("app", app)], MergeOptions(target="node20"))
    merge([("mathlib", lib), ("app", app)], MergeOptions(target="2.0"))
    with pytest.raises(LinkError) as err:
        merge([("mathlib", lib), ("app", app)], MergeOptions(target="1.0"))
    message = str(err.value)
    assert "--target 1.0" in message and "reference-types" in message
    assert "separate tables of mathlib, app" in message


def test_merge_introduced_features_are_warned_about_or_recorded(shared_memory_pair):
    lib, app = shared_memory_pair
    result = merge([("mathlib", lib), ("app", app)])
    sections = [decode_module(data, lazy=True).custom("target_features") for data in (lib, app)]
    inputs = {f.name for s in sections if s is not None for f in target_features.parse(s.data).features}
    if "reference-types" not in inputs:  # clang 14's defaults: two tables are the merge's doing
        assert any("needs reference-types (separate tables of mathlib, app)" in w for w in result.warnings)
    section = decode_module(result.data, lazy=True).custom("target_features")
    if any(sections):
        assert "reference-types" in {f.name for f in target_features.parse(section.data).features}
    else:
        assert section is None


def test_overlapping_data_layouts_warn(tmp_path):
    lib = build(tmp_path, "mathlib.c", *LIB_FLAGS)
    app = build(tmp_path, "app.c", "-Wl,--import-memory")  # its data at 1024 too
    result = merge([("mathlib", lib), ("app", app)])
    overlaps = [w for w in result.warnings if "overlap" in w]
    assert len(overlaps) == 1
    assert overlaps[0].startswith("data of mathlib and app overlap in memory 0 at bytes 1024..")


@pytest.fixture(scope="module")
def reactor_and_command(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reactor")
    reactor = build(tmp, "reactor.c", *REACTOR_FLAGS, "-Wl,--global-base=1024")
    reactor2 = build(tmp, "reactor2.c", *REACTOR_FLAGS, "-Wl,--global-base=16384")
    command = build(tmp, "command.c", *APP_FLAGS, export_memory=True)
    return reactor, reactor2, command


def _exports(data: bytes) -> set[str]:
    return {e.name for e in decode_module(data, lazy=True).exports if e.kind == FUNC_KIND}


def test_reactor_then_command_follows_the_wasi_abi(reactor_and_command, tmp_path):
    reactor, _, command = reactor_and_command
    assert "_initialize" in _exports(reactor) and "_start" in _exports(command)
    result = merge([("reactor", reactor), ("command", command)])
    assert "_start" in _exports(result.data) and "_initialize" not in _exports(result.data)
    assert decode_module(result.data, lazy=True).start is None  # WASI calls are not allowed there
    check_everywhere(result.data, tmp_path)
    linked = run_linked([("reactor", reactor), ("command", command)], tmp_path, memory_pages=3)
    merged = run_merged(result.data, tmp_path, memory_pages=3)
    assert linked == merged
    assert merged.stdout == "sum of squares 1240 (own constructor ran: 1)\n" and merged.exit_code == 0


def test_command_first_still_initialises_the_reactor(reactor_and_command, tmp_path):
    reactor, _, command = reactor_and_command
    # The command imports from the reactor, so the reactor is instantiated first when
    # linked; merged, the order of the inputs does not matter for _start.
    result = merge([("command", command), ("reactor", reactor)])
    merged = run_merged(result.data, tmp_path, memory_pages=3)
    assert merged.stdout.startswith("sum of squares 1240")


def test_reactors_only_get_one_initialize_calling_them_in_order(reactor_and_command, tmp_path):
    reactor, reactor2, _ = reactor_and_command
    result = merge([("reactor", reactor), ("reactor2", reactor2)])
    exports = _exports(result.data)
    assert "_initialize" in exports and "_start" not in exports
    check_everywhere(result.data, tmp_path)
    eng = engine()
    store = wasmtime.Store(eng)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(eng)
    linker.define_wasi()
    linker.define(store, "env", "memory", wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(2, None))))
    instance = linker.instantiate(store, wasmtime.Module(eng, result.data))
    functions = instance.exports(store)
    assert functions["ready"](store) == 0 and functions["order"](store) == 0
    functions["_initialize"](store)
    assert functions["ready"](store) == 1 and functions["order"](store) == 2


def test_relocatable_object_is_refused(tmp_path):
    obj = build(tmp_path, "mathlib.c", "-c", output="mathlib.o")
    with pytest.raises(LinkError, match=r"mathlib is a relocatable object .*wasmmerge link"):
        merge([("mathlib", obj)])


def test_emit_relocs_module_merges_with_one_warning(tmp_path):
    lib = build(tmp_path, "mathlib.c", *LIB_FLAGS, "-Wl,--emit-relocs")
    app = build(tmp_path, "app.c", *APP_FLAGS, "-Wl,--emit-relocs", export_memory=True)
    result = merge([("mathlib", lib), ("app", app)])
    stale = [w for w in result.warnings if "relocation sections" in w]
    assert [w.split(":")[0] for w in stale] == ["mathlib", "app"]
    assert all("linking" in w and "reloc.CODE" in w for w in stale)
    names = {c.name for c in decode_module(result.data, lazy=True).customs}
    assert "linking" not in names and not any(n.startswith("reloc.") for n in names)
    merged_run = run_merged(result.data, tmp_path, memory_pages=3)
    assert merged_run == run_linked([("mathlib", lib), ("app", app)], tmp_path, memory_pages=3)
