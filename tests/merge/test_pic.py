"""PIC side modules (dylink.0) placed statically: one memory, one table, GOT filled.

The fixtures (fixtures/pic/: a PIC main `app`, side module `util` needing side module
`core`) are built with clang 14, which makes PIC code for wasm only for
`--target=wasm32-unknown-emscripten` (no libc there, so the sources are freestanding),
then `wasm-ld --experimental-pic -shared` (side modules; `util` is linked against
`core.wasm`, which records `needed`) and `-pie --import-memory` (the main module).

The merged module must behave like (1) the same modules loaded separately by a small
loader written here, which does what emscripten's loader does (memory and table bases,
GOT globals, data relocations at instantiation, constructors in dependency order), and
(2) the same sources linked statically by wasm-ld. Each output is checked by our
validator (the merge validates), wabt, wasm-tools, wasmtime and node.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.writer import encode_module
from wasmmerge.binary.model import CustomSection
from wasmmerge.custom import dylink
from wasmmerge.errors import LinkError, Unsupported
from wasmmerge.merger import merge
from wasmmerge.runtime import Linker, Store, load_module

wasmtime = pytest.importorskip("wasmtime")

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "pic"
NO_TOOLCHAIN = "clang and wasm-ld with wasm32 support not found: install clang and lld (make test does)"


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.skip(NO_TOOLCHAIN)
    return exe


def _run(*argv):
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    if proc.returncode != 0:
        if "unable to create target" in proc.stderr or "unknown target" in proc.stderr:
            pytest.skip(NO_TOOLCHAIN)
        pytest.fail(f"{' '.join(map(str, argv))} failed:\n{proc.stderr}")
    return proc


def _compile(out_dir: Path, name: str, *flags) -> Path:
    out = out_dir / f"{name}.o"
    _run(_tool("clang"), "--target=wasm32-unknown-emscripten", "-O2", "-c", *flags, FIXTURES / f"{name}.c",
         "-o", out)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pic, static = tmp_path_factory.mktemp("pic"), tmp_path_factory.mktemp("static")
    ld = _tool("wasm-ld")
    objs = {name: _compile(pic, name, "-fPIC", "-fvisibility=default") for name in ("core", "util", "app")}
    _run(ld, "--experimental-pic", "-shared", objs["core"], "-o", pic / "core.wasm")
    _run(ld, "--experimental-pic", "-shared", objs["util"], pic / "core.wasm", "-o", pic / "util.wasm")
    _run(ld, "--experimental-pic", "-pie", "--import-memory", "--no-entry", "--export=run", "--export=order",
         "--export=__wasm_call_ctors", objs["app"], pic / "util.wasm", pic / "core.wasm", "-o", pic / "app.wasm")
    # The static link lists the objects in dependency order, so that wasm-ld runs the
    # constructors in the order a loader does.
    plain = [_compile(static, name) for name in ("core", "util", "app")]
    _run(ld, "--no-entry", "--export=run", "--export=order", "--export=__wasm_call_ctors", *plain,
         "-o", static / "static.wasm")
    return {name: (pic / f"{name}.wasm").read_bytes() for name in ("core", "util", "app")} | {
        "static": (static / "static.wasm").read_bytes(), "dir": pic}


def _results(instance_exports, store, init: str) -> tuple[int, int]:
    instance_exports[init](store)
    return instance_exports["run"](store), instance_exports["order"](store)


def _merged(built, order=("app", "util", "core")):
    return merge([(name, built[name]) for name in order])


def test_pic_merge_matches_loader_and_static_link(built):
    result = _merged(built)
    store = wasmtime.Store()
    merged = wasmtime.Instance(store, wasmtime.Module(store.engine, result.data), []).exports(store)
    got = _results(merged, store, "_initialize")

    store = wasmtime.Store()
    static = wasmtime.Instance(store, wasmtime.Module(store.engine, built["static"]), []).exports(store)
    assert got == _results(static, store, "__wasm_call_ctors")
    assert got == _load_dynamically(built)
    # Our own interpreter agrees.
    store, linker = Store(), Linker()
    instance = linker.instantiate(store, load_module(result.data), name="merged")
    instance.invoke(store, "_initialize")
    assert (instance.invoke(store, "run")[0], instance.invoke(store, "order")[0]) == got
    # core's constructor, then util's, then app's: dependency order.
    assert got[1] == (2 * 31 + 1) * 31 + 3


def test_pic_merge_is_one_ordinary_module(built, tmp_path):
    result = _merged(built)
    out = result.module
    assert len(out.memories) == 1 and len(out.tables) == 1
    assert not [imp for imp in out.imports]  # everything resolved among the inputs
    assert not [c for c in out.customs if c.name.startswith("dylink")]
    names = [e.name for e in out.exports]
    assert "_initialize" in names and "run" in names and "__wasm_call_ctors" not in names
    assert len(names) == len(set(names))
    path = tmp_path / "merged.wasm"
    path.write_bytes(result.data)
    for tool in (["wasm-validate"], ["/work/main/.venv/bin/wasm-tools", "validate"]):
        exe = shutil.which(tool[0])
        if exe:
            _run(exe, *tool[1:], path)
    node = shutil.which("node")
    if node:
        _run(node, "-e", f"WebAssembly.compile(require('fs').readFileSync({str(path)!r}))"
                         ".catch(e => {{ console.error(e); process.exit(1); }})")


def test_input_order_does_not_matter(built):
    a = _merged(built, ("core", "util", "app")).data
    b = _merged(built, ("util", "app", "core")).data
    assert a == b


def test_missing_needed_library_is_listed(built):
    with pytest.raises(LinkError) as err:
        merge([("app", built["app"]), ("util", built["util"])])
    assert "core.wasm (needed by app)" in str(err.value)
    assert "core.wasm (needed by util)" in str(err.value)


def test_undefined_symbols_are_listed(built):
    module = decode_module(built["util"])
    for section in module.customs:  # forget that util needs core
        if section.name == "dylink.0":
            info = dylink.parse(section.data)
            info.needed = []
            section.data = dylink.encode(info)
    with pytest.raises(LinkError) as err:
        merge([("util", encode_module(module))])
    message = str(err.value)
    assert "GOT.func.twice" in message and "GOT.mem.counter" in message


def test_unknown_dylink_version_is_refused(built):
    module = decode_module(built["core"])
    module.customs.append(CustomSection("dylink.1", b"\x00", 0))
    with pytest.raises(Unsupported) as err:
        merge([("core", encode_module(module))])
    assert "dylink.1" in str(err.value)


def test_unexported_constructors_are_warned_about(built, tmp_path):
    pic = built["dir"]
    obj = _compile(tmp_path, "app", "-fPIC", "-fvisibility=default")
    out = tmp_path / "app.wasm"
    _run(_tool("wasm-ld"), "--experimental-pic", "-pie", "--import-memory", "--no-entry", "--export=run",
         "--export=order", obj, pic / "util.wasm", pic / "core.wasm", "-o", out)
    result = merge([("app", out.read_bytes()), ("util", built["util"]), ("core", built["core"])])
    assert any("app: __wasm_call_ctors is not exported" in w for w in result.warnings)
    assert not any("__wasm_call_ctors" in w for w in _merged(built).warnings)


def test_pic_beside_plain_module_is_refused(built):
    plain = bytes.fromhex("0061736d01000000")
    with pytest.raises(Unsupported) as err:
        merge([("core", built["core"]), ("plain", plain)])
    assert "plain" in str(err.value)


# -- a loader that does what emscripten's does, module by module --------------------------

def _load_dynamically(built) -> tuple[int, int]:
    store = wasmtime.Store()
    engine = store.engine
    i32 = wasmtime.ValType.i32()
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(4, None)))
    table = wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(1, None)), None)
    stack_pointer = wasmtime.Global(store, wasmtime.GlobalType(i32, True), wasmtime.Val.i32(3 * 65536))
    symbols, got = {}, {}
    next_memory = 1024
    ctors = []

    def got_entry(name):
        if name not in got:
            got[name] = wasmtime.Global(store, wasmtime.GlobalType(i32, True), wasmtime.Val.i32(0))
        return got[name]

    def slot_of(func):
        index = table.size(store)
        table.grow(store, 1, func)
        return index

    for name in ("core", "util", "app"):  # dependency order: `needed` first
        data = built[name]
        info = next(dylink.parse(c.data) for c in decode_module(data, lazy=True).customs if c.name == "dylink.0")
        mem = info.mem_info
        next_memory = -(-next_memory // (1 << mem.memory_alignment)) * (1 << mem.memory_alignment)
        memory_base, next_memory = next_memory, next_memory + mem.memory_size
        table_base = table.size(store)
        if mem.table_size:
            table.grow(store, mem.table_size, None)
        module = wasmtime.Module(engine, data)
        imports = []
        for imp in module.imports:
            if imp.module == "env" and imp.name == "memory":
                imports.append(memory)
            elif imp.module == "env" and imp.name == "__indirect_function_table":
                imports.append(table)
            elif imp.module == "env" and imp.name in ("__memory_base", "__table_base"):
                value = memory_base if imp.name == "__memory_base" else table_base
                imports.append(wasmtime.Global(store, wasmtime.GlobalType(i32, False), wasmtime.Val.i32(value)))
            elif imp.module == "env" and imp.name == "__stack_pointer":
                imports.append(stack_pointer)
            elif imp.module in ("GOT.mem", "GOT.func"):
                entry = got_entry(imp.name)
                if imp.module == "GOT.func" and imp.name in symbols and entry.value(store) == 0:
                    entry.set_value(store, wasmtime.Val.i32(slot_of(symbols[imp.name])))
                imports.append(entry)
            else:
                imports.append(symbols[imp.name])
        # The start function applies the data relocations here, with the GOT as known so
        # far; __wasm_call_ctors applies them again once the module's own symbols are in.
        instance = wasmtime.Instance(store, module, imports)
        exports = instance.exports(store)
        for export in module.exports:
            value = exports[export.name]
            if export.name in ("__wasm_call_ctors", "__wasm_apply_data_relocs") or export.name in symbols:
                continue
            if isinstance(value, wasmtime.Global):
                value = memory_base + value.value(store)
                if export.name in got:
                    got[export.name].set_value(store, wasmtime.Val.i32(value))
            elif export.name in got and got[export.name].value(store) == 0:
                got[export.name].set_value(store, wasmtime.Val.i32(slot_of(value)))
            symbols[export.name] = value
        if "__wasm_call_ctors" in exports:
            ctors.append(exports["__wasm_call_ctors"])
    for ctor in ctors:
        ctor(store)
    return symbols["run"](store), symbols["order"](store)


def test_cli_places_side_modules_and_reports_regions(built, tmp_path):
    pic = built["dir"]
    out, report = tmp_path / "cli.wasm", tmp_path / "map.json"
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", pic / "app.wasm", pic / "util.wasm",
                           pic / "core.wasm", "-o", out, "--map", report, "--map-format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == _merged(built).data
    regions = json.loads(report.read_text())["memory_regions"]
    assert list(regions) == ["core", "util", "app"]  # dependency order
    assert regions["core"]["memory_base"] == 1024
    assert regions["util"]["memory_base"] >= 1024 and regions["app"]["table_base"] >= 1
