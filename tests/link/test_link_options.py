"""Options that shape the module (exports, memory, table, stack, gc): the same command line
through wasm-ld and `wasmmerge link` gives the same imports, exports, limits and results."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import wasmtime

from wasmmerge.binary.reader import decode_module

from .harness import (LINK_FIXTURES, call_exports, compile_sources, exported_global_values, link_both, run_wasm_ld,
                      run_wasmmerge_link, structure)

SOURCES = ["freestanding/lib.c", "freestanding/data.c"]
BASE = ["--no-entry", "--export=fib"]
CALLS = [("weighted_sum", (1, 2, 3, 4)), ("fib", (25,))]

VARIANTS = {
    "default": [],
    "export-all": ["--export-all"],
    "export-dynamic": ["--export-dynamic"],
    "export-table": ["--export-table"],
    "export-if-defined": ["--export-if-defined=scale", "--export-if-defined=not_there"],
    "export-data": ["--export=weights"],
    "memory-sizes": ["--initial-memory=196608", "--max-memory=327680"],
    "stack-first": ["--stack-first", "-z", "stack-size=8192"],
    "global-base": ["--global-base=4096"],
    "no-gc-sections": ["--no-gc-sections"],
    "layout-symbols": ["--export=__heap_base", "--export=__data_end"],
    "stack-size": ["-z", "stack-size=131072", "--export=__heap_base"],
}


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return compile_sources(SOURCES, tmp_path_factory.mktemp("objs"))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_matches_wasm_ld(name, objects, tmp_path):
    args = [*BASE, *VARIANTS[name], *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert structure(ours) == structure(ref)
    assert exported_global_values(ours) == exported_global_values(ref)
    assert call_exports(ours, CALLS) == call_exports(ref, CALLS)


@pytest.mark.parametrize("sources", [SOURCES, ["freestanding/pointers.c", *SOURCES]],
                         ids=["no-table", "table"])
def test_export_all_is_byte_identical(sources, tmp_path):
    # The table only where an object refers to it, wasm-ld's linker-made functions first
    # among the exports, the globals exporting data addresses left out of the name section.
    objs = compile_sources(sources, tmp_path)
    ref, ours = link_both(["--no-entry", "--export-all", *map(str, objs), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("extra", [[], ["--export=counter"]], ids=["no-exports", "export"])
def test_empty_sections_are_left_out(extra, tmp_path):
    # No function: no type, function or code section; nothing exported: no export section
    # (with the memory imported), byte for byte as wasm-ld writes it.
    objs = compile_sources(["freestanding/only_data.c"], tmp_path)
    ref, ours = link_both(["--no-entry", "--import-memory", *extra, *map(str, objs), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_import_memory(objects, tmp_path):
    args = [*BASE, "--import-memory", *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert structure(ours) == structure(ref)


def test_no_growable_memory_fixes_the_maximum(objects, tmp_path):
    # wasm-ld 14 predates the option, so ours is checked on its own.
    out = tmp_path / "ours.wasm"
    done = run_wasmmerge_link([*BASE, "--no-growable-memory", *map(str, objects), "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    memory = [e for e in wasmtime.Module.from_file(wasmtime.Engine(), str(out)).exports if e.name == "memory"][0]
    assert memory.type.limits.max == memory.type.limits.min


def test_map_file_names_every_function_and_segment(objects, tmp_path):
    map_path = tmp_path / "out.map"
    out = tmp_path / "ours.wasm"
    done = run_wasmmerge_link([*BASE, f"-Map={map_path}", *map(str, objects), "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    text = map_path.read_text()
    for fragment in ("CODE", "DATA", "lib.o:(fib)", "lib.o:(weighted_sum)", "data.o:(scale)", "weights", ".data"):
        assert fragment in text, fragment


def test_print_gc_sections_lists_dropped_functions(tmp_path):
    (util,) = compile_sources(["calls/util.c"], tmp_path)
    out = tmp_path / "ours.wasm"
    done = run_wasmmerge_link(["--no-entry", "--export=bump", "--print-gc-sections", str(util), "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    # wasm-ld's form, on stdout as its messages are: FILE:(NAME)
    assert "removing unused section" in done.stdout
    assert "util.o:(name_of)" in done.stdout and "util.o:(bump)" not in done.stdout


def test_thread_locals_without_shared_memory(tmp_path):
    objects = compile_sources(["tls/freestanding.c"], tmp_path, ["-matomics", "-mbulk-memory",
                                                                  "-ftls-model=local-exec"])
    args = ["--no-entry", *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert structure(ours) == structure(ref)
    # wasm-ld 14 gets these wrong (it adds the absolute address to __tls_base and drops
    # .tdata's initial values), so the expected results are worked out by hand:
    # ++tcount (from 40) + tzero (sum of x) + 'a'+x + 'l' (from "tls").
    calls = [("bump", (1,)), ("bump", (2,)), ("bump", (5,))]
    assert call_exports(ours, calls) == [41 + 1 + 98 + 108, 42 + 3 + 99 + 108, 43 + 8 + 102 + 108]


def test_wasm64_program(tmp_path):
    objects = [tmp_path / "main.o", tmp_path / "other.o"]
    for src, obj in zip(("wasm64/main.c", "wasm64/other.c"), objects):
        subprocess.run(["clang", "--target=wasm64-unknown-unknown", "-O2", "-c", str(LINK_FIXTURES / src),
                        "-o", str(obj)], check=True)
    args = ["-m", "wasm64", "--no-entry", *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    config = wasmtime.Config()
    config.wasm_memory64 = True
    engine = wasmtime.Engine(config)

    def run(path):
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, wasmtime.Module.from_file(engine, str(path)), [])
        return [instance.exports(store)["run"](store, a, b) for a, b in ((1, 2), (5, 7), (-3, 40))]

    assert run(ours) == run(ref)


SHARED_FLAGS = ["-matomics", "-mbulk-memory", "-ftls-model=local-exec"]


def _threads_engine():
    config = wasmtime.Config()
    config.wasm_threads = True
    config.shared_memory = True
    return wasmtime.Engine(config)


def test_shared_memory_program(tmp_path):
    objects = [tmp_path / "counter.o"]
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-c",
                    str(LINK_FIXTURES / "shared/counter.c"), "-o", str(objects[0])], check=True)
    args = ["--no-entry", "--shared-memory", "--max-memory=1048576", str(objects[0]), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    engine = _threads_engine()

    def run(path):
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, wasmtime.Module.from_file(engine, str(path)), [])
        exports = instance.exports(store)
        exports["setup"](store)
        return [exports["bump"](store, x) for x in (1, 2, 3)]

    assert run(ours) == run(ref)
    # __wasm_init_memory, __wasm_init_tls, the passive segments: wasm-ld's, instruction for instruction.
    if shutil.which("wasm2wat"):
        wat = [subprocess.run(["wasm2wat", "--enable-threads", str(p)], capture_output=True, text=True,
                              check=True).stdout for p in (ref, ours)]
        assert wat[0] == wat[1]


@pytest.mark.parametrize("memory", [[], ["--import-memory"]], ids=["defined", "imported"])
def test_shared_memory_names_the_segments_it_writes(memory, tmp_path):
    """Zero-filled data under --shared-memory is not a segment (__wasm_init_memory fills
    it), whether the memory is defined or imported: the name section names only the
    segments written, as wasm-ld's does (an imported one named a .bss it did not write)."""
    obj = tmp_path / "counter.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-c",
                    str(LINK_FIXTURES / "shared/counter.c"), "-o", str(obj)], check=True)
    args = ["--no-entry", "--shared-memory", *memory, "--max-memory=1048576", str(obj), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_export_all_with_shared_memory_exports_the_init_function_last(tmp_path):
    """wasm-ld 14 makes __wasm_init_memory and its flag after every input's symbols:
    --export-all exports them last (we left them out)."""
    obj = tmp_path / "counter.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-mmutable-globals", "-c",
                    str(LINK_FIXTURES / "shared/counter.c"), "-o", str(obj)], check=True)
    args = ["--no-entry", "--export-all", "--shared-memory", "--max-memory=1048576", str(obj), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    exports = [e.name for e in decode_module(ours.read_bytes()).exports]
    assert exports[-2:] == ["__wasm_init_memory_flag", "__wasm_init_memory"]


def test_export_all_without_shared_memory_lists_tls_base_in_table_order(tmp_path):
    """Without shared memory wasm-ld 14 makes __tls_base once the inputs are read: with
    --export-all it is exported where the first reference put it, not first. (The
    modules differ where wasm-ld 14 gets thread-locals wrong: the export lists are compared.)"""
    obj = tmp_path / "tls.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-mmutable-globals", "-c",
                    str(LINK_FIXTURES / "tls/freestanding.c"), "-o", str(obj)], check=True)
    args = ["--no-entry", "--export-all", str(obj), "-o", "out.wasm"]
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    assert run_wasm_ld(args, ref).returncode == 0
    assert run_wasmmerge_link(args, ours).returncode == 0
    names = [[e.name for e in decode_module(p.read_bytes()).exports] for p in (ref, ours)]
    assert names[1] == names[0] and "__tls_base" in names[1][2:]


