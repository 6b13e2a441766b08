"""`--features`, `--check-features`, `--no-check-features`: the output's target_features
and every feature error are wasm-ld 14's, from the same command line. Objects that
disallow (`-`) or require (`=`) a feature are real objects whose target_features prefix
byte is rewritten (clang only writes `+`)."""

import pytest

from wasmmerge.binary.reader import iter_sections

from .harness import call_exports, compile_sources, run_wasm_ld, run_wasmmerge_link

SOURCES = {"plain": ([], "plain.c"), "vector": (["-msimd128"], "vector.c"),
           "atomic": (["-matomics", "-mbulk-memory"], "atomic.c"),
           "convert": (["-mnontrapping-fptoint", "-mbulk-memory", "-mmutable-globals"], "convert.c")}


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    out = tmp_path_factory.mktemp("objs")
    paths = {name: compile_sources([f"features/{src}"], out, flags)[0] for name, (flags, src) in SOURCES.items()}
    atomic = paths["atomic"].read_bytes()
    for name, feature, prefix in (("no_atomics", b"\x07atomics", b"-"), ("needs_bulk", b"\x0bbulk-memory", b"=")):
        at = atomic.index(b"+" + feature)
        # the same code under another symbol name, so that both objects link together
        data = atomic[:at] + prefix + atomic[at + 1:]
        data = data.replace(b"\x04bump", b"\x04bum2").replace(b"\x07counter", b"\x07countr2")
        paths[name] = out / f"{name}.o"
        paths[name].write_bytes(data)
    # `plain` marked as LLVM marks an object whose atomics it stripped: -shared-mem.
    plain = paths["plain"].read_bytes()
    paths["unsafe"] = out / "unsafe.o"
    paths["unsafe"].write_bytes(_with_feature(plain, b"-", b"shared-mem"))
    return paths


def _with_feature(data: bytes, prefix: bytes, name: bytes) -> bytes:
    """`data` (an object without a target_features section) with one listing one feature."""
    assert b"target_features" not in data
    body = b"\x0ftarget_features" + b"\x01" + prefix + bytes((len(name),)) + name
    return data + b"\x00" + bytes((len(body),)) + body


