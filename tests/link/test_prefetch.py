"""Reading objects ahead in a second process (prefetch.py) and patching code in several:
the relocations handed over are exactly those read here, whichever process reads which
object the output and the errors are the same."""

import os
import zlib
from array import array

import pytest
from bytedsl import name as encoded_name, section, u32
from click.testing import CliRunner

from wasmmerge.cli import cli
from wasmmerge.linker.chunk_relocs import RelocColumns, packed_relocations
from wasmmerge.linker.objects import read_object, relocations_alone
from wasmmerge.linker.prefetch import Prefetch

from .harness import compile_sources, driver_link_args, link_both, make_archive, run_wasmmerge_link
from .objdsl import CALL_SITE, CODE_SECTION_INDEX, entry, linking, obj, reloc_code, sym_function
from .test_relocation_types import _object

CALLEE = sym_function(0, None, flags=0x10)


def _relocations(o):
    """Each chunk's relocations as (type, file offset, index, addend) tuples."""
    runs = []
    for chunk in (*o.functions, *o.datas, *o.customs):
        columns, lo, hi = chunk.reloc_span()
        runs.append([] if lo == hi else list(zip(columns.kinds[lo:hi], columns.offsets[lo:hi],
                                                 columns.indices[lo:hi], columns.addends[lo:hi])))
    return runs


def test_packed_relocations_attach_as_read():
    # Every relocation type, in code, data and a debug section.
    data = _object()
    read = read_object("every.o", data)
    again = read_object("every.o", data, packed_relocations(read))
    assert _relocations(again) == _relocations(read) and again.names_got == read.names_got
    assert again.code_types == read.code_types and read.code_types  # the types call_indirect names
    assert _relocations(read)[0] and _relocations(read)[-1]  # the code's and the debug section's


def test_relocations_alone_are_those_of_the_whole_object(tmp_path):
    # What the read-ahead process sends, read without the rest of the object: the same
    # records, for every relocation type and for a C program built with debug info
    # (code, data and several debug sections, each with its relocations).
    objects = [_object(), *(path.read_bytes() for path in compile_sources(["calls/main.c"], tmp_path, ["-g"]))]
    for data in objects:
        assert relocations_alone("x.o", data) == packed_relocations(read_object("x.o", data))
    debug = read_object("x.o", objects[-1])
    assert sum(chunk.relocs is not None for chunk in debug.customs) >= 3 and debug.data_relocs is not None


def test_packing_keeps_64_bit_addends():
    narrow, wide = RelocColumns.unpack(RelocColumns(b"\x03", array("I", [10]), array("I", [1]), array("i", [-5])).pack()), \
        RelocColumns.unpack(RelocColumns(b"\x10", array("I", [20]), array("I", [1]), array("q", [1 << 40])).pack())
    assert narrow.addends.typecode == "i" and list(narrow.addends) == [-5] and list(narrow.offsets) == [10]
    assert wide.addends.typecode == "q" and list(wide.addends) == [1 << 40] and wide.kinds == b"\x10"


def test_prefetched_records_are_the_objects_relocations():
    objects = [(f"o{k}.o", _object()) for k in range(4)]
    prefetch = Prefetch([(name, data, None, len(data)) for name, data in objects])
    os.waitpid(prefetch.pid, 0)  # let the child read them all
    try:
        for k, (name, data) in enumerate(objects):
            handed = prefetch.published(k)
            assert handed is not None
            read = read_object(name, data)
            assert _relocations(read_object(name, data, handed)) == _relocations(read)
    finally:
        prefetch.close()