@pytest.mark.parametrize("target", ["wasm32-wasi", "wasm32-unknown-emscripten"])
def test_init_tls_named_without_shared_memory_makes_no_tls_base(target, tmp_path):
    """Without atomics the compiler drops thread-locals, but counter.c still calls
    __wasm_init_tls: without shared memory that is an undefined function like any other,
    and wasm-ld 14 makes no __tls_base for it (we did, and --export-all exported it; found
    linking the emscripten target's objects)."""
    obj = tmp_path / "counter.o"
    subprocess.run(["clang", f"--target={target}", "-O1", "-c", str(LINK_FIXTURES / "shared/counter.c"),
                    "-o", str(obj)], check=True)
    for k, extra in enumerate(([], ["--export-all"], ["--no-gc-sections"])):
        (tmp_path / str(k)).mkdir()
        ref, ours = link_both(["--no-entry", "--allow-undefined", *extra, str(obj), "-o", "out.wasm"], tmp_path / str(k))
        assert ours.read_bytes() == ref.read_bytes()
        assert b"__tls_base" not in ours.read_bytes()


@pytest.mark.parametrize("bulk", [[], ["-mbulk-memory"]], ids=["zeros-written", "zeros-filled"])
@pytest.mark.parametrize("extra", [[], ["--export-all"]], ids=["", "export-all"])
def test_imported_memory_gets_its_bss_zeroed(bulk, extra, tmp_path):
    """An imported memory need not be zero: wasm-ld writes .bss as zeros, or, where bulk
    memory is allowed, zeroes it from __wasm_init_memory, the start function (we wrote the
    zeros either way). Run with a memory full of 0xFF."""
    (obj,) = compile_sources(["freestanding/zeros.c"], tmp_path, bulk)
    args = ["--no-entry", "--import-memory", *extra, str(obj), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    module = decode_module(ours.read_bytes())
    assert (module.start is not None) == bool(bulk)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(2, None)))
    memory.write(store, b"\xff" * (2 * 65536), 0)
    instance = wasmtime.Instance(store, wasmtime.Module.from_file(engine, str(ours)), [memory])
    assert [instance.exports(store)["get"](store, i) for i in (0, 99)] == [7, 7]


