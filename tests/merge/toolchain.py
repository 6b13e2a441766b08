"""Helpers for merging what real toolchains make: build C fixtures (fixtures/toolchain/)
with clang and wasm-ld into a temporary directory, check a merged module with every
validator and engine we have, and run WASI programs in wasmtime, linked by name or merged.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import wasmtime

from conftest import FIXTURES, wasm_validate
from wasmmerge import validate
from wasmmerge.binary.model import Export
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.types import MEMORY_KIND
from wasmmerge.binary.writer import encode_module

SOURCES = FIXTURES / "toolchain"
NO_TOOLCHAIN = ("clang and wasm-ld with wasm32-wasi support not found: run `make test`, which installs "
                "clang, lld and wasi-libc")
WASM_TOOLS = Path("/work/main/.venv/bin/wasm-tools")


def build(tmp_path: Path, source: str, *flags: str, output: str | None = None, export_memory: bool = False) -> bytes:
    """`clang --target=wasm32-wasi -O2 SOURCE FLAGS` linked by wasm-ld; the module's bytes.

    `export_memory`: export the (imported) memory as "memory", which WASI needs of a module
    that calls it. lld 16 does that with --export-memory; lld 14 has no such option, so the
    export is added here with our codec."""
    clang = shutil.which("clang")
    if clang is None or shutil.which("wasm-ld") is None:
        pytest.skip(NO_TOOLCHAIN)
    out = tmp_path / (output or Path(source).stem + ".wasm")
    proc = subprocess.run([clang, "--target=wasm32-wasi", "-O2", str(SOURCES / source), *flags, "-o", str(out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        if "unable to create target" in proc.stderr or "cannot find" in proc.stderr:
            pytest.skip(f"{proc.stderr.strip().splitlines()[0]}: {NO_TOOLCHAIN}")
        pytest.fail(f"clang failed:\n{proc.stderr}")
    if not export_memory:
        return out.read_bytes()
    module = decode_module(out.read_bytes())
    module.exports.append(Export("memory", MEMORY_KIND, 0))
    return encode_module(module)


def engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    config.wasm_multi_memory = True
    config.wasm_reference_types = True
    config.wasm_bulk_memory = True
    return wasmtime.Engine(config)


def node_loads(data: bytes, tmp_path: Path) -> str | None:
    """None when node 20 compiles the module, else its message."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found: install Node.js 20 to check that merged modules load there")
    path = tmp_path / "node-check.wasm"
    path.write_bytes(data)
    proc = subprocess.run([node, "-e", "WebAssembly.compile(require('fs').readFileSync(process.argv[1]))"
                           ".then(() => process.exit(0), e => { console.log(e.message); process.exit(1); })",
                           str(path)], capture_output=True, text=True)
    return None if proc.returncode == 0 else proc.stdout.strip() or proc.stderr.strip()


def check_everywhere(data: bytes, tmp_path: Path, wabt_flags=(), node: bool = True) -> None:
    """Our validator, wabt's, wasm-tools', wasmtime's; and node 20 when `node`."""
    validate(data)
    wasm_validate(data, *wabt_flags)
    if WASM_TOOLS.exists():
        path = tmp_path / "wasm-tools-check.wasm"
        path.write_bytes(data)
        proc = subprocess.run([str(WASM_TOOLS), "validate", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, f"wasm-tools rejected the module:\n{proc.stderr}"
    wasmtime.Module(engine(), data)
    if node:
        problem = node_loads(data, tmp_path)
        assert problem is None, f"node 20 cannot load the merged module: {problem}"


@dataclass
class Run:
    stdout: str
    exit_code: int


def _call_start(store, instance, tmp_out: Path) -> Run:
    code = 0
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as err:
        code = err.code
    return Run(tmp_out.read_text(), code)


def _wasi_store(eng, tmp_path: Path, tag: str):
    store = wasmtime.Store(eng)
    out = tmp_path / f"stdout-{tag}.txt"
    config = wasmtime.WasiConfig()
    config.stdout_file = str(out)
    store.set_wasi(config)
    linker = wasmtime.Linker(eng)
    linker.define_wasi()
    return store, linker, out


def _host_memory(store, linker, pages: int | None):
    if pages is not None:
        memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(pages, None)))
        linker.define(store, "env", "memory", memory)


def run_linked(modules: list[tuple[str, bytes]], tmp_path: Path, memory_pages: int | None = None) -> Run:
    """Instantiate each module in turn in one wasmtime Linker, each defined under its name
    (a reactor's `_initialize` called right after its instantiation, as a WASI host does),
    then call the command's `_start`."""
    eng = engine()
    store, linker, out = _wasi_store(eng, tmp_path, "linked")
    _host_memory(store, linker, memory_pages)
    instance = None
    for name, data in modules:
        instance = linker.instantiate(store, wasmtime.Module(eng, data))
        exports = instance.exports(store)
        if "_initialize" in exports:
            exports["_initialize"](store)
        linker.define_instance(store, name, instance)
    return _call_start(store, instance, out)


def run_merged(data: bytes, tmp_path: Path, memory_pages: int | None = None) -> Run:
    eng = engine()
    store, linker, out = _wasi_store(eng, tmp_path, "merged")
    _host_memory(store, linker, memory_pages)
    instance = linker.instantiate(store, wasmtime.Module(eng, data))
    assert "_initialize" not in instance.exports(store), "a command must not export _initialize"
    return _call_start(store, instance, out)
