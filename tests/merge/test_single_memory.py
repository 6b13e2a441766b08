"""`--single-memory`: modules linked with `wasm-ld --emit-relocs` merged into one memory.

fixtures/single_memory/: `lib` (no libc; a linked list in data with pointers to data and
to strings, a .bss buffer, a stack array) and `app`, a WASI command that calls lib, has
its own data with pointers, and allocates with memory.grow (so its region goes last).
Both are built without libc: wasm-ld 14 crashes writing --emit-relocs output for some
wasi-libc members (and for programs using `__heap_base`).

The merged module has one memory; its output under WASI must equal that of the inputs
linked separately in wasmtime, and node 20 (which has no multi-memory) must load it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.writer import encode_module
from wasmmerge.errors import Unsupported
from wasmmerge.merger import MergeOptions, merge

wasmtime = pytest.importorskip("wasmtime")

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "single_memory"
NO_TOOLCHAIN = "clang and wasm-ld with wasm32 support not found: install clang and lld (make test does)"


def _run(*argv):
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    if proc.returncode != 0:
        if "unable to create target" in proc.stderr:
            pytest.skip(NO_TOOLCHAIN)
        pytest.fail(f"{' '.join(map(str, argv))} failed:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    clang = shutil.which("clang")
    if clang is None or shutil.which("wasm-ld") is None:
        pytest.skip(NO_TOOLCHAIN)
    out = tmp_path_factory.mktemp("single_memory")
    for name in ("lib", "app"):
        _run(clang, "--target=wasm32-wasi", "-O2", "-c", FIXTURES / f"{name}.c", "-o", out / f"{name}.o")
    # Linked in a separate step without -O, so that clang runs no wasm-opt over the output.
    _run(clang, "--target=wasm32-wasi", "-nostdlib", "-Wl,--no-entry", "-Wl,--emit-relocs",
         "-Wl,--export=sum_list,--export=label_chars,--export=bump,--export=fill", out / "lib.o",
         "-o", out / "lib.wasm")
    _run(clang, "--target=wasm32-wasi", "-nostdlib", "-Wl,--emit-relocs", out / "app.o", "-o", out / "app.wasm")
    return {"lib": (out / "lib.wasm").read_bytes(), "app": (out / "app.wasm").read_bytes(), "dir": out}


def _run_wasi(modules: list[tuple[str, bytes]], tmp_path: Path) -> str:
    """Instantiate the modules in order (each defining its exports under its name), run
    the last one's _start, and return what it wrote to stdout."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    config = wasmtime.WasiConfig()
    stdout = tmp_path / f"stdout-{len(modules)}.txt"
    config.stdout_file = str(stdout)
    store.set_wasi(config)
    instance = None
    for name, data in modules:
        instance = linker.instantiate(store, wasmtime.Module(engine, data))
        linker.define_instance(store, name, instance)
    instance.exports(store)["_start"](store)
    return stdout.read_text()


def test_single_memory_runs_like_the_inputs(built, tmp_path):
    result = merge([("lib", built["lib"]), ("app", built["app"])], MergeOptions(single_memory=True))
    out = result.module
    assert len(out.memories) + len([i for i in out.imports if i.kind == 2]) == 1
    expected = _run_wasi([("lib", built["lib"]), ("app", built["app"])], tmp_path)
    assert "sum after bump 75" in expected and "labels " in expected
    assert _run_wasi([("merged", result.data)], tmp_path) == expected
    # lib's data moved by nothing (first region); app's by lib's pages.
    lib_pages = decode_module(built["lib"]).memories[0].limits.min
    assert out.memories[0].limits.min == lib_pages + decode_module(built["app"]).memories[0].limits.min
    assert not [c for c in out.customs if c.name == "linking" or c.name.startswith("reloc.")]


def test_growing_input_goes_last(built, tmp_path):
    """app uses memory.grow, so its region is placed after lib's even when given first."""
    result = merge([("app", built["app"]), ("lib", built["lib"])], MergeOptions(single_memory=True))
    expected = _run_wasi([("lib", built["lib"]), ("app", built["app"])], tmp_path)
    assert _run_wasi([("merged", result.data)], tmp_path) == expected