def test_thread_locals_in_debug_info_are_offsets_in_the_block(tmp_path):
    """With shared memory, debug info's address of a thread-local (a plain
    MEMORY_ADDR_I32) is its offset in the thread's block, as wasm-ld writes it and as
    DWARF's TLS location takes it (it was the address of the initial image)."""
    obj = tmp_path / "tls.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O0", "-g", *SHARED_FLAGS, "-c",
                    str(LINK_FIXTURES / "tls/freestanding.c"), "-o", str(obj)], check=True)
    args = ["--no-entry", "--export=bump", "--shared-memory", "--max-memory=1048576", str(obj), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_shared_memory_needs_atomics(tmp_path):
    (obj,) = compile_sources(["freestanding/data.c"], tmp_path)
    done = run_wasmmerge_link(["--no-entry", "--shared-memory", str(obj), "-o", "x"], tmp_path / "out.wasm")
    assert done.returncode == 1 and not (tmp_path / "out.wasm").exists()
    assert f"'atomics' feature must be used in order to use shared memory (no input uses it, {obj} the first)" \
        in done.stderr


def test_verbose_reports_the_memory_layout(objects, tmp_path):
    done = run_wasmmerge_link([*BASE, "--verbose", *map(str, objects), "-o", "x"], tmp_path / "out.wasm")
    assert done.returncode == 0, done.stderr
    assert "mem: .data" in done.stderr and "__heap_base =" in done.stderr


@pytest.mark.parametrize("flags", [
    ["--allow-undefined"],
    ["--unresolved-symbols=ignore-all"],
    ["--import-undefined"],
    ["--allow-undefined-file=ALLOWED"],
])
def test_undefined_functions_become_imports(flags, tmp_path):
    (obj,) = compile_sources(["undefined/host.c"], tmp_path)
    allowed = tmp_path / "allowed.txt"
    allowed.write_text("host_add\n# a comment\nhost_twice\n")
    flags = [f.replace("ALLOWED", str(allowed)) for f in flags]
    args = ["--no-entry", *flags, str(obj), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert structure(ours) == structure(ref)
    assert ours.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("files", [
    ["host_add\n", "host_twice\nsquare_it\n"],  # two files: wasm-ld 14 reads the last alone
    ["host_add # a comment after a name\nhost_twice\n  square_it\t\r\n#host_add\n"],  # `#` starts only a comment line
    ["host_add\nhost_twice\n", "host_twice\nsquare_it\nhost_add\n"],
])
def test_allow_undefined_file_is_read_as_wasm_ld_14_reads_it(files, tmp_path):
    """Found by the command-line sweep: every --allow-undefined-file was read (wasm-ld 14
    reads the last), and `name # comment` allowed `name` (wasm-ld's lines are names whole)."""
    (obj,) = compile_sources(["undefined/host.c"], tmp_path)
    flags = []
    for k, text in enumerate(files):
        (tmp_path / f"allowed{k}.txt").write_text(text)
        flags.append(f"--allow-undefined-file={tmp_path / f'allowed{k}.txt'}")
    args = ["--no-entry", *flags, str(obj), "-o", "out.wasm"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ours.returncode == ref.returncode
    # (wasm-ld writes a line per reference, `obj: undefined symbol: NAME`; we one per symbol)
    assert (set(re.findall(r"undefined symbol: (\w+)", ours.stderr))
            == set(re.findall(r"undefined symbol: (\w+)", ref.stderr)))
    if ref.returncode == 0:
        assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()


@pytest.mark.parametrize("allowed", [None, "host_counter\nhost_table\n"], ids=["allow-undefined", "file"])
def test_allowed_undefined_data_is_at_address_zero(allowed, tmp_path):
    (obj,) = compile_sources(["undefined/data.c"], tmp_path)
    flag = "--allow-undefined"
    if allowed is not None:
        (tmp_path / "allowed.txt").write_text(allowed)
        flag = f"--allow-undefined-file={tmp_path / 'allowed.txt'}"
    ref, ours = link_both(["--no-entry", "--export=read_counter", "--export=counter_address", flag, str(obj),
                           "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_undefined_data_not_in_the_allowed_file_is_an_error(tmp_path):
    (obj,) = compile_sources(["undefined/data.c"], tmp_path)
    (tmp_path / "allowed.txt").write_text("host_counter\n")
    done = run_wasmmerge_link(["--no-entry", "--export=read_counter", f"--allow-undefined-file={tmp_path / 'allowed.txt'}",
                               str(obj), "-o", "out.wasm"], tmp_path / "out.wasm")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["wasmmerge: error: undefined symbol: host_table (referenced by "
                                                f"{obj})"]
    assert not (tmp_path / "out.wasm").exists()


def test_undefined_functions_are_errors_by_default(tmp_path):
    (obj,) = compile_sources(["undefined/host.c"], tmp_path)
    done = run_wasmmerge_link(["--no-entry", str(obj), "-o", "x"], tmp_path / "out.wasm")
    assert done.returncode == 1 and not (tmp_path / "out.wasm").exists()
    assert f"undefined symbol: host_add (referenced by {obj})" in done.stderr
    assert f"undefined symbol: host_twice (referenced by {obj})" in done.stderr
    assert "square" not in done.stderr  # an explicit import name may stay undefined


@pytest.mark.parametrize("flags", [["--export-all"], ["--export-all", "--no-gc-sections", "--stack-first"]])
def test_wasm64_export_all_is_wasm_ld_s(flags, tmp_path):
    """--export-all on wasm64 exports the linker's data symbols as i64 globals, wasm-ld's
    wasm64-only __table_base32 among them, byte for byte as wasm-ld does."""
    objects = [tmp_path / "main.o", tmp_path / "other.o"]
    for src, obj in zip(("wasm64/main.c", "wasm64/other.c"), objects):
        subprocess.run(["clang", "--target=wasm64-unknown-unknown", "-O2", "-c", str(LINK_FIXTURES / src),
                        "-o", str(obj)], check=True)
    ref, ours = link_both(["-m", "wasm64", "--no-entry", *flags, *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert b"__table_base32" in ours.read_bytes()


def test_warn_unresolved_symbols_is_ignore_all_with_warnings(tmp_path):
    """Undefined data at address 0 with a warning, byte for byte as wasm-ld 14 links it;
    an undefined function gets ignore-all's trapping stub (wasm-ld 14 crashes there, 15+
    does this), with its warning; a later --error-unresolved-symbols makes them errors."""
    data_user, stubs, impl = compile_sources(["realworld/missing_data.c", "order/stub_kinds.c",
                                              "mismatch/impl.c"], tmp_path, ["-w"])
    args = ["--no-entry", "--export-all", "--warn-unresolved-symbols", str(data_user), "-o", "x"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    warned = run_wasmmerge_link(args, tmp_path / "again.wasm")
    assert "warning: undefined symbol:" in warned.stderr and warned.returncode == 0
    stubbed = tmp_path / "stubbed.wasm"
    ignored = tmp_path / "ignored.wasm"
    base = ["--no-entry", "--export=use_all", str(stubs), str(impl), "-o", "x"]
    done = run_wasmmerge_link(["--warn-unresolved-symbols", *base], stubbed)
    assert done.returncode == 0 and "warning: undefined symbol: missing (referenced by " in done.stderr
    assert run_wasmmerge_link(["--unresolved-symbols=ignore-all", *base], ignored).returncode == 0
    assert stubbed.read_bytes() == ignored.read_bytes()
    failed = run_wasmmerge_link(["--warn-unresolved-symbols", "--error-unresolved-symbols", *base],
                                tmp_path / "failed.wasm")
    assert failed.returncode == 1 and "error: undefined symbol: missing" in failed.stderr


@pytest.mark.parametrize("flags", [["--no-merge-data-segments"], ["--no-merge-data-segments", "--merge-data-segments"],
                                   ["--no-merge-data-segments", "-O0"]])
def test_data_segments_merged_or_not_as_wasm_ld(flags, tmp_path):
    """--no-merge-data-segments: each input segment name is its own output segment
    (.data.x, .rodata.str1.1, ...), the last of the two options deciding."""
    objects = compile_sources(["calls/main.c", "calls/util.c", "freestanding/data.c"], tmp_path)
    args = ["--no-entry", "--export-all", "--allow-undefined", *flags, *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_merging_data_segments_is_refused_with_relocatable(tmp_path):
    done = run_wasmmerge_link(["-r", "--merge-data-segments", "x.o", "-o", "y.o"], tmp_path / "y.o")
    assert done.returncode == 2 and "--merge-data-segments with -r" in done.stderr


UNRESOLVED_CASES = {  # name: (object, options); "{g}"/"{nope}" name a file listing that symbol
    "allow-undefined-excuses-a-missing-export": ("defines_f", ["--allow-undefined", "--export=nope"]),
    "allow-undefined-file-does-not": ("defines_f", ["--export=nope", "--allow-undefined-file={nope}"]),
    "allow-undefined-file-imports-under-ignore-all": ("calls_g", ["--export=f", "--allow-undefined-file={g}",
                                                                  "--unresolved-symbols=ignore-all"]),
    "missing-export-warned": ("defines_f", ["--export=nope", "--warn-unresolved-symbols"]),
    "missing-export-warned-fatal": ("defines_f", ["--export=nope", "--warn-unresolved-symbols", "--fatal-warnings"]),
    "unknown-value": ("calls_g", ["--export=f", "--unresolved-symbols=warn-all"]),
    "report-all-after-warn-warns": ("defines_f", ["--export=nope", "--warn-unresolved-symbols",
                                                  "--unresolved-symbols=report-all"]),
    "ignore-all-beats-error": ("calls_g", ["--export=f", "--unresolved-symbols=ignore-all",
                                           "--error-unresolved-symbols"]),
    "allow-undefined-beats-error": ("calls_g", ["--export=f", "--allow-undefined", "--error-unresolved-symbols"]),
    "allow-undefined-beats-report-all": ("calls_g", ["--export=f", "--allow-undefined",
                                                     "--unresolved-symbols=report-all"]),
    "allow-undefined-imports-under-ignore-all": ("calls_g", ["--export=f", "--allow-undefined",
                                                             "--unresolved-symbols=ignore-all"]),
    "import-undefined-imports-under-ignore-all": ("calls_g", ["--export=f", "--import-undefined",
                                                              "--unresolved-symbols=ignore-all"]),
}


@pytest.mark.parametrize("name", sorted(UNRESOLVED_CASES))
def test_unresolved_symbol_options_combine_as_wasm_ld_14s(name, tmp_path):
    """--allow-undefined wins in any order; else the last --unresolved-symbols value, its
    report-all an error or a warning by the last of --error-/--warn-unresolved-symbols; a
    missing --export follows that policy alone (the last option won before)."""
    source, options = UNRESOLVED_CASES[name]
    (obj,) = compile_sources([f"undefined/{source}.c"], tmp_path)
    for symbol in ("g", "nope"):
        (tmp_path / f"{symbol}.txt").write_text(symbol + "\n")
    options = [o.format(g=tmp_path / "g.txt", nope=tmp_path / "nope.txt") for o in options]
    args = ["--no-entry", *options, str(obj), "-o", "out.wasm"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ours.returncode == ref.returncode, (ours.stderr, ref.stderr)
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")
    if ref.returncode == 0:
        assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()


def test_export_if_defined_extracts_the_member_defining_it(tmp_path):
    """As wasm-ld 14: --export-if-defined names a symbol as --export does, so an archive
    member defining it is extracted (we only looked the name up)."""
    main, member = compile_sources(["undefined/defines_f.c", "archive/exported_member.c"], tmp_path)
    lib = tmp_path / "libx.a"
    subprocess.run(["llvm-ar", "rcs", str(lib), str(member)], check=True)
    for export in (["--export-if-defined=exported_x"], ["--export-if-defined=not_there"]):
        args = ["--no-entry", *export, str(main), str(lib), "-o", "out.wasm"]
        ref, ours = link_both(args, tmp_path)
        assert ours.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("case", ["no-check-features-bss", "export-all-import-table"])
def test_more_option_combinations_are_wasm_ld_s(case, tmp_path):
    """--import-memory with --no-check-features zeroes .bss at start, as wasm-ld 14
    decides after its (skipped) feature checks; --export-all does not export an imported
    table."""
    (obj,) = compile_sources(["freestanding/zeros.c"], tmp_path)
    extra = {"no-check-features-bss": ["--import-memory", "--no-check-features"],
             "export-all-import-table": ["--export-all", "--import-table"]}[case]
    ref, ours = link_both(["--no-entry", *extra, str(obj), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_shared_memory_makes_init_memory_after_the_weak_stubs(tmp_path):
    """wasm-ld's driver makes the stubs of weak functions nobody defines; its writer
    makes __wasm_init_memory after them (we made it first)."""
    obj = tmp_path / "weak.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-c",
                    str(LINK_FIXTURES / "order/weak_address.c"), "-o", str(obj)], check=True)
    counter = tmp_path / "counter.o"
    subprocess.run(["clang", "--target=wasm32-unknown-unknown", "-O2", *SHARED_FLAGS, "-c",
                    str(LINK_FIXTURES / "shared/counter.c"), "-o", str(counter)], check=True)
    args = ["--no-entry", "--shared-memory", "--max-memory=1048576", "--export=call", str(obj), str(counter),
            "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("options", [["--export-table"], ["--growable-table"], ["-u", "f"], ["--entry=f"]],
                         ids=["export-table", "growable-table", "undefined", "entry"])
def test_relocatable_refuses_what_wasm_ld_refuses(options, tmp_path):
    """-r with options that only a module has: wasm-ld 14's error (we linked)."""
    (obj,) = compile_sources(["undefined/defines_f.c"], tmp_path)
    args = ["-r", *options, str(obj), "-o", "out.o"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.o"), run_wasmmerge_link(args, tmp_path / "ours.o")
    assert ref.returncode == ours.returncode == 1 and not (tmp_path / "ours.o").exists()
    assert ours.stderr.splitlines()[0].replace("wasmmerge: ", "") == ref.stderr.splitlines()[0].replace("wasm-ld: ", "")


def test_duplicate_symbols_are_reported_as_wasm_ld_reports_them(tmp_path):
    """Every duplicate at once, each with its `>>>` lines, a blank line between them (lld's
    separator after a message of several lines)."""
    objects = compile_sources(["undefined/defines_f.c", "undefined/defines_f_and_g.c", "undefined/calls_g.c"],
                              tmp_path)
    reordered = [objects[1], objects[0], objects[2]]  # f and g in the first, then each again
    args = ["--no-entry", "--export=f", *map(str, reordered), "-o", "out.wasm"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")
    assert "\n\n" in ours.stderr


@pytest.mark.parametrize("case", ["missing-export", "missing-export-and-undefined", "missing-entry"])
def test_print_gc_sections_before_a_failure_as_wasm_ld(case, tmp_path):
    """wasm-ld collects before it reports a missing export or an undefined symbol, so
    --print-gc-sections prints its lines, then the link fails; a missing entry stops it
    before (we printed nothing when a link failed)."""
    source, options = {"missing-export": ("defines_f", ["--no-entry", "--export=nope"]),
                       "missing-export-and-undefined": ("calls_g", ["--no-entry", "--export=nope", "--export=f"]),
                       "missing-entry": ("defines_f", ["--entry=nope"])}[case]
    (obj,) = compile_sources([f"undefined/{source}.c"], tmp_path)
    args = [*options, "--print-gc-sections", str(obj), "-o", "out.wasm"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    assert ours.stdout == ref.stdout


MEMORY_ERROR_CASES = {
    "max-too-small": ["--max-memory=65536", "-z", "stack-size=1048576"],
    "max-below-initial": ["--initial-memory=131072", "--max-memory=65536"],
    "max-unaligned-and-small": ["--max-memory=100000", "--global-base=65536"],
    "initial-unaligned-and-small": ["--initial-memory=100000", "--global-base=70000"],
    "unaligned-stack-and-small": ["--initial-memory=65536", "-z", "stack-size=1048577"],
    "too-small-and-no-atomics": ["--initial-memory=65536", "-z", "stack-size=1048576", "--shared-memory"],
}


@pytest.mark.parametrize("name", sorted(MEMORY_ERROR_CASES))
def test_memory_layout_errors_are_wasm_ld_s(name, tmp_path):
    """Each check of the memory's size as wasm-ld makes it: the bytes it counts (the end of
    the stack or data, not a page), the size checked when the alignment fails too, and the
    features' errors reported with them (we stopped at the first kind)."""
    (obj,) = compile_sources(["freestanding/zeros.c"], tmp_path)
    args = ["--no-entry", *MEMORY_ERROR_CASES[name], str(obj), "-o", "out.wasm"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    # (our shared-memory feature lines name an object as well, as the issue asks)
    ours_lines = [line.replace("wasmmerge: ", "").split(" (no input uses it")[0] for line in ours.stderr.splitlines()]
    assert ours_lines == [line.replace("wasm-ld: ", "") for line in ref.stderr.splitlines()]


def test_a_wasm32_layout_past_4_gib_is_refused(tmp_path):
    """--global-base past 4 GiB: wasm-ld 14 writes the addresses cut to 32 bits (an invalid
    module); we refuse it in one line."""
    (obj,) = compile_sources(["freestanding/zeros.c"], tmp_path)
    out = tmp_path / "out.wasm"
    done = run_wasmmerge_link(["--no-entry", "--global-base=4294967296", str(obj), "-o", str(out)], out)
    assert done.returncode == 1 and not out.exists()
    assert "more than a wasm32 memory's 4 GiB" in done.stderr and len(done.stderr.splitlines()) == 1


def _wasm64_object(tmp_path, source, flags) -> Path:
    obj = tmp_path / (Path(source).stem + ".o")
    subprocess.run(["clang", "--target=wasm64-unknown-unknown", *flags, "-c", str(LINK_FIXTURES / source),
                    "-o", str(obj)], check=True)
    return obj


@pytest.mark.parametrize("flags", [["-O0", "-g"], ["-O2", "-g"]])
@pytest.mark.parametrize("link_flags", [[], ["--emit-relocs"]])
def test_wasm64_debug_info_of_removed_functions_is_wasm_ld_s(flags, link_flags, tmp_path):
    """wasm64 debug info addresses functions with FUNCTION_OFFSET_I64: one gc removed gets
    wasm-ld's tombstone in all eight bytes (-1, -2 in .debug_ranges), not -1 cut to 32 bits."""
    obj = _wasm64_object(tmp_path, "wasm64/bss.c", flags)
    ref, ours = link_both(["-m", "wasm64", "--no-entry", *link_flags, str(obj), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert b"\xff" * 8 in ours.read_bytes()


@pytest.mark.parametrize("memory, flags", [(["--import-memory"], ["-mbulk-memory"]),
                                           (["--shared-memory", "--max-memory=1048576"], SHARED_FLAGS)],
                         ids=["imported", "shared"])
def test_wasm64_init_memory_fills_with_an_i64_length(memory, flags, tmp_path):
    """On wasm64 __wasm_init_memory's addresses are i64 constants, as wasm-ld writes them,
    and so is memory.fill's length, which memory64 types i64: wasm-ld 14 writes an
    i32.const there (its module fails wasm-validate), which we do not copy. Otherwise the
    body is wasm-ld's, instruction for instruction."""
    # (Without atomics the fixture has no thread-local: wasm-ld 14 gets TLS without shared
    # memory wrong, which is another matter.)
    obj = _wasm64_object(tmp_path, "wasm64/bss.c", ["-O2", *flags])
    ref, ours = link_both(["-m", "wasm64", "--no-entry", *memory, str(obj), "-o", "out.wasm"], tmp_path)
    listing = [subprocess.run(["wasm-objdump", "-d", str(p)], capture_output=True, text=True,
                              check=True).stdout.splitlines()[2:] for p in (ref, ours)]
    assert len(listing[0]) == len(listing[1])
    changed = [(a, b) for a, b in zip(*listing) if a != b]
    assert changed and all(a.replace("41 ", "42 ", 1).replace("i32.const", "i64.const") == b
                           for a, b in changed)
    fill = listing[1].index(next(line for line in listing[1] if "memory.fill" in line))
    assert "i64.const 4096" in listing[1][fill - 1]  # the length of zeros[512]
    if memory[0] == "--import-memory":
        config = wasmtime.Config()
        config.wasm_memory64 = True
        engine = wasmtime.Engine(config)
        store = wasmtime.Store(engine)
        memory64 = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(2, None), is_64=True))
        memory64.write(store, b"\xaa" * 65536, 0)  # not zero: init_memory must clear .bss
        instance = wasmtime.Instance(store, wasmtime.Module.from_file(engine, str(ours)), [memory64])
        assert [instance.exports(store)["bump"](store, x) for x in (1, 2, 1)] == [41 + 1 + 7, 42 + 2 + 7, 43 + 2 + 7]


@pytest.mark.parametrize("memory", [["--initial-memory=100000"], ["--max-memory=65536"],
                                    ["--initial-memory=100000", "--max-memory=65536"]])
@pytest.mark.parametrize("missing", [[], ["--export=not_here"]])
def test_memory_errors_come_before_undefined_symbols(memory, missing, tmp_path):
    """wasm-ld lays memory out before it reports a missing --export or an undefined
    symbol: its layout errors come first, then those (we stopped at the undefined
    symbols, without the layout's errors)."""
    (obj,) = compile_sources(["undefined/host.c"], tmp_path)
    args = ["--no-entry", *memory, *missing, str(obj), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    theirs = [line.removeprefix("wasm-ld: ") for line in ref.stderr.splitlines()]
    mine = [line.removeprefix("wasmmerge: ") for line in ours.stderr.splitlines()]
    layout = [line for line in theirs if "undefined symbol" not in line and "via --export" not in line]
    assert layout and mine[:len(layout)] == layout
    # then the missing export, then the undefined symbols (one line each: our form)
    assert mine[len(layout):] == (["error: symbol exported via --export not found: not_here"] if missing else []) + [
        f"error: undefined symbol: {name} (referenced by {obj})" for name in ("host_add", "host_twice")]


def test_feature_errors_come_after_undefined_symbols(tmp_path):
    """wasm-ld checks features after it reports undefined symbols: with both, every error
    is listed, the features' last (we stopped at the undefined symbols)."""
    (obj,) = compile_sources(["undefined/host.c"], tmp_path, ["-msimd128"])
    args = ["--no-entry", "--features=mutable-globals", "--initial-memory=100000", str(obj), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    feature = f"error: Target feature 'simd128' used by {obj} is not allowed."
    assert ref.stderr.splitlines()[-1] == f"wasm-ld: {feature}"
    assert [line.removeprefix("wasmmerge: ") for line in ours.stderr.splitlines()] == [
        "error: initial memory must be 65536-byte aligned",
        *(f"error: undefined symbol: {name} (referenced by {obj})" for name in ("host_add", "host_twice")), feature]


@pytest.mark.parametrize("flags", [["-mmutable-globals"], []])
def test_export_all_exports_an_object_s_own_mutable_globals(flags, tmp_path):
    """--export-all exports every global an object defines, mutable ones included (only
    the linker's own, __stack_pointer, wait to be named), as wasm-ld 14 does: byte for
    byte, and without the mutable-globals feature the same errors (we left them out)."""
    objects = compile_sources(["globals/counters.c", "globals/shared.c"], tmp_path, flags)
    args = ["--no-entry", "--export-all", *map(str, objects), "-o", "x"]
    if flags:
        ref, ours = link_both(args, tmp_path)
        assert ours.read_bytes() == ref.read_bytes()
        assert {"counter1", "wide", "shared_g", "dead_g", "fg"} <= {e.name for e in decode_module(ours.read_bytes()).exports}
        return
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    assert "mutable global exported but 'mutable-globals' feature not present in inputs: `counter1`" in ours.stderr
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")


def test_print_gc_sections_lists_an_object_s_removed_globals(tmp_path):
    """--print-gc-sections names the globals gc removed (an object's own, after its data
    segments, before its tags), as wasm-ld does (we listed none)."""
    objects = compile_sources(["globals/counters.c", "globals/shared.c"], tmp_path, ["-mmutable-globals"])
    args = ["--no-entry", "--print-gc-sections", *map(str, objects), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    assert f"{objects[0]}:(dead_g)" in ours.stdout and f"{objects[1]}:(fg)" in ours.stdout


@pytest.mark.parametrize("policy, status", [([], 1), (["--warn-unresolved-symbols"], 0), (["--allow-undefined"], 0)])
def test_relocatable_reports_a_missing_export(policy, status, tmp_path):
    """-r exports nothing, but a --export naming what no input has is reported by the
    unresolved-symbols policy, as in a full link and as wasm-ld 14 does (we said nothing)."""
    (obj,) = compile_sources(["undefined/host.c"], tmp_path)
    args = ["-r", *policy, "--export=not_here", "--export=host_add", str(obj), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.o"), run_wasmmerge_link(args, tmp_path / "ours.o")
    assert ref.returncode == ours.returncode == status
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")


@pytest.mark.parametrize("flags", [[], ["--warn-unresolved-symbols"]], ids=["errors", "warnings"])
def test_undefined_symbols_are_reported_in_wasm_ld_s_order(flags, tmp_path):
    """In the order of wasm-ld 14's relocation scan (objects as linked, live functions
    first): missing_a, which the first object names, before missing_b, though marking
    from the root in the second object meets missing_b first. Each is reported once, the
    objects that refer to it in command-line order. (With the warnings wasm-ld 14 then
    crashes writing the code, as docs/link.md says; its warnings come first.)"""
    first, second = compile_sources(["undefined/order_first.c", "undefined/order_second.c"], tmp_path)
    args = ["--no-entry", "--export=entry", *flags, str(first), str(second), "-o", "x"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ours.returncode == (0 if flags else ref.returncode)

    def reported(stderr):
        return list(dict.fromkeys(re.findall(r"undefined symbol: (\w+)", stderr)))

    assert reported(ours.stderr) == reported(ref.stderr) == ["missing_a", "missing_b"]
    assert f"undefined symbol: missing_a (referenced by {first}, {second})" in ours.stderr
