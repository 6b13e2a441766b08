"""GOT entries: PIC code for the emscripten target reaches functions and data another
object defines through GOT.func/GOT.mem imports and GLOBAL_INDEX relocations against
function and data symbols (wasi's -fPIC code does not). Linked statically, each entry
is a constant global holding the table slot or the address, named as wasm-ld 14 names
it; -r makes the same entries. Every output must be wasm-ld's byte for byte, and run."""

import pytest

from .harness import call_exports, compile_sources, run_wasm_ld, run_wasmmerge_link, validate_output

PIC = ["--target=wasm32-unknown-emscripten", "-fPIC", "-O1"]
EXPORTS = [f"--export-if-defined={name}" for name in
           ("func_address", "value_address", "call_through", "weak_address", "weak_value_address", "call_local")]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    user, defs = compile_sources(["pic/got_user.c", "pic/got_defs.c"], tmp_path_factory.mktemp("got"), PIC)
    assert all(name in user.read_bytes() for name in (b"GOT.func", b"GOT.mem", b"__table_base", b"__memory_base"))
    return {"user": user, "defs": defs}


def _both(args, tmp_path, suffix="wasm"):
    ref, ours = tmp_path / f"ref.{suffix}", tmp_path / f"ours.{suffix}"
    want, got = run_wasm_ld([*args, "-o", "x"], ref), run_wasmmerge_link([*args, "-o", "x"], ours)
    assert want.returncode == got.returncode == 0, (want.stderr, got.stderr)
    assert ours.read_bytes() == ref.read_bytes()
    return ours


CASES = {
    "defined": (["user", "defs"], []),
    "defined-other-order": (["defs", "user"], []),
    "no-gc": (["user", "defs"], ["--no-gc-sections"]),
    "undefined-imported": (["user"], ["--allow-undefined"]),
    "undefined-import-undefined": (["user"], ["--import-undefined", "--allow-undefined"]),
    # A stub's GOT entry holds 0, the stub a slot of its own (as wasm-ld 14 writes it).
    "undefined-ignored": (["user"], ["--unresolved-symbols=ignore-all"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_got_entries_are_wasm_ld_s(name, objects, tmp_path):
    inputs, flags = CASES[name]
    out = _both(["--no-entry", *EXPORTS, *flags, *(str(objects[k]) for k in inputs)], tmp_path)
    validate_output(out)
    if "defs" in inputs:
        func, value, total, weak_func, weak_value = call_exports(out, [
            ("func_address", ()), ("value_address", ()), ("call_through", (5,)), ("weak_address", ()),
            ("weak_value_address", ())])
        assert func >= 1 and value >= 1024 and total == 5 + 33 + 33
        assert weak_func == 0 and weak_value == 0  # weak and defined nowhere: null
    if "--allow-undefined" not in flags and "--unresolved-symbols=ignore-all" not in flags:
        assert call_exports(out, [("call_local", (5,))]) == [13]  # its own slot and data


@pytest.mark.parametrize("inputs", [["user"], ["user", "defs"], ["defs", "user"]])
def test_relocatable_makes_the_got_as_wasm_ld(inputs, objects, tmp_path):
    # -r makes the entries (defined globals, the functions' slots in an element segment)
    # and keeps the relocations; the object links again as the inputs do.
    combined = _both(["-r", *(str(objects[k]) for k in inputs)], tmp_path, "o")
    again = ["--no-entry", *EXPORTS, str(combined), *([str(objects["defs"])] if "defs" not in inputs else [])]
    (tmp_path / "again").mkdir()
    out = _both(again, tmp_path / "again")
    assert call_exports(out, [("call_through", (5,))]) == [71]


def test_emit_relocs_with_the_memory_base(objects, tmp_path):
    """PIC code names __memory_base as a global: wasm-ld 14 makes it an absolute data
    symbol (a GOT entry) and with --emit-relocs then crashes writing its symbol table;
    ours writes it (undefined, as it has no segment), valid, and runs."""
    out = tmp_path / "ours.wasm"
    done = run_wasmmerge_link(["--no-entry", *EXPORTS, "--emit-relocs", str(objects["user"]), str(objects["defs"]),
                               "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    validate_output(out)
    assert b"GOT.data.internal.__memory_base" in out.read_bytes()
    assert call_exports(out, [("call_through", (5,)), ("weak_address", ()), ("call_local", (5,))]) == [71, 0, 13]


@pytest.mark.parametrize("flags", [[], ["--unresolved-symbols=ignore-all"], ["-r"]], ids=["module", "ignored", "r"])
def test_wasm64_got_entries_are_wasm_ld_s(flags, tmp_path):
    """The same code for wasm64, whose GOT entries are 64-bit globals."""
    user, defs = compile_sources(["pic/got_user.c", "pic/got_defs.c"], tmp_path,
                                 [*PIC, "--target=wasm64-unknown-emscripten"])
    inputs = [str(user)] if flags == ["--unresolved-symbols=ignore-all"] else [str(user), str(defs)]
    base = [] if flags == ["-r"] else ["--no-entry", *EXPORTS]
    out = _both(["-m", "wasm64", *base, *flags, *inputs], tmp_path, "o" if flags == ["-r"] else "wasm")
    if flags != ["-r"]:
        validate_output(out)


def test_got_entries_with_relocations_read_ahead(objects, tmp_path):
    # Read ahead by a second process, an object's relocations reach it after the linker's
    # own symbols are defined, which may already have made it name a GOT entry: here
    # only got_defs.o names __memory_base, as a global (for its own data), which the
    # linker makes an absolute data symbol. That stays so.
    plain, = compile_sources(["pic/plain_caller.c"], tmp_path, ["--target=wasm32-unknown-emscripten", "-O1"])
    out = _both(["--no-entry", "--export=call_plain", "--threads=2", str(objects["defs"]), str(plain)], tmp_path)
    validate_output(out)
    assert call_exports(out, [("call_plain", (4,))]) == [2 * (4 + 33)]