def test_single_memory_output_validates_and_loads_in_node(built, tmp_path):
    result = merge([("lib", built["lib"]), ("app", built["app"])], MergeOptions(single_memory=True))
    path = tmp_path / "one.wasm"
    path.write_bytes(result.data)
    if shutil.which("wasm-validate"):
        _run("wasm-validate", path)
    tools = Path("/work/main/.venv/bin/wasm-tools")
    if tools.exists():
        _run(tools, "validate", path)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found (make test installs it)")
    _run(node, "-e", f"WebAssembly.compile(require('fs').readFileSync({str(path)!r}))"
                     ".catch(e => { console.error(String(e)); process.exit(1); })")
    # Without --single-memory the same merge has two memories, which node 20 refuses.
    two = tmp_path / "two.wasm"
    two.write_bytes(merge([("lib", built["lib"]), ("app", built["app"])], MergeOptions(export_conflicts="rename")).data)
    proc = subprocess.run([node, "-e", f"WebAssembly.compile(require('fs').readFileSync({str(two)!r}))"
                                       ".catch(e => {{ process.exit(3); }})"])
    assert proc.returncode == 3


def test_two_growing_inputs_are_refused(built):
    with pytest.raises(Unsupported) as err:
        merge([("app", built["app"]), ("app2", built["app"])], MergeOptions(single_memory=True))
    assert "memory.grow" in str(err.value) or "memory.size" in str(err.value)


def test_input_without_relocations_is_lowered(built, tmp_path):
    """lib without its linking/reloc.* sections cannot be relocated: its memory is lowered."""
    module = decode_module(built["lib"])
    module.customs = [c for c in module.customs if not c.name.startswith("reloc.") and c.name != "linking"]
    lib = encode_module(module)
    result = merge([("lib", lib), ("app", built["app"])], MergeOptions(single_memory=True))
    assert len(result.module.memories) == 1
    expected = _run_wasi([("lib", built["lib"]), ("app", built["app"])], tmp_path)
    assert _run_wasi([("merged", result.data)], tmp_path) == expected


# -- lowering (inputs without relocations) ------------------------------------------------

def _wat(tmp_path: Path, name: str) -> bytes:
    wat2wasm = shutil.which("wat2wasm")
    if wat2wasm is None:
        pytest.skip("wat2wasm not found: install wabt (make test does)")
    out = tmp_path / f"{name}.wasm"
    _run(wat2wasm, "--enable-all", FIXTURES / f"{name}.wat", "-o", out)
    return out.read_bytes()


# (export, args): every access at and just past each region's bounds, growth, bulk ops.
CALLS = [
    ("a_load", 8), ("a_load", 65533), ("a_load", 65534), ("a_load", -1),
    ("a_store", 65531, 7), ("a_load", 65530), ("a_store", 65532, 1), ("a_load64", 65528), ("a_load64", 65529),
    ("a_size",), ("a_fill", 65530, 9, 6), ("a_load", 65531), ("a_fill", 65530, 9, 7), ("a_fill", 65536, 1, 0),
    ("a_fill", 65537, 1, 0), ("a_lane", 8), ("a_lane", 65533), ("a_lane", 65534),
    ("b_load", 100), ("b_load", 65532), ("b_load", 65533), ("b_store8", 0, 5), ("b_store8", 1, 5),
    ("b_size",), ("b_init", 65534, 0, 2), ("b_load", 65532), ("b_init", 65535, 0, 2), ("b_init", 0, 3, 3),
    ("b_copy", 65530, 100, 4), ("b_load", 65530), ("b_copy", 65533, 100, 4), ("b_copy", 0, 65533, 4),
    ("b_grow", 1), ("b_size",), ("b_load", 65533), ("b_load", 131068), ("b_load", 131069),
    ("b_store8", 65536, 3), ("b_load", 131068), ("b_grow", 2), ("b_grow", 1), ("b_size",),
    ("b_load", 196604), ("b_load", 196605), ("a_load", 65534), ("a_size",), ("b_grow", 0),
]


def _observe(exports, store) -> list:
    seen = []
    for name, *args in CALLS:
        try:
            seen.append((name, args, exports(name)(store, *args)))
        except wasmtime.Trap as trap:
            seen.append((name, args, f"trap {trap.trap_code}"))
    return seen


