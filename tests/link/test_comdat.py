"""C++ COMDAT groups defined in several objects (fixtures/link/comdat: inline functions, a
template instance, a vtable and a static local in all three, one group in the last only).

wasm-ld 14 keeps the first object's copy of each group. With garbage collection the
later copies go; with --no-gc-sections and with -r they stay in the output, unreferenced
(their symbols resolve to the first copy), and -r and --emit-relocs list them in their
groups. The module, its -Map and the -r object must be wasm-ld's byte for byte.
"""

import shutil
import subprocess

import pytest
import wasmtime

from wasmmerge.binary import leb
from wasmmerge.binary.reader import iter_sections

from .harness import call_exports, compile_sources, driver_link_args, run_wasm_ld, run_wasmmerge_link

SOURCES = ["comdat/first.cc", "comdat/second.cc", "comdat/third.cc"]
CFLAGS = ["-O0", "-fno-exceptions", "-fno-rtti"]  # (-O0: nothing inlined, every copy stays a function)
MODULE = ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=run"]

# name: driver flags for a module
LINKS = {
    "gc": [],
    "no-gc": ["-Wl,--no-gc-sections"],
    "no-gc-export-all": ["-Wl,--no-gc-sections", "-Wl,--export-all"],
    "emit-relocs": ["-Wl,--emit-relocs"],
    "no-gc-emit-relocs": ["-Wl,--no-gc-sections", "-Wl,--emit-relocs"],
    "no-gc-O1": ["-Wl,--no-gc-sections", "-Wl,-O1"],
}


def _objects(tmp_path, debug):
    return compile_sources(SOURCES, tmp_path, [*CFLAGS, *(["-g"] if debug else [])])


def _link_both_with_maps(args, tmp_path):
    """(ref, ours, ref's map text, our map text): each linker with -Map of its own."""
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    ref_map, our_map = tmp_path / "ref.map", tmp_path / "ours.map"
    done = run_wasm_ld([*args, f"-Map={ref_map}"], ref)
    assert done.returncode == 0, f"wasm-ld failed: {done.stderr}"
    done = run_wasmmerge_link([*args, f"-Map={our_map}"], ours)
    assert done.returncode == 0, f"wasmmerge link failed: {done.stderr}"
    return ref, ours, ref_map.read_text(), our_map.read_text()


