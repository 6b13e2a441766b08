"""Differences from wasm-ld 14 found by linking real code bases (Lua, zlib, cJSON,
tiny-regex-c, jsmn) against wasi-libc, each reproduced by a small fixture of our own under
fixtures/link/realworld/ and compared with wasm-ld from the same command line."""

import re
import subprocess

import pytest
import wasmtime

from wasmmerge.linker.diagnostics import Diagnostics
from wasmmerge.linker.symtab import SymbolTable

from .harness import (LINK_FIXTURES, call_exports, compile_sources, driver_link_args, link_both, make_archive,
                      require_tools, run_command, run_wasm_ld, run_wasmmerge_link, structure)


def test_main_with_arguments_is_named_main(tmp_path):
    """clang calls `main(argc, argv)` `__main_argc_argv`; wasm-ld's name section and map
    call it `main` (lld's maybeDemangleSymbol), so the outputs are the same bytes."""
    objects = compile_sources(["realworld/main_args.c"], tmp_path)
    args = driver_link_args(objects, [f"-Wl,-Map={tmp_path / 'out.map'}"])
    ref_args = [a.replace("out.map", "ref.map") for a in args]
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    assert run_wasm_ld(ref_args, ref).returncode == 0
    done = run_wasmmerge_link(args, ours)
    assert done.returncode == 0, done.stderr
    assert run_command(ours, tmp_path) == run_command(ref, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert (tmp_path / "out.map").read_text() == (tmp_path / "ref.map").read_text()
    # The function's line names its input chunk as it is, the symbol line under it `main`.
    assert re.search(r"main_args\.o:\(__main_argc_argv\)\n.* main\n", (tmp_path / "out.map").read_text())


@pytest.mark.parametrize("demangle", [[], ["-Wl,--no-demangle"]])
def test_duplicate_main_with_arguments_is_reported_as_main(tmp_path, demangle):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    objects = [*compile_sources(["realworld/main_args.c"], first), *compile_sources(["realworld/main_args.c"], second)]
    args = driver_link_args(objects, demangle)
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    assert "duplicate symbol: main\n" in ref.stderr
    assert "duplicate symbol: main\n" in ours.stderr and "__main_argc_argv" not in ours.stderr


@pytest.mark.parametrize("flags", [[], ["-Wl,--export-all"], ["-Wl,--export=late"], ["-Wl,--export-dynamic"]])
def test_entry_is_exported_in_symbol_table_order(tmp_path, flags):
    """The entry point is exported where its symbol stands in wasm-ld's symbol table (after
    an earlier object's exports), not ahead of every other export."""
    objects = compile_sources(["realworld/entry_helpers.c", "realworld/entry_start.c"], tmp_path)
    args = driver_link_args(objects, ["-nostdlib", *flags])
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert call_exports(ours, [("early", ())]) == call_exports(ref, [("early", ())]) == [1]


@pytest.mark.parametrize("flags", [["-Wl,--growable-table"], ["-Wl,--growable-table", "-Wl,--export-table"]])
def test_growable_table_has_no_maximum(tmp_path, flags):
    """wasm-ld 14 takes --growable-table (build systems that add functions to the table at
    run time pass it); the table then has no maximum."""
    objects = compile_sources(["realworld/main_args.c"], tmp_path)  # printf: stdio fills the table
    ref, ours = link_both(driver_link_args(objects, flags), tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(ours))
    tables = [t.type for t in module.exports if isinstance(t.type, wasmtime.TableType)]
    assert all(t.limits.max is None for t in tables) and len(tables) == ("-Wl,--export-table" in flags)
    assert run_command(ours, tmp_path) == run_command(ref, tmp_path)


def _library_program(tmp_path, with_imports_file=True):
    """uses_library.o linked against libunused.a (and libunused.imports beside it)."""
    main, unused = compile_sources(["realworld/uses_library.c", "realworld/unused.c"], tmp_path)
    make_archive(tmp_path / "libunused.a", [unused])
    if with_imports_file:
        (tmp_path / "libunused.imports").write_text("# names the host provides\n\n  host_log  \n")
    return main


def _stdout_of_both(args, tmp_path):
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == 0 and ours.returncode == 0, ref.stderr + ours.stderr
    return ours.stdout, ref.stdout


@pytest.mark.parametrize("library", [["-L{tmp}", "-lunused"], ["-Wl,--whole-archive", "{tmp}/libunused.a"]])
def test_imports_file_beside_an_archive_allows_undefined(tmp_path, library):
    """wasm-ld reads `libX.imports` beside `libX.a` (wasi-libc ships libc.imports): the
    symbols it names may stay undefined and become imports, archive whole or not."""
    main = _library_program(tmp_path)
    args = driver_link_args([main], [a.format(tmp=tmp_path) for a in library])
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert ("env", "host_log", "func ['i32'] -> []") in structure(ours)["imports"]
    (tmp_path / "libunused.imports").unlink()
    failed = run_wasmmerge_link(args, tmp_path / "again.wasm")
    assert failed.returncode == 1 and "undefined symbol: host_log" in failed.stderr


@pytest.mark.parametrize("flags", [[], ["-Wl,--no-gc-sections"], ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=used_twice"]])
def test_print_gc_sections_prints_what_wasm_ld_prints(tmp_path, flags):
    """`removing unused section FILE:(NAME)` on stdout, objects' functions then data in
    input order, then the linker's own __wasm_call_ctors when nothing calls it."""
    main = _library_program(tmp_path)
    if "-nostdlib" in flags:
        (unused,) = compile_sources(["realworld/unused.c"], tmp_path)
        args = driver_link_args([unused], flags + ["-Wl,--print-gc-sections"])
    else:
        args = driver_link_args([main], [f"-L{tmp_path}", "-lunused", "-Wl,--print-gc-sections", *flags])
    ours, ref = _stdout_of_both(args, tmp_path)
    assert ours == ref
    if "-Wl,--no-gc-sections" not in flags:
        assert "unused.o):(unused_sum)\n" in ours or "unused.o:(unused_sum)\n" in ours


def test_print_gc_sections_lists_the_dead_stubs_as_wasm_ld(tmp_path):
    objects = compile_sources(["order/dead_stubs.c", "mismatch/impl.c"], tmp_path, ["-w"])
    args = ["--no-entry", "--export=live_user", "--export=compute_ok", "--print-gc-sections",
            *map(str, objects), "-o", "out.wasm"]
    ours, ref = _stdout_of_both(args, tmp_path)
    assert ours == ref
    assert ours.endswith("<internal>:(__wasm_call_ctors)\nremoving unused section <internal>:(compute)\n"
                         "removing unused section <internal>:(weak_only)\n")


def test_trace_names_objects_and_extracted_members_not_archives(tmp_path):
    main = _library_program(tmp_path)
    args = driver_link_args([main], [f"-L{tmp_path}", "-lunused", "-Wl,--trace"])
    ours, ref = _stdout_of_both(args, tmp_path)
    assert ours == ref
    assert f"{tmp_path}/libunused.a(realworld_unused.o)\n" in ours and f"{tmp_path}/libunused.a\n" not in ours


@pytest.mark.parametrize("exports", [
    ["__heap_base", "__data_end"],
    ["__table_base", "__global_base", "__dso_handle", "__memory_base"],
    ["__heap_base", "__data_end", "malloc"],  # malloc pulls in dlmalloc, which names __heap_base
])
def test_exported_linker_symbols_and_wrapped_functions_in_wasm_ld_order(tmp_path, exports):
    """Linker-made data symbols no input names are made after the inputs, in wasm-ld's
    fixed order whatever the command line's; and in a command whose functions are
    exported through `.command_export` wrappers, the wrappers come after every other
    export (wasm-ld adds them to the end of its symbol table)."""
    objects = compile_sources(["realworld/main_args.c"], tmp_path)
    ref, ours = link_both(driver_link_args(objects, [f"-Wl,--export={name}" for name in exports]), tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert run_command(ours, tmp_path) == run_command(ref, tmp_path)


def test_exported_mutable_global_needs_mutable_globals(tmp_path):
    """Objects built without `mutable-globals` (no target_features section, as clang 14
    writes by default) cannot export __stack_pointer, unless checking is off."""
    objects = compile_sources(["realworld/main_args.c"], tmp_path)
    args = driver_link_args(objects, ["-Wl,--export=__stack_pointer"])
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    message = ("mutable global exported but 'mutable-globals' feature not present in inputs: "
               "`__stack_pointer`. Use --no-check-features to suppress.")
    assert ref.returncode == ours.returncode == 1
    assert message in ref.stderr and message in ours.stderr
    assert not (tmp_path / "ours.wasm").exists()
    ref, ours = link_both([*args, "--no-check-features"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("main, whole", [("ctor_user", False), ("ctor_bystander", False), ("ctor_bystander", True)])
def test_constructors_of_archive_members_run_only_when_the_member_is_used(tmp_path, main, whole):
    """wasm-ld roots the constructors of objects named on the command line (or linked
    whole); a member extracted for a reference gets its constructors only once something
    it defines is live (wasi-libc's preopens.o pulled in by collected file code)."""
    main_o, member = compile_sources([f"realworld/{main}.c", "realworld/ctor_member.c"], tmp_path)
    lib = make_archive(tmp_path / "libmember.a", [member])
    library = ["-Wl,--whole-archive", str(lib), "-Wl,--no-whole-archive"] if whole else [f"-L{tmp_path}", "-lmember"]
    ref, ours = link_both(driver_link_args([main_o], library), tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    output = run_command(ours, tmp_path)
    assert output == run_command(ref, tmp_path)
    assert ("member constructor ran" in output[0]) == (main == "ctor_user" or whole)


@pytest.mark.parametrize("flag", ["-Wl,-u,member_api", "-Wl,-umember_api", "-Wl,--undefined=member_api",
                                  "-Wl,-u,no_such_symbol"])
def test_undefined_option_extracts_the_member(tmp_path, flag):
    """`-u SYM` (build systems pass `-Wl,-u,...` to pull a member in): wasm-ld 14 extracts the
    member defining SYM; SYM is no GC root, and a name no input has is no error."""
    main_o, member = compile_sources(["realworld/main_args.c", "realworld/ctor_member.c"], tmp_path)
    make_archive(tmp_path / "libmember.a", [member])
    args = driver_link_args([main_o], [f"-L{tmp_path}", "-lmember", flag, "-Wl,--trace"])
    ours, ref = _stdout_of_both(args, tmp_path)
    assert ours == ref
    assert ("libmember.a(realworld_ctor_member.o)" in ours) == ("member_api" in flag)
    assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()


@pytest.mark.parametrize("flags", [[], ["-Wl,--no-gc-sections"]])
def test_unresolved_ignore_all_stubs_in_wasm_ld_order(tmp_path, flags):
    """Under --unresolved-symbols=ignore-all each missing function calls a trapping stub:
    wasm-ld shares one per signature and makes them after the weak stubs."""
    objects = compile_sources(["realworld/unresolved.c"], tmp_path)
    args = driver_link_args(objects, ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=work", "-Wl,--export=safe",
                                      "-Wl,--unresolved-symbols=ignore-all", *flags])
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert call_exports(ours, [("safe", (4,))]) == call_exports(ref, [("safe", (4,))]) == [5]


@pytest.mark.parametrize("machine, inputs, message", [
    ([], ["w64"], "w64.o: must specify -mwasm64 to process wasm64 object files"),
    (["-m", "wasm64"], ["w32"], "w32.o: wasm32 object file can't be linked in wasm64 mode"),
    (["-m", "wasm64"], ["w64", "w32"], "w32.o: wasm32 object file can't be linked in wasm64 mode"),
    (["-m", "wasm32"], ["w64"], "w64.o: wasm32 object file can't be linked in wasm64 mode"),
])
def test_objects_of_the_other_architecture_are_refused(tmp_path, machine, inputs, message):
    """A wasm64 object (its memory has 64-bit addresses) needs -m wasm64, and a wasm32 one
    cannot join it: wasm-ld 14 stops with its checkArch message instead of mixing them."""
    require_tools()
    source = LINK_FIXTURES / "wasm64" / "other.c"
    for name, target in (("w64", "wasm64-unknown-unknown"), ("w32", "wasm32-unknown-unknown")):
        subprocess.run(["clang", f"--target={target}", "-O2", "-c", str(source), "-o", str(tmp_path / f"{name}.o")],
                       check=True)
    args = [*machine, "--no-entry", *(str(tmp_path / f"{name}.o") for name in inputs), "-o", "out.wasm"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    assert message in ref.stderr and message in ours.stderr
    assert not (tmp_path / "ours.wasm").exists()


def test_every_whole_archive_links_all_its_members(tmp_path):
    """A whole archive was dropped as soon as it was read, so the next archive could be
    read at its address and its first member taken for one already extracted (a libc
    member's debug info went missing now and then). Many links in one process give that
    reuse every chance; each must take both members."""
    (member,) = compile_sources(["realworld/unused.c"], tmp_path)
    first = make_archive(tmp_path / "libfirst.a", [member]).read_bytes()
    second = make_archive(tmp_path / "libsecond.a", [member]).read_bytes()
    for _ in range(200):
        symtab = SymbolTable(Diagnostics())
        symtab.add_archive("libfirst.a", first, True)
        symtab.add_archive("libsecond.a", second, True)
        assert [obj.name for obj in symtab.objects] == ["libfirst.a(realworld_unused.o)",
                                                        "libsecond.a(realworld_unused.o)"]


def test_duplicate_symbols_past_the_error_limit_read_as_wasm_ld_s(tmp_path):
    """The same object twice: every duplicate symbol, both places named, and past
    --error-limit wasm-ld 14's own closing line (its `-error-limit=0`, one dash)."""
    (util,) = compile_sources(["calls/util.c"], tmp_path)
    for limit in ("--error-limit=2", "--error-limit=0"):
        args = ["--no-entry", limit, str(util), str(util), "-o", "x"]
        ref = run_wasm_ld(args, tmp_path / "ref.wasm")
        ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
        assert ref.returncode == ours.returncode == 1

        def lines(text, tool):
            return [line.removeprefix(f"{tool}: ") for line in text.splitlines() if line]

        assert lines(ours.stderr, "wasmmerge") == lines(ref.stderr, "wasm-ld")
