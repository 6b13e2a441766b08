"""Orders in the output that wasm-ld 14 fixes and a first-seen merge would not: the
`producers` fields (always language, processed-by, sdk; each tool once, by name, the
first version kept) and the exports (in symbol-table order, the entry point where its
symbol sits, the functions wasm-ld makes before reading any input first, the exports
reached through `.command_export` wrappers last); and which functions the output has,
in which order and slots (constructors only of live objects, trapping stubs only for
mismatched calls, made in symbol-table order, one table slot per function whatever
names it). Each case is linked by both linkers from the same command line and must be
byte-identical."""

import random
import subprocess

import pytest
from bytedsl import name, section, vec

from wasmmerge.binary import leb

from .harness import (call_exports, compile_sources, driver_link_args, link_both, make_archive, require_tools,
                      run_wasm_ld, run_wasmmerge_link)

CXX_FLAGS = ["-fno-exceptions", "-fno-rtti"]
CXX_PROGRAM = ["cxx/program.cc", "cxx/main.cc", "cxx/other.cc"]


def _objects(tmp_path, sources, flags=(), tag=""):
    out = tmp_path / f"objs{tag}"
    out.mkdir(exist_ok=True)
    return compile_sources(sources, out, flags)


def _same(args, tmp_path):
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    return ours


def _customs(data: bytes) -> dict[str, bytes]:
    """Custom section payloads of a module, by name."""
    out, pos = {}, 8
    while pos < len(data):
        size, start = leb.read_u32(data, pos + 1)
        if data[pos] == 0:
            length, at = leb.read_u32(data, start)
            out[data[at:at + length].decode()] = data[at + length:start + size]
        pos = start + size
    return out


def _with_producers(data: bytes, fields) -> bytes:
    """The object with its `producers` section replaced by one of `fields` (none: no section)."""
    out, pos = bytearray(data[:8]), 8
    while pos < len(data):
        size, start = leb.read_u32(data, pos + 1)
        if not (data[pos] == 0 and data[start:start + 10] == b"\x09producers"):
            out += data[pos:start + size]
        pos = start + size
    if fields is not None:
        out += section(0, name("producers") + vec(*[name(f) + vec(*[name(t) + name(v) for t, v in tools])
                                                   for f, tools in fields]))
    return bytes(out)


# --- producers ---------------------------------------------------------------------------

# (C++ objects compiled with -g carry `language`, without it only `processed-by`; libc's
# and crt1's are C99.) The first object of each link decides a first-seen order.
PRODUCERS_LINKS = {
    "processed-by-first": (["plain", "debug", "debug"], ["-nostartfiles", "-Wl,--no-entry", "-Wl,--export=main"]),
    "language-first": (["debug", "plain", "plain"], ["-nostartfiles", "-Wl,--no-entry", "-Wl,--export=main"]),
    "command": (["plain", "debug", "debug"], []),
    "command-all-debug": (["debug", "debug", "debug"], []),
}


@pytest.mark.parametrize("relocs", [[], ["-Wl,--emit-relocs"]], ids=["plain", "emit-relocs"])
@pytest.mark.parametrize("name", sorted(PRODUCERS_LINKS))
def test_cxx_with_libc_producers_are_wasm_ld_s(name, relocs, tmp_path):
    kinds, ldflags = PRODUCERS_LINKS[name]
    built = {"plain": _objects(tmp_path, CXX_PROGRAM, CXX_FLAGS, "plain"),
             "debug": _objects(tmp_path, CXX_PROGRAM, [*CXX_FLAGS, "-g"], "debug")}
    objects = [built[kind][k] for k, kind in enumerate(kinds)]
    ours = _same(driver_link_args(objects, [*ldflags, *relocs]), tmp_path)
    producers = _customs(ours.read_bytes())["producers"]
    assert producers.index(b"language") < producers.index(b"processed-by")  # what this test is about