CASES = {
    "inferred": ["vector", "plain"],
    "explicit-list": ["--features=simd128,sign-ext", "vector", "plain"],
    "not-allowed": ["--features=mutable-globals", "vector", "plain"],
    # several: in the order of wasm-ld's table of used features (an llvm::StringMap)
    "not-allowed-several": ["--features=sign-ext", "vector", "convert", "plain"],
    "empty-list": ["--features=", "vector"],
    "empty-list-no-use": ["--features=", "plain"],
    "unchecked-list": ["--no-check-features", "--features=mutable-globals", "vector"],
    "disallowed": ["atomic", "no_atomics"],
    "disallowed-other-order": ["no_atomics", "atomic"],
    "disallowed-unchecked": ["--no-check-features", "atomic", "no_atomics"],
    "required": ["needs_bulk", "plain"],
    "required-unchecked": ["--check-features", "--no-check-features", "plain", "needs_bulk"],
    "rechecked": ["--no-check-features", "--check-features", "needs_bulk", "plain"],
    "list-misses-one": ["--features=atomics", "atomic"],
    "shared-memory-unchecked": ["--shared-memory", "--no-check-features", "plain"],
    # An object without atomics beside one with them (a -pthread program's builtins): linked.
    "shared-memory-mixed": ["--shared-memory", "--max-memory=131072", "atomic", "plain"],
    "shared-memory-mixed-other-order": ["--shared-memory", "--max-memory=131072", "plain", "atomic"],
    # One whose atomics LLVM dropped says so (`-shared-mem`): refused, named.
    "shared-memory-disallowed": ["--shared-memory", "--max-memory=131072", "atomic", "unsafe"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_features_as_wasm_ld(name, objects, tmp_path):
    args = ["--no-entry", *(f"--export-if-defined={name}" for name in ("plain", "vadd", "scalar", "bump", "bum2"))]
    for item in CASES[name]:
        args.append(str(objects[item]) if item in objects else item)
    args += ["-o", "out.wasm"]
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    want = run_wasm_ld(args, ref)
    got = run_wasmmerge_link(args, ours)
    assert got.returncode == want.returncode, (got.stderr, want.stderr)
    want_errors = [line.replace("wasm-ld: error: ", "") for line in want.stderr.splitlines()]
    got_errors = [line.replace("wasmmerge: error: ", "") for line in got.stderr.splitlines()]
    assert got_errors == want_errors
    if want.returncode == 0:
        assert ours.read_bytes() == ref.read_bytes()  # the target_features section included
    else:
        assert not ours.exists()


def test_shared_memory_without_atomics_names_the_object(objects, tmp_path):
    # wasm-ld 14's lines ("'atomics' feature must be used in order to use shared memory"),
    # each naming an object as well, as the issue asks.
    done = run_wasmmerge_link(["--no-entry", "--shared-memory", str(objects["plain"]), "-o", "x"], tmp_path / "o.wasm")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"wasmmerge: error: '{feature}' feature must be used in order to use shared memory (no input uses it, "
        f"{objects['plain']} the first)" for feature in ("atomics", "bulk-memory")]


@pytest.mark.parametrize("extra", [[], ["--features=simd128,atomics,bulk-memory,sign-ext"]])
def test_relocatable_output_declares_its_features(extra, objects, tmp_path):
    """`-r` writes target_features as wasm-ld does, so a later link checks them again."""
    args = ["-r", *extra, str(objects["vector"]), str(objects["atomic"]), "-o", "out.o"]
    ref, ours = tmp_path / "ref.o", tmp_path / "ours.o"
    assert run_wasm_ld(args, ref).returncode == 0
    done = run_wasmmerge_link(args, ours)
    assert done.returncode == 0, done.stderr

    def features(path):
        data = path.read_bytes()
        at = data.index(b"\x0ftarget_features") + 16
        return data[at:]  # the last section: its payload runs to the end

    assert features(ours) == features(ref)


@pytest.mark.parametrize("extra", [[], ["-r"]])
def test_an_object_s_own_table_is_refused_not_dropped(extra, tmp_path):
    """wasm-ld gives an object's own table (here an externref one) a place of its own after
    the indirect function table's; we have only that one table, so such an object is
    refused in one line, naming it (we dropped the table: table.grow and table.size named
    the indirect function table, a module wasm-validate rejects, and -r crashed)."""
    (obj,) = compile_sources(["tables/own_table.s"], tmp_path, ["-mreference-types"])
    args = [*extra, *([] if extra else ["--no-entry", "--export=grow_ext", "--export=count_ext"]), str(obj), "-o", "x"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    assert ref.returncode == 0, ref.stderr
    if not extra:  # wasm-ld's module: grown by 3 from 0, then 3 slots and the function table's 1
        assert call_exports(tmp_path / "ref.wasm", [("grow_ext", (3,)), ("count_ext", ())]) == [0, 4]
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ours.returncode == 1 and not (tmp_path / "ours.wasm").exists()
    assert ours.stderr.splitlines() == [
        f"wasmmerge: error: {obj}:0x{_table_section_offset(obj):x}: table section: defines 1 table(s): "
        "tables other than __indirect_function_table are not supported"]


def _table_section_offset(path) -> int:
    return next(info.start for info in iter_sections(path.read_bytes()) if info.id == 4)


# (objects, link flags): the reference-types object's table symbol alone, after an MVP
# object's (wasm-ld makes that one NO_STRIP) and before it; gc with the call_indirect dead
# or live, --emit-relocs.
TABLE_LINKS = {
    "r": (["indirect_rt"], ["-r"]),
    "r-mvp-first": (["indirect_mvp", "indirect_rt"], ["-r"]),
    "r-rt-first": (["indirect_rt", "indirect_mvp"], ["-r"]),
    "dead-call": (["indirect_rt"], ["--no-entry", "--export=plain"]),
    "dead-call-emit-relocs": (["indirect_rt"], ["--no-entry", "--export=plain", "--emit-relocs"]),
    "live-call": (["indirect_rt"], ["--no-entry", "--export=apply"]),
    "mvp-dead-call": (["indirect_mvp"], ["--no-entry", "--export=plain2"]),
    "mvp-dead-call-emit-relocs": (["indirect_mvp"], ["--no-entry", "--export=plain2", "--emit-relocs"]),
}


@pytest.mark.parametrize("name", sorted(TABLE_LINKS))
def test_reference_types_table_symbol_is_the_object_s(name, tmp_path):
    """A -mreference-types object that only calls through a pointer names the table by a
    symbol without NO_STRIP: -r writes it so (as the first object naming the table has
    it), and a link whose call_indirect is collected has no table, as wasm-ld 14 decides;
    an MVP object importing the table has one in any case."""
    paths = {"indirect_rt": compile_sources(["features/indirect.c"], tmp_path, ["-mreference-types"])[0]}
    mvp_dir = tmp_path / "mvp"
    mvp_dir.mkdir()
    paths["indirect_mvp"] = compile_sources(["features/indirect.c"], mvp_dir, ["-Dapply=apply2", "-Dplain=plain2"])[0]
    inputs, flags = TABLE_LINKS[name]
    args = [*flags, *(str(paths[k]) for k in inputs), "-o", "x"]
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    assert run_wasm_ld(args, ref).returncode == 0
    done = run_wasmmerge_link(args, ours)
    assert done.returncode == 0, done.stderr
    assert ours.read_bytes() == ref.read_bytes()


def test_relocatable_checks_thread_local_storage_too(tmp_path):
    """-r keeps every segment, so any thread-local one needs atomics and bulk memory, as
    wasm-ld checks (we checked only live segments, none in -r: a TLS segment of an object
    without those features then crashed the -r writer)."""
    (obj,) = compile_sources(["tls/freestanding.c"], tmp_path, ["-matomics", "-mbulk-memory", "-ftls-model=local-exec"])
    args = ["-r", "--features=mutable-globals", str(obj), "-o", "out.o"]
    want = run_wasm_ld(args, tmp_path / "ref.o")
    got = run_wasmmerge_link(args, tmp_path / "ours.o")
    assert want.returncode == got.returncode == 1
    assert ([line.replace("wasmmerge: error: ", "") for line in got.stderr.splitlines()]
            == [line.replace("wasm-ld: error: ", "") for line in want.stderr.splitlines()])
    assert "'atomics' feature must be used in order to use thread-local storage" in got.stderr
