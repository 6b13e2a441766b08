"""Differential harness for `wasmmerge link`: the same command line run by wasm-ld and by us.

A program is a list of C/C++ sources under fixtures/link/<name>/, compiled once per test
session with `clang --target=wasm32-wasi -c`. Its link command line is the one clang's
driver would hand to wasm-ld (read from `clang -###`), so both linkers see exactly what a
build system passes. Each output then runs under WASI in wasmtime; stdout and exit status
(or the results of exported functions) must be equal.
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from conftest import FIXTURES, ROOT, wasm_validate
from wasmmerge.binary.reader import decode_module
from wasmmerge.features import ALL
from wasmmerge.validator import validate_module
from wasmmerge.runtime.wasi import WasiConfig
from wasmmerge.runtime.wasi.session import run_program

LINK_FIXTURES = FIXTURES / "link"
TOOLS = ("clang", "wasm-ld", "llvm-ar")
MISSING_TOOLS = ("needs clang 14 with the wasm32-wasi sysroot, wasm-ld and llvm-ar: "
                 "`apt-get install clang lld llvm wasi-libc libclang-rt-dev-wasm32` (`make test` does)")


def require_tools():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: {MISSING_TOOLS}")


def compile_sources(names, outdir: Path, flags=()) -> list[Path]:
    """Compile fixture sources (paths relative to fixtures/link) to objects in `outdir`."""
    require_tools()
    objects = []
    for name in names:
        src = LINK_FIXTURES / name
        obj = outdir / (name.replace("/", "_").rsplit(".", 1)[0] + ".o")
        compiler = "clang++" if src.suffix == ".cc" else "clang"
        cmd = [compiler, "--target=wasm32-wasi", "-O2", "-c", str(src), "-o", str(obj), *flags]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"compiling {name} failed: {done.stderr}")
        objects.append(obj)
    return objects


def make_archive(path: Path, members) -> Path:
    subprocess.run(["llvm-ar", "rcs", str(path), *map(str, members)], check=True)
    return path


def driver_link_args(inputs, flags=(), output="out.wasm") -> list[str]:
    """The arguments clang's driver passes to wasm-ld for `clang inputs flags -o output`."""
    require_tools()
    cmd = ["clang", "--target=wasm32-wasi", *map(str, inputs), *flags, "-o", output, "-###"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    line = next((ln for ln in done.stderr.splitlines() if "wasm-ld" in ln), None)
    if line is None:
        pytest.fail(f"no wasm-ld line in the output of {' '.join(cmd)}: {done.stderr}")
    return shlex.split(line)[1:]


def with_output(args, output: Path) -> list[str]:
    args = list(args)
    args[args.index("-o") + 1] = str(output)
    return args


def run_wasm_ld(args, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["wasm-ld", *with_output(args, output)], capture_output=True, text=True)


def run_wasmmerge_link(args, output: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "wasmmerge", "link", *with_output(args, output)],
                          capture_output=True, text=True, env=env)


def link_both(args, workdir: Path) -> tuple[Path, Path]:
    """Link with wasm-ld and with wasmmerge link; both must succeed, and our output must
    pass our validator, wabt's and wasm-tools' (`validate_output`)."""
    ref, ours = workdir / "ref.wasm", workdir / "ours.wasm"
    done = run_wasm_ld(args, ref)
    assert done.returncode == 0, f"wasm-ld failed: {done.stderr}"
    done = run_wasmmerge_link(args, ours)
    assert done.returncode == 0, f"wasmmerge link failed: {done.stderr}"
    validate_output(ours)
    return ref, ours


def validate_output(path: Path) -> None:
    """Our validator, wabt's wasm-validate and `wasm-tools validate` (all features on:
    the tests link threads, exceptions and memory64 programs too) accept the module."""
    data = path.read_bytes()
    validate_module(decode_module(data, features=ALL), features=ALL)
    # (Custom-section errors aside: wabt also checks a `linking` section, and in an
    # --emit-relocs module wasm-ld 14's, which ours equals byte for byte, gives .bss
    # symbols the index of a segment that is not written.)
    wasm_validate(data, "--enable-all", "--ignore-custom-section-errors")
    wasm_tools = shutil.which("wasm-tools") or str(Path(sys.executable).parent / "wasm-tools")
    if Path(wasm_tools).exists():
        done = subprocess.run([wasm_tools, "validate", "--features", "all", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, f"wasm-tools rejected {path.name}: {done.stderr}"


def run_command(path: Path, workdir: Path) -> tuple[str, int | None]:
    """Run a WASI command module (`_start`): its stdout and exit status (None: returned)."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    out = workdir / (path.stem + ".stdout")
    config.stdout_file = str(out)
    store.set_wasi(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path)))
    status = None
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exit_:
        status = exit_.code
    return out.read_text(), status


def run_command_here(path: Path) -> tuple[str, int]:
    """The same program under our own interpreter's WASI host (wasmmerge.runtime): its
    stdout and exit status (0 when `_start` returned)."""
    outcome = run_program([(None, path.read_bytes())], WasiConfig(argv=[path.name]))
    assert outcome.trap is None, outcome.trap
    return outcome.stdout.decode(), outcome.status


def exit_status(status: int | None) -> int:
    """wasmtime's status (None: `_start` returned) as a process's."""
    return 0 if status is None else status


def call_exports(path: Path, calls) -> list:
    """Call `(name, args)` pairs on a module that imports nothing; their results in order."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module.from_file(engine, str(path)), [])
    exports = instance.exports(store)
    return [exports[name](store, *args) for name, args in calls]


def exported_names(path: Path) -> list[tuple[str, str]]:
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(path))
    return sorted((e.name, type(e.type).__name__) for e in module.exports)


def _describe(t) -> str:
    if isinstance(t, wasmtime.FuncType):
        return f"func {[str(p) for p in t.params]} -> {[str(r) for r in t.results]}"
    if isinstance(t, wasmtime.MemoryType):
        return f"memory {t.limits.min} {t.limits.max}"
    if isinstance(t, wasmtime.TableType):
        return f"table {t.element} {t.limits.min} {t.limits.max}"
    if isinstance(t, wasmtime.GlobalType):
        return f"global {t.content} mutable={t.mutable}"
    return type(t).__name__


def structure(path: Path) -> dict:
    """Imports and exports with their types: what must match between the two linkers."""
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(path))
    return {"imports": sorted((i.module, i.name, _describe(i.type)) for i in module.imports),
            "exports": sorted((e.name, _describe(e.type)) for e in module.exports)}


def exported_global_values(path: Path, imports=()) -> dict:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, str(path))
    instance = wasmtime.Instance(store, module, list(imports))
    return {e.name: instance.exports(store)[e.name].value(store)
            for e in module.exports if isinstance(e.type, wasmtime.GlobalType)}