# Hand-made sections on three freestanding objects: fields in every order, a tool named
# again with another version, a field with no tool.
FIELDS = [
    [("processed-by", [("clang", "1")])],
    [("language", [("C", "1")]), ("processed-by", [("clang", "2"), ("rustc", "3")]), ("sdk", [("x", "1")])],
    [("sdk", [("y", "1")]), ("language", [("C", "2"), ("C++", "")]), ("processed-by", [])],
]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 0, 2), (2, 0, 1)])
def test_producers_merge_as_wasm_ld(order, tmp_path):
    objects = _objects(tmp_path, ["freestanding/lib.c", "freestanding/data.c", "freestanding/pointers.c"])
    for obj, fields in zip(objects, FIELDS):
        obj.write_bytes(_with_producers(obj.read_bytes(), fields))
    ours = _same(["--no-entry", "--export-all", *(str(objects[k]) for k in order), "-o", "out.wasm"], tmp_path)
    assert b"C++" in _customs(ours.read_bytes())["producers"]


@pytest.mark.parametrize("fields", [None, [], [("sdk", [])]], ids=["no-section", "no-field", "empty-field"])
def test_no_tool_no_producers_section(fields, tmp_path):
    objects = _objects(tmp_path, ["freestanding/lib.c", "freestanding/data.c"])
    for obj in objects:
        obj.write_bytes(_with_producers(obj.read_bytes(), fields))
    ours = _same(["--no-entry", "--export=fib", *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert "producers" not in _customs(ours.read_bytes())


@pytest.mark.parametrize("fields,fragment", [
    ([("compiler", [("clang", "1")])], "field 'compiler' is not named one of language, processed-by, or sdk"),
    ([("sdk", [("x", "1")]), ("sdk", [("y", "1")])], "field 'sdk' repeated"),
    ([("processed-by", [("clang", "1"), ("clang", "2")])], "field 'processed-by' contains a repeated producer"),
])
def test_producers_wasm_ld_cannot_read_are_refused(fields, fragment, tmp_path):
    lib, data = _objects(tmp_path, ["freestanding/lib.c", "freestanding/data.c"])
    lib.write_bytes(_with_producers(lib.read_bytes(), fields))
    args = ["--no-entry", "--export=fib", str(lib), str(data), "-o", "out.wasm"]
    assert run_wasm_ld(args, tmp_path / "ref.wasm").returncode == 1
    done = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert done.returncode == 1 and not (tmp_path / "ours.wasm").exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{lib.name}:0x" in lines[0] and "producers section" in lines[0], lines
    assert fragment in lines[0]


# --- export order ------------------------------------------------------------------------

ORDER = ["order/first.c", "order/start.c", "order/ctor.c"]
DIRECT_LINKS = {  # wasm-ld's own command line (no driver), objects named by their index in ORDER
    "export-all": (["--export-all"], [0, 1, 2]),
    "export-all-entry-first": (["--export-all"], [2, 1, 0]),
    "export-all-other-entry": (["--export-all", "-e", "baz"], [0, 1, 2]),
    "export-all-entry-before-start": (["--export-all", "-e", "foo"], [0, 1]),
    "export-all-no-entry": (["--export-all", "--no-entry"], [0, 2]),
    "export-before-entry": (["--export=foo"], [0, 1]),
    "export-ctors": (["--export=foo", "--export=__wasm_call_ctors"], [1, 0]),
    "export-dynamic": (["--export-dynamic"], [0, 1, 2]),
}


@pytest.mark.parametrize("name", sorted(DIRECT_LINKS))
def test_exports_in_symbol_table_order(name, tmp_path):
    flags, picks = DIRECT_LINKS[name]
    objects = _objects(tmp_path, ORDER)
    _same([*flags, *(str(objects[k]) for k in picks), "-o", "out.wasm"], tmp_path)


DRIVER_LINKS = {  # name: (sources, compiler flags, driver flags)
    "c-libc": (["calls/main.c", "calls/util.c"], [], ["-Wl,--export-all"]),
    "c-libc-no-gc": (["calls/main.c", "calls/util.c"], [], ["-Wl,--export-all", "-Wl,--no-gc-sections"]),
    "c-ctors": (["ctors/main.c", "ctors/other.c"], [], ["-Wl,--export-all"]),
    "c-reactor": (["calls/util.c"], [], ["-mexec-model=reactor", "-Wl,--export-all"]),
    "cxx-libc": ([*CXX_PROGRAM, "cxx/globals.cc"], CXX_FLAGS, ["-Wl,--export-all"]),
    "cxx-libc-emit-relocs": (CXX_PROGRAM, [*CXX_FLAGS, "-g"], ["-Wl,--export-all", "-Wl,--emit-relocs"]),
    "cxx-libc-export-dynamic": ([*CXX_PROGRAM, "cxx/globals.cc"], CXX_FLAGS, ["-Wl,--export-dynamic"]),
    # --export-table: the table's export where its symbol sits (an object's legacy
    # reference puts it after that object's symbols; with none, wasm-ld makes it last).
    # No start file: nothing calls the constructors, so libc's __wasm_call_dtors is
    # referenced (its member extracted, with what it needs), --export-all or not.
    "export-all-no-start-files": (["calls/main.c", "calls/util.c"], [],
                                  ["-nostartfiles", "-Wl,--no-entry", "-Wl,--export-all"]),
    "export-table": (["freestanding/data.c", "freestanding/lib.c", "freestanding/pointers.c"], [],
                     ["-nostdlib", "-Wl,--no-entry", "-Wl,--export-table", "-Wl,--export-all"]),
    "export-table-named": (["freestanding/data.c", "freestanding/lib.c", "freestanding/pointers.c"], [],
                           ["-nostdlib", "-Wl,--no-entry", "-Wl,--export-table", "-Wl,--export=apply"]),
    "export-table-unreferenced": (["calls/util.c"], [], ["-mexec-model=reactor", "-Wl,--export-table",
                                                         "-Wl,--export-all"]),
    "export-table-dynamic": (["calls/main.c", "calls/util.c"], [], ["-Wl,--export-table", "-Wl,--export-dynamic"]),
}


@pytest.mark.parametrize("name", sorted(DRIVER_LINKS))
def test_export_all_through_the_driver(name, tmp_path):
    sources, cflags, ldflags = DRIVER_LINKS[name]
    objects = _objects(tmp_path, sources, cflags)
    _same(driver_link_args(objects, ldflags), tmp_path)


def test_wrapped_exports_come_after_the_others(tmp_path):
    # A command without constructors calls, with libc's __wasm_call_dtors at hand: every
    # exported function goes through a `.command_export` wrapper, whose symbol wasm-ld
    # makes last, so the data exports come first.
    objects = _objects(tmp_path, ["order/visible.c"])
    ours = _same(driver_link_args(objects, ["-nostartfiles", "-Wl,--no-entry", "-Wl,--export-dynamic"]), tmp_path)
    assert b"first_function.command_export" in _customs(ours.read_bytes())["name"]


# --- which functions, in which order ---------------------------------------------------

def test_constructors_of_an_archive_member_nothing_live_uses_are_left_out(tmp_path):
    # dead.c's dead code pulls ctor.o out of the archive; with nothing of ctor.o live its
    # constructor is not called (an object named on the command line keeps its own).
    start, dead, ctor = _objects(tmp_path, ["order/start.c", "order/dead.c", "order/ctor.c"])
    archive = make_archive(tmp_path / "libctor.a", [ctor])
    ours = _same([str(start), str(dead), str(archive), "-o", "out.wasm"], tmp_path)
    assert b"init" not in _customs(ours.read_bytes())["name"]
    ours = _same([str(start), str(dead), str(ctor), "-o", "out.wasm"], tmp_path)
    assert b"init" in _customs(ours.read_bytes())["name"]
    _same([str(start), str(dead), "--whole-archive", str(archive), "-o", "out.wasm"], tmp_path)
    _same(["--export=never_called", str(start), str(dead), str(archive), "-o", "out.wasm"], tmp_path)


def test_a_function_only_address_taken_under_another_prototype_is_no_mismatch(tmp_path):
    objects = _objects(tmp_path, ["order/address_only.c", "order/aliases.c"])
    args = ["--no-entry", "--export=address_taken", "--export=same_slot", *map(str, objects), "-o", "out.wasm"]
    _same(args, tmp_path)
    done = run_wasmmerge_link(args, tmp_path / "again.wasm")
    assert done.returncode == 0 and "signature mismatch" not in done.stderr, done.stderr


@pytest.mark.parametrize("flags", [["--export=same_slot"], ["--export-all"]], ids=["export", "export-all"])
def test_aliases_of_one_function_share_its_table_slot(flags, tmp_path):
    objects = _objects(tmp_path, ["order/aliases.c"])
    ours = _same(["--no-entry", *flags, *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert call_exports(ours, [("same_slot", ())]) == [1]


@pytest.mark.parametrize("flags", [["--export-all"], ["--export=call_second", "--export=call_first"]],
                         ids=["export-all", "export"])
def test_weak_stubs_in_symbol_table_order(flags, tmp_path):
    objects = _objects(tmp_path, ["order/weak_calls.c"])
    ours = _same(["--no-entry", *flags, *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert call_exports(ours, [("call_first", (1,)), ("call_second", (1,))]) == [-1, -2]


@pytest.mark.parametrize("flags", [[], ["-Wl,--no-gc-sections"]])
def test_indirect_call_types_in_the_order_live_code_names_them(flags, tmp_path):
    """The types `call_indirect` names (virtual calls here) come first, in the order live
    code names them: taken from an object's relocation section at once when every one of
    its functions is kept (--no-gc-sections), from each live function otherwise."""
    objects = _objects(tmp_path, CXX_PROGRAM, CXX_FLAGS)
    _same(driver_link_args(objects, [*CXX_FLAGS, *flags]), tmp_path)


@pytest.mark.parametrize("flags", [["--allow-undefined"], ["--unresolved-symbols=ignore-all"]],
                         ids=["import", "ignore-all"])
def test_stubs_of_every_kind_in_wasm_ld_s_order(flags, tmp_path):
    """A call with a mismatched signature, a weak function nobody defines and (with
    ignore-all) one nobody defines at all: wasm-ld makes the mismatch's stub first, then
    the weak one's, then `undefined_stub`."""
    objects = _objects(tmp_path, ["order/stub_kinds.c", "mismatch/impl.c"], ["-w"])
    ours = _same(["--no-entry", "--export=use_all", "--export=compute_ok", *flags, *map(str, objects),
                  "-o", "out.wasm"], tmp_path)
    if "--allow-undefined" not in flags:  # (with it, `missing` is an import to provide)
        assert call_exports(ours, [("compute_ok", (2, 3))]) == [7]


@pytest.mark.parametrize("gc", [[], ["--no-gc-sections"]], ids=["gc", "no-gc"])
def test_a_weak_function_whose_address_alone_is_taken_gets_no_stub(gc, tmp_path):
    """wasm-ld's gc does not follow a table slot to a weak function nobody defines: only
    a call keeps its stub (ours kept one for the address too)."""
    objects = _objects(tmp_path, ["order/weak_address.c"])
    ours = _same(["--no-entry", *gc, *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert call_exports(ours, [("pointers", ()), ("call", ())]) == [3, -1]


def test_ignored_functions_whose_address_is_taken_first_keep_a_slot(tmp_path):
    """Under --unresolved-symbols=ignore-all, a missing function whose first relocation in
    wasm-ld's scan takes its address gets a table slot holding the stub (a pointer to it
    is not null); one first called has the address 0 (found linking sqlite, whose table
    of system calls names libc functions: wasm-ld's table had 14 slots more)."""
    objects = _objects(tmp_path, ["order/ignored_addresses.c"])
    ours = _same(["--no-entry", "--export=use", "--export=non_null", "--unresolved-symbols=ignore-all",
                  *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert call_exports(ours, [("non_null", ())]) == [0b1101]


def _names_of_every_length(count: int) -> list[str]:
    """Distinct C identifiers of 1 to `count` characters and a few longer ones (every
    branch of LLVM's string hash), in a shuffled but fixed order."""
    pick = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz_0123456789"
    names = []
    for length in [*range(1, count + 1), 100, 127, 128, 129, 200]:
        while True:
            candidate = pick.choice(alphabet[:26]) + "".join(pick.choice(alphabet) for _ in range(length - 1))
            if candidate not in names and candidate not in ("do", "if", "int", "for", "asm", "auto", "case"):
                break
        names.append(candidate)
    pick.shuffle(names)
    return names


def test_many_mismatched_calls_stub_in_wasm_ld_s_order(tmp_path):
    """wasm-ld makes the stubs of calls with a mismatched signature, and warns of them,
    in the order of the LLVM hash table it keeps their names in (densemap.py): with 85
    names of every length (the table grows past its first 64 buckets), the same order,
    so the same bytes."""
    require_tools()
    names = _names_of_every_length(80)
    (tmp_path / "calls.c").write_text("".join(f"int {n}(int);\n" for n in names)
                                      + "int use_many(int x) { return 0" + "".join(f" + {n}(x)" for n in names)
                                      + "; }\n")
    (tmp_path / "defs.c").write_text("".join(f"int {n}(int a, int b) {{ return a + b + {k}; }}\n"
                                             for k, n in enumerate(names)))
    objects = []
    for source in ("calls.c", "defs.c"):
        subprocess.run(["clang", "--target=wasm32-wasi", "-O1", "-w", "-c", str(tmp_path / source),
                        "-o", str(tmp_path / (source[:-2] + ".o"))], check=True)
        objects.append(str(tmp_path / (source[:-2] + ".o")))
    args = ["--no-entry", "--export=use_many", *objects, "-o", "out.wasm"]
    _same(args, tmp_path)
    ref = run_wasm_ld(args, tmp_path / "ref-again.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours-again.wasm")
    warned = [[line.split("mismatch: ")[1] for line in done.stderr.splitlines() if "signature mismatch" in line]
              for done in (ref, ours)]
    assert len(warned[0]) == len(names) and warned[0] == warned[1]
    # each warning of several lines separated from the next by a blank line, as lld does
    assert ours.stderr.replace("wasmmerge: ", "wasm-ld: ") == ref.stderr


@pytest.mark.parametrize("sources", [["order/custom_sections.s"], ["order/custom_sections.s",
                                                                  "order/custom_sections_more.s"]],
                         ids=["twelve", "twenty"])
def test_many_custom_sections_in_string_map_order(sources, tmp_path):
    """Custom sections come in the order of wasm-ld's llvm::StringMap of them: twelve names
    still fit its first 16 buckets, twenty grew it, the names re-inserted in bucket order."""
    objects = _objects(tmp_path, sources)
    ref, ours = link_both(["--no-entry", "--export=answer", *map(str, objects), "-o", "x"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("flags", [[], ["--no-gc-sections"], ["--export-all"]], ids=["gc", "no-gc", "export-all"])
def test_only_global_no_strip_symbols_are_roots(flags, tmp_path):
    """`__attribute__((used))` keeps a global function and array (NO_STRIP roots them), not
    a local one nothing refers to: wasm-ld 14 roots the no-strip symbols of its symbol
    table, which holds no local symbol."""
    objects = _objects(tmp_path, ["order/used_locals.c"])
    ref, ours = link_both(["--no-entry", "--export=answer", *flags, *map(str, objects), "-o", "x"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert call_exports(ours, [("answer", ())]) == [42]
    assert (b"kept_fn" in ours.read_bytes()) == (flags == ["--no-gc-sections"])  # (the name section's)