GOOD = obj(linking(CALLEE, sym_function(1, "main")), reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
BAD = obj(linking(CALLEE, sym_function(1, "other")), reloc_code(entry(0, CALL_SITE, 7)), imported_funcs=["callee"])


def _only_bad_o_reported(inputs, threads, tmp_path):
    """Link (name, bytes) inputs: one error, bad.o's relocation naming symbol 7, no output."""
    paths = []
    for name, data in inputs:
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--allow-undefined", threads, *paths, "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.o" in lines[0] and "names symbol 7" in lines[0], lines
    assert not out.exists()


@pytest.mark.parametrize("threads", ["--threads=1", "--threads=2"])
def test_a_bad_object_read_ahead_is_reported_as_without(threads, tmp_path):
    # The child meets the bad (last) object first; the error is still this process's,
    # found when it reaches the object, and a good object before it changes nothing.
    _only_bad_o_reported([("a.o", GOOD), ("b.o", GOOD), ("bad.o", BAD)], threads, tmp_path)


# An object whose symbol table's subsection says 50 bytes and holds one: a DecodeError
# met while its symbols are read.
BROKEN_LINKING = obj(section(0, encoded_name("linking") + u32(2) + b"\x08" + u32(50) + b"\x01"))


@pytest.mark.parametrize("threads", ["--threads=1", "--threads=2"])
@pytest.mark.parametrize("later", ["unknown-file", "duplicate", "malformed-linking"])
def test_bad_relocations_come_before_a_later_inputs_error(threads, later, tmp_path):
    # Read ahead, objects' symbols are entered before their relocations are read: an
    # error of a later input must still not hide an earlier object's bad relocations.
    after = {"unknown-file": b"not an object", "duplicate": GOOD,  # (`main` defined twice)
             "malformed-linking": BROKEN_LINKING}[later]
    _only_bad_o_reported([("a.o", GOOD), ("bad.o", BAD), ("after.o", after)], threads, tmp_path)


def test_columns_are_as_narrow_as_their_values():
    from wasmmerge.linker.chunk_relocs import _machine
    assert _machine([0, 65535], "H", "I").typecode == "H"
    assert _machine([0, 65536], "H", "I").typecode == "I"
    assert _machine([-32768, 32767], "h", "i", "q").typecode == "h"
    assert _machine([-40000], "h", "i", "q").typecode == "i"
    assert _machine([1 << 40], "h", "i", "q").typecode == "q"
    read = read_object("every.o", _object())
    assert read.code_relocs.offsets.typecode == "H" and read.code_relocs.indices.typecode == "H"
    read.code_relocs.widen_indices()
    assert read.code_relocs.indices.typecode == "I"


@pytest.mark.parametrize("threads", ["--threads=2", "--threads=3"])
def test_debug_info_patched_by_several_processes_is_wasm_ld_s(threads, tmp_path):
    # Code bodies and debug-section chunks are shared out between processes as one list
    # of jobs (patching.Patcher._code); small links take one process unless told.
    objects = compile_sources(["calls/main.c", "calls/util.c", "cxx/globals.cc"], tmp_path, ["-g"])
    args = driver_link_args(objects, ["-Wl,--no-entry", "-Wl,--export-all", "-nostartfiles"])
    ref, ours = link_both(args, tmp_path)
    shared = tmp_path / "shared.wasm"
    done = run_wasmmerge_link([threads, *args], shared)
    assert done.returncode == 0, done.stderr
    assert shared.read_bytes() == ours.read_bytes() == ref.read_bytes()


class _Publishing:
    """A stand-in for Prefetch without a second process: the records of the units (objects,
    or parts of large ones) `published_ones(k)` chooses, read here, as if the other
    process had published them (and had stopped, or were still reading, before the rest)."""

    def __init__(self, units, published_ones):
        self.units = units
        self.records = {}
        for k, (name, data, part, _) in enumerate(units):
            if published_ones(k):
                try:
                    self.records[k] = relocations_alone(name, data, part)
                except Exception:  # as the child: a malformed object is left to the linker
                    pass
        self.limits = []

    def published(self, k):
        return self.records.get(k)

    def reading(self, k):
        return False  # (not reading anything: what is not published never will be)

    def limit(self, k):
        self.limits.append(k)

    def close(self):
        pass


def _reading_ahead_as(monkeypatch, published_ones):
    made = []

    def make(objects):
        made.append(_Publishing(objects, published_ones))
        return made[-1]
    monkeypatch.setattr("wasmmerge.linker.prefetch.Prefetch", make)
    return made


@pytest.mark.parametrize("published", ["none", "all", "odd", "first-two", "last-only"])
def test_marking_takes_relocations_in_any_order_to_the_same_module(published, monkeypatch, tmp_path):
    # Marking takes each object's relocations when it needs them: the first object's if
    # published, else this process reads the last one nobody has read. Whatever the other
    # process has published when, the module is the one a single process links.
    chosen = {"none": lambda k: False, "all": lambda k: True, "odd": lambda k: k % 2 == 1,
              "first-two": lambda k: k < 2, "last-only": lambda k: k == 2}[published]
    objects = compile_sources(["calls/main.c", "calls/util.c", "cxx/globals.cc"], tmp_path, ["-g"])
    args = ["--no-entry", "--export-all", "--allow-undefined", *map(str, objects)]
    alone = tmp_path / "alone.wasm"
    assert run_wasmmerge_link(["--threads=1", *args, "-o", "x"], alone).returncode == 0
    made = _reading_ahead_as(monkeypatch, chosen)
    shared = tmp_path / "shared.wasm"
    result = CliRunner().invoke(cli, ["link", "--threads=2", *args, "-o", str(shared)])
    assert result.exit_code == 0, result.output
    assert made and shared.read_bytes() == alone.read_bytes()
    # This process read from the last object down, lowering the other's limit each time.
    assert made[0].limits == sorted(made[0].limits, reverse=True)
    if published == "all":
        assert made[0].limits == []
    if published == "none":
        assert made[0].limits == [2, 1, 0]


GOOD_TOO = obj(linking(CALLEE, sym_function(1, "third")), reloc_code(entry(0, CALL_SITE, 0)),
               imported_funcs=["callee"])
BAD_LATER = obj(linking(CALLEE, sym_function(1, "fourth")), reloc_code(entry(0, CALL_SITE, 9)),
                imported_funcs=["callee"])


@pytest.mark.parametrize("published", ["none", "last"])
def test_a_bad_object_read_from_the_end_waits_for_an_earlier_error(published, monkeypatch, tmp_path):
    # Nothing published: this process reads the last object first, and finds it bad; the
    # error reported is still the earlier bad object's, as when each is read in turn.
    _reading_ahead_as(monkeypatch, (lambda k: False) if published == "none" else (lambda k: k == 3))
    _only_bad_o_reported([("a.o", GOOD), ("bad.o", BAD), ("c.o", GOOD_TOO), ("worse.o", BAD_LATER)],
                         "--threads=2", tmp_path)


# Links whose relocations a second process reads ahead (--threads=2), each a path that
# takes them other than in marking: a mismatched call (its check takes them all first),
# --wrap and -r (which rewrite them), --emit-relocs, weak stubs, constructors, archive
# members (read whole, beside objects read ahead), --no-gc-sections, and undefined
# symbols reported from what marking reached. The output is wasm-ld's, byte for byte.
READ_AHEAD = {
    "mismatch": (["mismatch/main.c", "mismatch/impl.c"], ["-w"], []),
    "weak": (["weak/main.c", "weak/strong.c"], [], []),
    "ctors-no-gc": (["ctors/main.c", "ctors/other.c"], [], ["-Wl,--no-gc-sections"]),
    "wrap": (["wrap/main.c", "wrap/lib.c", "wrap/wrapper.c"], [],
             ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=run", "-Wl,--wrap=compute"]),
    "relocatable": (["calls/main.c", "calls/util.c"], ["-g"], ["-Wl,-r"]),
    "emit-relocs": (["calls/main.c", "calls/util.c"], ["-g"], ["-Wl,--emit-relocs"]),
    "tls": (["tls/main.c", "tls/other.c"], ["-ftls-model=local-exec"], []),
    "tls-shared-memory": (["tls/freestanding.c"], ["-matomics", "-mbulk-memory", "-ftls-model=local-exec"],
                          ["-nostdlib", "-Wl,--shared-memory", "-Wl,--max-memory=1048576", "-Wl,--no-entry",
                           "-Wl,--export=bump"]),
    "tags": (["tags/thrower.s", "tags/catcher.s"], ["-mexception-handling"],
             ["-nostdlib", "-Wl,--no-entry", "-Wl,--export-all"]),
    "undefined": (["undefined/calls_g.c", "undefined/data.c", "undefined/host.c"], [],
                  ["-nostdlib", "-Wl,--no-entry", "-Wl,--export-all", "-Wl,--allow-undefined"]),
}


@pytest.mark.parametrize("name", sorted(READ_AHEAD))
def test_links_read_ahead_are_wasm_ld_s(name, tmp_path):
    sources, cflags, ldflags = READ_AHEAD[name]
    objects = compile_sources(sources, tmp_path, cflags)
    args = driver_link_args(objects, [*ldflags, "-Wl,--threads=2"])
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_archive_members_beside_objects_read_ahead(tmp_path):
    main, used, helper, unused = compile_sources(
        ["archive/main.c", "archive/used.c", "archive/helper.c", "archive/unused.c"], tmp_path)
    make_archive(tmp_path / "libparts.a", [unused, used, helper])
    extra, = compile_sources(["calls/util.c"], tmp_path)
    args = driver_link_args([main, extra], [f"-L{tmp_path}", "-lparts", "-Wl,--threads=2"])
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()


def test_undefined_symbols_reported_alike_read_ahead(tmp_path):
    # Marking finds the undefined symbols live code uses, taking relocations as it goes:
    # the report (which symbols, in which order, referenced by which objects) is the one
    # a single process makes.
    objects = compile_sources(["undefined/calls_g.c", "undefined/data.c", "undefined/host.c", "calls/main.c"],
                              tmp_path)
    args = ["--no-entry", "--export-all", *map(str, objects), "-o", "x"]
    alone, shared = (run_wasmmerge_link([threads, *args], tmp_path / f"{threads}.wasm")
                     for threads in ("--threads=1", "--threads=2"))
    assert alone.returncode == shared.returncode == 1
    assert alone.stderr == shared.stderr and alone.stderr.count("undefined symbol") >= 3


# A reloc.CODE section that says it has two entries and holds one: a DecodeError, not a
# LinkError, found by whichever process reads the object.
TRUNCATED = obj(linking(CALLEE, sym_function(1, "fifth")),
                section(0, encoded_name("reloc.CODE") + u32(CODE_SECTION_INDEX) + u32(2) + entry(0, CALL_SITE, 0)),
                imported_funcs=["callee"])


@pytest.mark.parametrize("threads", ["--threads=1", "--threads=2"])
def test_a_malformed_later_object_waits_for_an_earlier_error(threads, monkeypatch, tmp_path):
    if threads == "--threads=2":
        _reading_ahead_as(monkeypatch, lambda k: False)  # this process reads the last object first
    _only_bad_o_reported([("a.o", GOOD), ("bad.o", BAD), ("c.o", GOOD_TOO), ("worse.o", TRUNCATED)], threads,
                         tmp_path)


def test_a_half_written_entry_is_read_here():
    # The other process writes an object's record, its length and CRC, then its offset;
    # seen between those stores (or with stores seen out of order), an entry that does not
    # check is no record: the object is read here. (Campaign of damaged objects, 9,000
    # links on two processes: once, an offset seen before its length made a record of
    # no bytes, whose CRC is 0, and unmarshalling it raised EOFError.)
    from wasmmerge.linker.prefetch import _CHECK
    objects = [(f"o{k}.o", _object()) for k in range(2)]
    prefetch = Prefetch([(name, data, None, len(data)) for name, data in objects])
    os.waitpid(prefetch.pid, 0)
    try:
        assert prefetch.published(0) is not None and prefetch.published(1) is not None
        _CHECK.pack_into(prefetch.shared, prefetch.table_at, 0, 0)  # offset, no length, CRC 0
        assert prefetch.published(0) is None
        entry = prefetch.table_at + 24
        _CHECK.pack_into(prefetch.shared, entry, 1, zlib.crc32(b"\x00"))  # checks, but no record
        at = int.from_bytes(prefetch.shared[entry + 16:entry + 24], "little")
        prefetch.shared[at] = 0
        assert prefetch.published(1) is None
    finally:
        prefetch.close()


def test_a_large_objects_relocations_are_read_in_parts(tmp_path, monkeypatch):
    # An object whose reloc.* sections hold 2 * PART_BYTES or more is read in parts (runs of
    # those sections, largest first), which together are its relocations.
    from wasmmerge.linker import objects as objects_module
    from wasmmerge.linker.objects import LATER, read_later_relocations, relocation_parts, relocations_read
    data = compile_sources(["calls/main.c"], tmp_path, ["-g"])[0].read_bytes()
    assert relocation_parts(data) == [(None, len(data))]
    monkeypatch.setattr(objects_module, "PART_BYTES", 64)
    parts = relocation_parts(data)
    assert len(parts) >= 3 and [size for _, size in parts] == sorted((size for _, size in parts), reverse=True)
    assert sorted(p.start for p, _ in parts) == [0, *sorted(p.stop for p, _ in parts)[:-1]]  # runs end to end
    whole = read_object("main.o", data)
    for published in (True, False):  # parts handed over, or read here, in their order
        later = read_object("main.o", data, LATER)
        for part, _ in parts:
            read_later_relocations(later, relocations_alone("main.o", data, part) if published else None, part)
        relocations_read(later)
        assert _relocations(later) == _relocations(whole) and later.code_types == whole.code_types


@pytest.mark.parametrize("published", ["none", "all", "odd", "first-two"])
def test_objects_read_in_parts_link_to_the_same_module(published, monkeypatch, tmp_path):
    # With parts as small as a test's objects make them, each object is several units of
    # the work the other process shares: the module is still the one a single process links.
    from wasmmerge.linker import objects as objects_module
    objects = compile_sources(["calls/main.c", "calls/util.c", "cxx/globals.cc"], tmp_path, ["-g"])
    args = ["--no-entry", "--export-all", "--allow-undefined", *map(str, objects)]
    alone = tmp_path / "alone.wasm"
    assert run_wasmmerge_link(["--threads=1", *args, "-o", "x"], alone).returncode == 0
    monkeypatch.setattr(objects_module, "PART_BYTES", 64)
    chosen = {"none": lambda k: False, "all": lambda k: True, "odd": lambda k: k % 2 == 1,
              "first-two": lambda k: k < 2}[published]
    made = _reading_ahead_as(monkeypatch, chosen)
    shared = tmp_path / "shared.wasm"
    result = CliRunner().invoke(cli, ["link", "--threads=2", *args, "-o", str(shared)])
    assert result.exit_code == 0, result.output
    assert len(made[0].units) > len(objects)  # (parts of objects)
    assert shared.read_bytes() == alone.read_bytes()


def test_objects_read_in_parts_by_the_other_process(monkeypatch, tmp_path):
    from wasmmerge.linker import objects as objects_module
    objects = compile_sources(["calls/main.c", "calls/util.c"], tmp_path, ["-g"])
    args = ["--no-entry", "--export-all", "--allow-undefined", *map(str, objects)]
    alone = tmp_path / "alone.wasm"
    assert run_wasmmerge_link(["--threads=1", *args, "-o", "x"], alone).returncode == 0
    monkeypatch.setattr(objects_module, "PART_BYTES", 64)  # (the forked process has it too)
    shared = tmp_path / "shared.wasm"
    result = CliRunner().invoke(cli, ["link", "--threads=2", *args, "-o", str(shared)])
    assert result.exit_code == 0, result.output
    assert shared.read_bytes() == alone.read_bytes()


# Two reloc.CODE sections, the first naming symbol 7 of 2, with more entries, the second
# symbol 9: read in parts, the larger part comes first, so that this process, reading
# from the last, meets the second section's error first; the first section's is reported.
TWO_BAD_SECTIONS = obj(linking(CALLEE, sym_function(1, "sixth")),
                       reloc_code(entry(0, CALL_SITE, 7), entry(0, CALL_SITE + 1, 0), entry(0, CALL_SITE + 2, 0))
                       + reloc_code(entry(0, CALL_SITE, 9)), imported_funcs=["callee"])


def test_an_objects_parts_keep_its_sections_order_of_errors(monkeypatch, tmp_path):
    from wasmmerge.linker import objects as objects_module
    monkeypatch.setattr(objects_module, "PART_BYTES", 4)
    _reading_ahead_as(monkeypatch, lambda k: False)
    paths = []
    for name, data in [("a.o", GOOD), ("bad.o", TWO_BAD_SECTIONS)]:
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    assert len(objects_module.relocation_parts(TWO_BAD_SECTIONS)) == 2
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--allow-undefined", "--threads=2", *paths,
                                      "-o", str(tmp_path / "out.wasm")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.o" in lines[0] and "names symbol 7" in lines[0], lines