def _losing_copy_listed(map_text, objects) -> bool:
    """The second object's copy of `bump` (it lost to the first's) is in the map."""
    return f"{objects[1]}:(_Z4bumpi)" in map_text


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("name", sorted(LINKS))
def test_module_and_map_are_wasm_ld_s(name, debug, tmp_path):
    objects = _objects(tmp_path, debug)
    args = driver_link_args(objects, [*MODULE, *LINKS[name]])
    ref, ours, ref_map, our_map = _link_both_with_maps(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert our_map == ref_map
    # the case under test is there: wasm-ld keeps the losing copies exactly without gc
    assert _losing_copy_listed(ref_map, objects) == ("no-gc" in name)
    calls = [("run", (n,)) for n in (0, 4, 19)]
    assert call_exports(ours, calls) == call_exports(ref, calls)


@pytest.mark.parametrize("flags", [[], ["-O1"], ["-g"]], ids=["plain", "O1", "debug"])
def test_relocatable_is_wasm_ld_s(flags, tmp_path):
    objects = _objects(tmp_path, "-g" in flags)
    args = ["-r", *[f for f in flags if f != "-g"], *map(str, objects), "-o", "x"]
    ref, ours, ref_map, our_map = _link_both_with_maps(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert our_map == ref_map
    assert _losing_copy_listed(ref_map, objects)


@pytest.mark.parametrize("gc", [False, True], ids=["no-gc", "gc"])
def test_relocatable_output_linked_again(gc, tmp_path):
    """An object whose groups have three members each (what -r makes of the three
    objects) keeps them all when linked without gc, and the first with gc, as wasm-ld
    does. The copies that lost have no symbol there: the map shows them as `comdat.o:()`.
    (--strip-all: wasm-ld 14's name section for this object counts names for those
    copies that it does not write, so it is left out; we write a well-formed one.)"""
    objects = _objects(tmp_path, False)
    combined = tmp_path / "combined.o"
    assert run_wasm_ld(["-r", *map(str, objects), "-o", "x"], combined).returncode == 0
    flags = [] if gc else ["-Wl,--no-gc-sections"]
    args = driver_link_args([combined], [*MODULE, "-Wl,--strip-all", *flags])
    ref, ours, ref_map, our_map = _link_both_with_maps(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert our_map == ref_map
    assert (f"{combined}:()" in ref_map) == (not gc)
    calls = [("run", (n,)) for n in (0, 4)]
    assert call_exports(ours, calls) == call_exports(ref, calls)


def test_print_gc_sections_names_the_losing_copies(tmp_path):
    objects = _objects(tmp_path, False)
    args = driver_link_args(objects, [*MODULE, "-Wl,--print-gc-sections"])
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    assert f"removing unused section {objects[1]}:(_Z4bumpi)" in ref.stdout


LOCAL_SOURCES = ["comdat/local_a.ll", "comdat/local_b.ll"]
LOCAL_EXPORTS = ["--no-entry", "--export=use_a", "--export=use_b"]
# name: wasm-ld arguments before the objects
LOCAL_LINKS = {
    "gc": LOCAL_EXPORTS,
    "no-gc": ["--no-gc-sections", *LOCAL_EXPORTS],
    "emit-relocs": ["--emit-relocs", *LOCAL_EXPORTS],
    "relocatable": ["-r"],
}


@pytest.mark.parametrize("name", sorted(LOCAL_LINKS))
def test_local_symbol_keeps_a_losing_copy(name, tmp_path):
    """A local symbol in a copy that lost still names that copy: wasm-ld 14 keeps the
    copy when the symbol is reached, with gc too (use_b -> table_b -> b's helper), and
    the table slot holds it."""
    objects = compile_sources(LOCAL_SOURCES, tmp_path, ["-O0", "-Wno-override-module"])
    args = [*LOCAL_LINKS[name], *map(str, objects), "-o", "x"]
    ref, ours, ref_map, our_map = _link_both_with_maps(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert our_map == ref_map
    assert f"{objects[1]}:(helper)" in ref_map
    if name != "relocatable":
        calls = [("use_a", ()), ("use_b", ())]  # (b's call to `pick` runs a's: 2 + 1)
        assert call_exports(ours, calls) == call_exports(ref, calls) == [2, 3]


def _function_names(path):
    """(the module without its name section, the function-name map's count, its entries)."""
    data = path.read_bytes()
    info = next(i for i in iter_sections(data) if i.name == "name")
    pos = info.start + 1 + len("name")
    while data[pos] != 1:  # the function names' subsection
        size, pos = leb.read_u32(data, pos + 1)
        pos += size
    size, pos = leb.read_u32(data, pos + 1)
    end = pos + size
    count, pos = leb.read_u32(data, pos)
    entries = 0
    while pos < end:
        _, pos = leb.read_u32(data, pos)
        length, pos = leb.read_u32(data, pos)
        pos += length
        entries += 1
    return data[:info.offset] + data[info.start + info.size:], count, entries


def test_relocatable_output_made_relocatable_again(tmp_path):
    """-r of what -r made of the three objects keeps every copy again, the copies that
    lost without a symbol. wasm-ld 14's name section there counts names for them that it
    does not write (a malformed section: wasm-objdump and `llvm-dwarfdump --verify` stop
    at it); ours counts the names it writes. All else is wasm-ld's byte for byte."""
    objects = _objects(tmp_path, True)
    combined = tmp_path / "combined.o"
    assert run_wasm_ld(["-r", *map(str, objects), "-o", "x"], combined).returncode == 0
    ref, ours, ref_map, our_map = _link_both_with_maps(["-r", str(combined), "-o", "x"], tmp_path)
    assert our_map == ref_map
    ref_rest, ref_count, ref_entries = _function_names(ref)
    our_rest, our_count, our_entries = _function_names(ours)
    assert our_rest == ref_rest
    assert our_entries == ref_entries == our_count < ref_count  # wasm-ld 14's count is the bug


@pytest.mark.parametrize("debug", [["-g"], ["-gdwarf-5"]], ids=["dwarf4", "dwarf5"])
@pytest.mark.parametrize("link", [["-Wl,--no-entry", "-Wl,--export=run"], ["-Wl,--no-entry", "-Wl,--export=run",
                                                                           "-Wl,--no-gc-sections"],
                                  ["-Wl,--no-entry", "-Wl,--export=run", "-Wl,--emit-relocs"], ["-r"]],
                         ids=["gc", "no-gc", "emit-relocs", "relocatable"])
def test_type_units_are_comdat_sections(debug, link, tmp_path):
    """-fdebug-types-section gives each class its own type unit: a .debug_info section in
    a COMDAT group named by the type's signature (Counter, in all three objects). wasm-ld
    14 keeps the first object's and leaves the other copies out (the sections and their
    relocations), with or without gc, in -r too; the output is its byte for byte."""
    objects = compile_sources(SOURCES, tmp_path, [*CFLAGS, *debug, "-fdebug-types-section"])
    if link == ["-r"]:
        args = ["-r", *map(str, objects), "-o", "x"]
    else:
        args = driver_link_args(objects, ["-nostdlib", *link])
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    assert run_wasm_ld(args, ref).returncode == 0
    done = run_wasmmerge_link(args, ours)
    assert done.returncode == 0, done.stderr
    assert ours.read_bytes() == ref.read_bytes()
    # one unit of Counter's left (DWARF 4: in .debug_types). (LLVM 14's reader refuses the
    # --emit-relocs module, wasm-ld's as well: "invalid data symbol index".)
    if shutil.which("llvm-dwarfdump") is not None and "-Wl,--emit-relocs" not in link:
        units = subprocess.run(["llvm-dwarfdump", "--debug-info", "--debug-types", str(ours)], capture_output=True,
                               text=True, check=True).stdout
        assert units.count("Type Unit:") == 1


def _group_object(symbols: list[bytes], calls_first: bool) -> bytes:
    """Two functions of type () -> (): function 0 (in COMDAT group `grp`), and function 1,
    which calls function 0 (a relocation) when `calls_first`, else returns."""
    from bytedsl import HEADER, name, section, u32, vec
    from .objdsl import entry
    call = u32(0) + b"\x10\x80\x80\x80\x80\x00\x0b"
    plain = u32(0) + b"\x0b"
    bodies = vec(u32(len(plain)) + plain, u32(len(call if calls_first else plain)) + (call if calls_first else plain))
    table = vec(*symbols)
    comdats = vec(name("grp") + u32(0) + vec(b"\x01" + u32(0)))
    linking = section(0, name("linking") + u32(2) + b"\x07" + u32(len(comdats)) + comdats
                      + b"\x08" + u32(len(table)) + table)
    relocs = section(0, name("reloc.CODE") + u32(3) + vec(entry(0, len(bodies) - len(call) + 2, 0))) if calls_first else b""
    return (HEADER + section(1, vec(b"\x60\x00\x00"))
            + section(2, vec(name("env") + name("__linear_memory") + b"\x02\x00\x00"))
            + section(3, vec(u32(0), u32(0))) + section(10, bodies) + linking + relocs)


def test_a_group_copy_defining_what_the_winner_does_not(tmp_path):
    """The losing copy of a group defines `lost`, which the winning copy does not (objects
    that disagree: found by fuzzing, where it crashed the writer). As in lld, `lost`
    becomes a reference of its own function's type: weak and defined nowhere, a call to it
    is an `unreachable` stub of that type."""
    from bytedsl import u32
    from .objdsl import sym_function
    from .harness import validate_output
    from .test_bad_inputs import _link
    weak = 0x1
    winner = _group_object([sym_function(0, "kept", weak), sym_function(1, "other")], calls_first=False)
    loser = _group_object([sym_function(0, "lost", weak), sym_function(1, "main")], calls_first=True)
    result, out = _link(tmp_path, {"winner.o": winner, "loser.o": loser}, "--export=other")
    assert result.exit_code == 0, result.output
    validate_output(out)
    assert call_exports(out, [("other", [])]) == [None]
    with pytest.raises(wasmtime.Trap, match="unreachable"):
        call_exports(out, [("main", [])])
    assert b"undefined_weak:lost" in out.read_bytes()  # (its name, in the name section)
