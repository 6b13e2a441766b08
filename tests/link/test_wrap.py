"""`--wrap=NAME`: references to NAME go to `__wrap_NAME` and `__real_NAME` to NAME, as
wasm-ld does it; each case linked by both linkers from the same command line."""

import subprocess

import pytest

from wasmmerge.binary.reader import decode_module

from .harness import call_exports, compile_sources, driver_link_args, link_both, run_command, run_wasm_ld, \
    run_wasmmerge_link, validate_output

PARTS = ["wrap/main.c", "wrap/lib.c", "wrap/wrapper.c"]

CASES = {  # name: extra wasm-ld flags
    "call": ["--export=run", "--export=twice"],
    "export-the-wrapped-name": ["--export=run", "--export=compute"],  # exports __wrap_compute
    "export-all": ["--export-all"],
    "no-gc": ["--export=run", "--no-gc-sections"],
    "twice-given": ["--export=run", "--wrap=compute"],
    "nothing-to-wrap": ["--export=run", "--wrap=not_there"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_wrapped_calls_are_wasm_ld_s(name, tmp_path):
    objects = compile_sources(PARTS, tmp_path)
    args = ["--no-entry", "--wrap=compute", *CASES[name], *map(str, objects), "-o", "out.wasm"]
    maps = (tmp_path / "ref.map", tmp_path / "ours.map")
    assert run_wasm_ld([*args, f"-Map={maps[0]}"], tmp_path / "ref.wasm").returncode == 0
    done = run_wasmmerge_link([*args, f"-Map={maps[1]}"], tmp_path / "ours.wasm")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()
    assert maps[1].read_text() == maps[0].read_text()
    if name == "call":  # run -> wrapper -> the real compute; twice's own calls wrapped too
        assert call_exports(tmp_path / "ours.wasm", [("run", (5,)), ("twice", (5,))]) == [111, 320]


def test_relocatable_link_wraps_too(tmp_path):
    objects = compile_sources(PARTS, tmp_path)
    args = ["-r", "--wrap=compute", *map(str, objects), "-o", "out.o"]
    assert run_wasm_ld(args, tmp_path / "ref.o").returncode == 0
    assert run_wasmmerge_link(args, tmp_path / "ours.o").returncode == 0
    assert (tmp_path / "ours.o").read_bytes() == (tmp_path / "ref.o").read_bytes()


def test_wrapping_libc_malloc(tmp_path):
    """The real malloc comes out of libc as __real_malloc; the program counts its calls."""
    # (-fno-builtin: the compiler may not take malloc for one that leaves the count alone)
    (program,) = compile_sources(["wrap/counting.c"], tmp_path, ["-fno-builtin"])
    ref, ours = link_both(driver_link_args([program], ["-Wl,--wrap=malloc"]), tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert run_command(ours, tmp_path) == ("allocations=2 distinct=1\n", None)


@pytest.mark.parametrize("wrapper", [None, "int __wrap_counter = 7;\n"])
def test_wrapping_data_is_refused(wrapper, tmp_path):
    """Only functions are wrapped: wasm-ld fails on data (an undefined __wrap_ symbol, or a
    symbol type mismatch with a data one); we refuse it in one line, never linking data
    at address 0."""
    user, data = tmp_path / "user.c", tmp_path / "data.c"
    user.write_text("extern int counter; int get(void) { return counter; }\n")
    data.write_text("int counter = 5;\n" + (wrapper or ""))
    objects = []
    for src in (user, data):
        obj = src.with_suffix(".o")
        subprocess.run(["clang", "--target=wasm32-wasi", "-O2", "-c", str(src), "-o", str(obj)], check=True)
        objects.append(str(obj))
    args = ["--no-entry", "--export=get", "--wrap=counter", *objects, "-o", "x"]
    assert run_wasm_ld(args, tmp_path / "ref.wasm").returncode == 1
    done = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert done.returncode == 1 and not (tmp_path / "ours.wasm").exists()
    assert done.stderr.strip() == "wasmmerge: error: --wrap=counter: counter is a data symbol; only functions can be wrapped"


def test_a_wrapper_that_is_not_a_function_is_refused(tmp_path):
    """__wrap_compute defined as data: wasm-ld reports a symbol type mismatch; we refuse it
    in one line (a call patched to data would be silently wrong)."""
    main, lib = compile_sources(["wrap/main.c", "wrap/lib.c"], tmp_path)
    data = tmp_path / "data.c"
    data.write_text("int __wrap_compute = 1;\n")
    subprocess.run(["clang", "--target=wasm32-wasi", "-O2", "-c", str(data), "-o", str(tmp_path / "data.o")],
                   check=True)
    args = ["--no-entry", "--export=run", "--wrap=compute", str(main), str(lib), str(tmp_path / "data.o"), "-o", "x"]
    assert run_wasm_ld(args, tmp_path / "ref.wasm").returncode == 1
    done = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert done.returncode == 1 and not (tmp_path / "ours.wasm").exists()
    assert done.stderr.strip() == ("wasmmerge: error: --wrap: __wrap_compute is a data symbol; "
                                   "it must be a function")


def test_a_wrapper_nobody_defines_is_undefined_with_the_wrapped_signature(tmp_path):
    """`--wrap=compute` with no `__wrap_compute` anywhere (wasm-ld 14 crashes): the calls
    go to an undefined `__wrap_compute` of compute's type, an error naming it, or with
    --allow-undefined an import (it was a traceback)."""
    main, lib = compile_sources(["wrap/main.c", "wrap/lib.c"], tmp_path)
    args = ["--no-entry", "--export=run", "--wrap=compute", str(main), str(lib), "-o", "out.wasm"]
    out = tmp_path / "out.wasm"
    done = run_wasmmerge_link(args, out)
    assert done.returncode == 1 and not out.exists()
    assert done.stderr.strip().splitlines() == [f"wasmmerge: error: undefined symbol: __wrap_compute (referenced by {main})"]
    done = run_wasmmerge_link(["--allow-undefined", *args], out)
    assert done.returncode == 0, done.stderr
    validate_output(out)
    module = decode_module(out.read_bytes())
    (wrapper,) = [i for i in module.imports if i.name == "__wrap_compute"]
    assert (wrapper.module, str(module.types[wrapper.type].comp)) == ("env", "[i32] -> [i32]")