def test_lowered_memories_behave_like_separate_ones(tmp_path):
    a, b = _wat(tmp_path, "lowered_a"), _wat(tmp_path, "lowered_b")
    result = merge([("a", a), ("b", b)], MergeOptions(single_memory=True))
    assert len(result.module.memories) == 1 and result.module.memories[0].limits.max == 4
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instances = [wasmtime.Instance(store, wasmtime.Module(engine, data), []) for data in (a, b)]
    separate = _observe(lambda n: next(i.exports(store)[n] for i in instances if n in i.exports(store)), store)
    store = wasmtime.Store(engine)
    merged = wasmtime.Instance(store, wasmtime.Module(engine, result.data), [])
    assert _observe(lambda n: merged.exports(store)[n], store) == separate
    assert sum(1 for _, _, r in separate if str(r).startswith("trap")) >= 10
    path = tmp_path / "lowered.wasm"
    path.write_bytes(result.data)
    if shutil.which("wasm-validate"):
        _run("wasm-validate", "--enable-all", path)
    tools = Path("/work/main/.venv/bin/wasm-tools")
    if tools.exists():
        _run(tools, "validate", path)
    if shutil.which("node"):
        _run("node", "-e", f"WebAssembly.compile(require('fs').readFileSync({str(path)!r}))"
                           ".catch(e => { console.error(String(e)); process.exit(1); })")


MOVING_CALLS = [
    ("c_load0", 0), ("c_load1", 0), ("c_store1", 5, 77), ("b_store8", 0, 66), ("c_grow0", 1), ("c_size0",),
    ("c_load1", 5), ("c_load1", 0), ("c_load1", 65536), ("c_load0", 65539), ("c_store0", 65539, 9),
    ("c_load0", 65539), ("b_grow", 1), ("b_load", 65532), ("c_load0", 0), ("c_load1", 5), ("c_load0", 65539),
    ("c_grow1", 2), ("c_size1",), ("c_load1", 196607), ("c_load1", 196608), ("c_store1", 196607, 1),
    ("c_grow0", 3), ("c_size0",), ("c_grow0", 2), ("c_size0",), ("c_load0", 65539), ("c_load1", 5),
    ("c_load1", 196607), ("c_copy10", 10, 0, 5), ("c_load1", 10), ("c_copy10", 10, 262142, 3),
    ("b_grow", 2), ("b_grow", 1), ("b_size",), ("b_load", 65532), ("c_load1", 12), ("c_size1",),
]


def test_several_growing_lowered_memories_move(tmp_path):
    b, c = _wat(tmp_path, "lowered_b"), _wat(tmp_path, "lowered_c")
    result = merge([("b", b), ("c", c)], MergeOptions(single_memory=True))
    assert len(result.module.memories) == 1
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instances = [wasmtime.Instance(store, wasmtime.Module(engine, data), []) for data in (b, c)]
    global CALLS
    saved, CALLS = CALLS, MOVING_CALLS
    try:
        separate = _observe(lambda n: next(i.exports(store)[n] for i in instances if n in i.exports(store)), store)
        store = wasmtime.Store(engine)
        merged = wasmtime.Instance(store, wasmtime.Module(engine, result.data), [])
        assert _observe(lambda n: merged.exports(store)[n], store) == separate
    finally:
        CALLS = saved
    assert ("c_grow0", [3], -1) in separate and ("c_load1", [5], 77) in separate


def test_lowering_refusals(built, tmp_path):
    a, b = _wat(tmp_path, "lowered_a"), _wat(tmp_path, "lowered_b")
    with pytest.raises(Unsupported) as err:  # b grows, so it goes last and a's export stays at 0
        merge([("b", b), ("a2", a), ("a", a)], MergeOptions(single_memory=True, export_conflicts="rename"))
    assert "exports memory 0 as 'memory'" in str(err.value)
    with pytest.raises(Unsupported) as err:  # app's heap (memory.size) cannot move
        merge([("b", b), ("b2", b), ("app", built["app"])], MergeOptions(single_memory=True,
                                                                          export_conflicts="rename"))
    assert "memory.grow" in str(err.value)


def test_cli_single_memory(built, tmp_path):
    out = tmp_path / "cli.wasm"
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "--single-memory", f"lib={built['dir'] / 'lib.wasm'}",
                           f"app={built['dir'] / 'app.wasm'}", "-o", out], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(decode_module(out.read_bytes()).memories) == 1
