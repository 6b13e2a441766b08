"""The linker's TLS symbols as wasm-ld 14 makes them. With --shared-memory it makes
`__tls_base`, `__tls_size`, `__tls_align` and `__wasm_init_tls` before reading any input
(so --export-all exports the immutable ones and the function first), `__wasm_init_tls`
is empty and `__tls_align` 0 when there is no thread-local data, and a thread-local data
symbol is exported as its offset in a thread's block; with --no-gc-sections all four
are kept. Without shared memory only
`__tls_base` is defined: a reference to another is an undefined symbol."""

import pytest

from .harness import compile_sources, link_both, run_wasm_ld, run_wasmmerge_link

SHARED = ["-matomics", "-mbulk-memory", "-mmutable-globals", "-ftls-model=local-exec"]
SHARED_LINK = ["--no-entry", "--shared-memory", "--max-memory=1048576"]

LINKS = {  # name: (sources, extra link flags)
    "export-all-tls": (["tls/freestanding.c"], ["--export-all"]),
    "export-all-no-tls": (["order/first.c"], ["--export-all"]),
    "export-tls-data": (["tls/freestanding.c"], ["--export=tname", "--export=tcount"]),
    "builtins-no-tls": (["order/tls_builtins.c"], ["--export=tls_align", "--export=tls_size",
                                                    "--export=setup_thread"]),
    "builtins-with-tls": (["order/tls_builtins.c", "tls/freestanding.c"],
                          ["--export=tls_align", "--export=setup_thread", "--export=bump"]),
    # Nothing collected: the TLS symbols made up front are all kept, TLS data or not.
    "no-gc-tls": (["tls/freestanding.c"], ["--no-gc-sections", "--export=bump"]),
    "no-gc-no-tls": (["order/first.c"], ["--no-gc-sections"]),
}


@pytest.mark.parametrize("name", sorted(LINKS))
def test_shared_memory_tls_symbols_are_wasm_ld_s(name, tmp_path):
    sources, flags = LINKS[name]
    objects = compile_sources(sources, tmp_path, SHARED)
    ref, ours = link_both([*SHARED_LINK, *flags, *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_without_shared_memory_only_tls_base_is_defined(tmp_path):
    objects = compile_sources(["order/tls_builtins.c"], tmp_path, ["-mbulk-memory"])
    args = ["--no-entry", "--export=tls_align", "--export=tls_size", "--export=setup_thread", *map(str, objects),
            "-o", "out.wasm"]
    assert run_wasm_ld(args, tmp_path / "ref.wasm").returncode == 1
    done = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert done.returncode == 1 and not (tmp_path / "ours.wasm").exists()
    for name in ("__tls_size", "__tls_align", "__wasm_init_tls"):
        assert f"undefined symbol: {name} (referenced by " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_exported_mutable_globals_without_mutable_globals_are_refused(tmp_path):
    # As wasm-ld refuses them. (wasm-ld 14 also refuses the immutable __tls_size and
    # __tls_align here, even under --export-all alone; later versions do not, nor do we.)
    objects = compile_sources(["tls/freestanding.c"], tmp_path, ["-matomics", "-mbulk-memory",
                                                                 "-ftls-model=local-exec"])
    args = [*SHARED_LINK, "--export-all", "--export=__stack_pointer", "--export=__tls_base", *map(str, objects),
            "-o", "out.wasm"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    done = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == done.returncode == 1 and not (tmp_path / "ours.wasm").exists()
    ours = done.stderr.replace("wasmmerge: ", "").splitlines()
    assert [line for line in ours if "__stack_pointer" in line or "__tls_base" in line] == ours
    assert len(ours) == 2 and set(ours) <= set(ref.stderr.replace("wasm-ld: ", "").splitlines())
    without = [a for a in args if not a.startswith("--export=__")]
    assert run_wasmmerge_link(without, tmp_path / "ours.wasm").returncode == 0


@pytest.mark.parametrize("sources, exports", [(["order/first.c"], []), (["tls/freestanding.c"], ["--export=bump"]),
                                              (["tls/freestanding.c"], [])])
def test_print_gc_sections_lists_the_tls_symbols_nothing_uses(sources, exports, tmp_path):
    """With shared memory wasm-ld makes __wasm_init_tls, __tls_base, __tls_size and
    __tls_align before reading any input: --print-gc-sections lists those gc removed,
    the function after __wasm_call_ctors, the globals after every function (we listed none)."""
    objects = compile_sources(sources, tmp_path, SHARED)
    args = [*SHARED_LINK, "--print-gc-sections", *exports, *map(str, objects), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    if not exports:
        assert ours.stdout.endswith("<internal>:(__tls_align)\n")


def test_print_gc_sections_lists_an_unused_tls_base_without_shared_memory(tmp_path):
    """Without shared memory wasm-ld makes __tls_base once an object refers to it: when gc
    removes the code that does, --print-gc-sections lists it last (we did not)."""
    objects = compile_sources(["tls/unused.c"], tmp_path, SHARED)
    args = ["--no-entry", "--print-gc-sections", *map(str, objects), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.wasm"), run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    assert ours.stdout.endswith("<internal>:(__tls_base)\n")
