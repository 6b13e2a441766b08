"""An object's import section as the linker reads it (object_imports.py): what the codec
reads from the same bytes, import for import, or the codec's own error at the same offset;
the object errors around it, each one line naming the file; and the symbol table's inline
entry of the usual symbols, which resolves as its general path does."""

import sys

import pytest
from bytedsl import HEADER, name, section, u32, vec
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from wasmmerge.binary.reader import Reader, decode_module, read_import
from wasmmerge.cli import cli
from wasmmerge.errors import DecodeError
from wasmmerge.linker.object_imports import read_imports
from wasmmerge.linker.objects import read_object

from .harness import compile_sources, driver_link_args, make_archive, run_wasmmerge_link
from .objdsl import CALL_SITE, entry, linking, obj, reloc_code, sym_function

MEMORY = name("env") + name("__linear_memory") + b"\x02\x00\x01"


def _import_module(*imports: bytes, count: int | None = None, cut: int = 0, size: int | None = None):
    """A module of one import section (count as given, its last `cut` bytes dropped) and a
    custom section after it, so that a read past the import section finds bytes; with
    where the import section's contents start and end. With `size`, the section's size
    field says so many bytes (the rest of the imports then follow the section)."""
    body = u32(len(imports) if count is None else count) + b"".join(imports)
    body = body[:len(body) - cut]
    size = len(body) if size is None else size
    head = HEADER + bytes((2,)) + u32(size)
    return head + body + section(0, name("after") + b"\x80\x80\x01\x00\xff"), len(head), len(head) + size


def _codec(data: bytes, start: int, end: int):
    """The imports the codec reads from section contents `data[start:end]` (as the
    linker's per-kind lists), or its error: what decode_module does with an import section."""
    r = Reader(data, start, end)
    try:
        imports = r.vec(lambda: read_import(r))
        if r.pos != r.end:
            raise DecodeError("section size mismatch", r.pos)
    except DecodeError as err:
        return err.message, err.offset
    lists = ([], [], [], [], []), ([], [], [], [], []), ([], [], [], [], [])
    for imp in imports:
        for column, value in zip(lists, (imp.module, imp.name, imp.type)):
            column[imp.kind].append(value)
    return tuple(tuple(column) for column in lists)


def _ours(data: bytes, start: int, end: int):
    try:
        imports = read_imports(data, start, end)
    except DecodeError as err:
        return err.message, err.offset
    for modules in imports.modules:
        assert all(module is sys.intern(module) for module in modules)  # one string per module name
    # (kept as tuples, or lists where names are renamed in place: compared as lists)
    return tuple(tuple(list(kind) for kind in column) for column in (imports.modules, imports.names, imports.descs))


_TEXT = st.sampled_from([b"env", b"GOT.mem", b"", "π".encode(), b"x" * 127, b"y" * 128, b"\xff", b"ab\xc3"])
_FIELD = st.one_of(_TEXT, st.text(max_size=6).map(str.encode))
_DESC = st.one_of(
    st.just(b"\x00\x00"), st.just(b"\x00\x7f"), st.just(b"\x00\x80\x01"), st.just(b"\x00\x80\x80\x80\x80\x00"),
    st.just(b"\x00\xff\xff\xff\xff\x7f"), st.just(b"\x01\x70\x00\x01"), st.just(b"\x01\x55\x00\x01"),
    st.just(b"\x02\x00\x01"), st.just(b"\x02\x04\x02"), st.just(b"\x02\x09\x00"), st.just(b"\x03\x7f\x01"),
    st.just(b"\x03\x7f\x02"), st.just(b"\x04\x00\x00"), st.just(b"\x04\x01\x00"), st.just(b"\x07\x00"),
    st.binary(max_size=3))
_IMPORT = st.builds(lambda module, field, desc: name(module) + name(field) + desc, _FIELD, _FIELD, _DESC)


@settings(max_examples=400, deadline=None)
@given(st.lists(_IMPORT, max_size=5), st.integers(-1, 1), st.integers(0, 4))
def test_imports_read_as_the_codec_reads_them(imports, count_off, cut):
    data, start, end = _import_module(*imports, count=max(0, len(imports) + count_off), cut=cut)
    assert _ours(data, start, end) == _codec(data, start, end)


_MIXED = [MEMORY, name("env") + name("f") + b"\x00\x00", name("wasi") + name("g") + b"\x00\x80\x01",
          name("env") + name("__stack_pointer") + b"\x03\x7f\x01", name("env") + name("é") + b"\x00\x01",
          name("env") + name("h") + b"\x00\x02", name("env") + name("__indirect_function_table") + b"\x01\x70\x00\x01"]


def test_every_short_section_reads_as_the_codec_reads_it():
    # Cut at every byte, and the section's size field short of its imports at every byte.
    _, start, end = _import_module(*_MIXED)
    whole = end - start
    for cut in range(whole + 1):
        for count in (len(_MIXED) - 1, len(_MIXED), len(_MIXED) + 1):
            data, start, end = _import_module(*_MIXED, count=count, cut=cut)
            assert _ours(data, start, end) == _codec(data, start, end), (cut, count)
            if cut:
                data, start, end = _import_module(*_MIXED, count=count, size=whole - cut)
                assert _ours(data, start, end) == _codec(data, start, end), (cut, count, "size")


def test_usual_imports_and_the_unusual_between_them():
    data, start, end = _import_module(*_MIXED)
    modules, names, descs = _ours(data, start, end)
    assert (modules[0], names[0], descs[0]) == (["env", "wasi", "env", "env"], ["f", "g", "é", "h"], [0, 128, 1, 2])
    assert names[1:4] == (["__indirect_function_table"], ["__linear_memory"], ["__stack_pointer"])
    assert (modules, names, descs) == _codec(data, start, end)


def _link(tmp_path, data: bytes):
    path = tmp_path / "bad.o"
    path.write_bytes(data)
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--allow-undefined", str(path), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists(), result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.o" in lines[0], lines
    return lines[0]


def test_undefined_symbol_naming_a_defined_function(tmp_path):
    bad = obj(linking(sym_function(1, None, flags=0x10), sym_function(1, "main")), imported_funcs=["callee"])
    assert "symbol 0 (unnamed) is undefined but names defined function 1" in _link(tmp_path, bad)


def test_function_import_type_out_of_range(tmp_path):
    good = obj(linking(sym_function(0, None, flags=0x10), sym_function(1, "main")),
               reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    bad = good.replace(name("callee") + b"\x00\x00", name("callee") + b"\x00\x05")
    assert "function import 0 (env.callee) has type index 5 of 1" in _link(tmp_path, bad)


def test_fewer_functions_than_bodies(tmp_path):
    good = obj(linking(sym_function(0, "main")))
    bad = good.replace(section(3, vec(u32(0))), section(3, vec()))
    assert "function and code section have inconsistent lengths" in _link(tmp_path, bad)


def test_errors_after_the_function_section_name_file_offsets(tmp_path):
    # The codec decodes the declarations from a copy without code and data: its offsets
    # are still the file's, as when it decodes the whole file.
    good = obj(linking(sym_function(0, "main")))
    bad = good.replace(section(3, vec(u32(0))), section(3, vec(u32(0))) + section(7, vec(name("x") + b"\x09\x00")))
    try:
        decode_module(bad, lazy=True)
    except DecodeError as err:
        expected = err
    try:
        read_object("bad.o", bad)
    except DecodeError as err:
        assert (err.message, err.offset, err.file) == (expected.message, expected.offset, "bad.o")
    else:
        raise AssertionError("no error")


# Programs whose symbols take every path of the symbol table: weak definitions and
# references, archive members extracted on demand, COMDAT groups, a signature mismatch.
_COMDAT = (["comdat/first.cc", "comdat/second.cc", "comdat/third.cc"], [], ["-O0", "-fno-exceptions", "-fno-rtti"])
_PROGRAMS = {  # name: sources, archive members, compile flags, driver flags
    "weak": (["weak/main.c", "weak/strong.c"], [], [], []),
    "comdat": (*_COMDAT, ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=run"]),
    "comdat-no-gc": (*_COMDAT, ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=run", "-Wl,--no-gc-sections"]),
    "mismatch": (["mismatch/main.c", "mismatch/impl.c"], [], [], []),
    "archive": (["archive/main.c"], ["archive/used.c", "archive/helper.c", "archive/unused.c"], [], []),
    "pic": (["pic/main.c", "pic/lib.c"], [], ["-fPIC"], []),
}


@pytest.mark.parametrize("program", sorted(_PROGRAMS))
def test_usual_entries_resolve_as_the_general_path_does(program, tmp_path):
    # symtab._add_symbols enters the usual function references and definitions inline;
    # with --trace-symbol given every entry takes the general path (_add_raw) instead.
    # Both links must write the same bytes (and tests elsewhere compare with wasm-ld's).
    sources, members, cflags, flags = _PROGRAMS[program]
    objects = compile_sources(sources, tmp_path, cflags)
    if members:
        make_archive(tmp_path / "libparts.a", compile_sources(members, tmp_path, cflags))
        flags = [*flags, f"-L{tmp_path}", "-lparts"]
    args = driver_link_args(objects, flags)
    plain, traced = tmp_path / "plain.wasm", tmp_path / "traced.wasm"
    for output, extra in ((plain, []), (traced, ["--trace-symbol=__no_such_symbol"])):
        done = run_wasmmerge_link([*args, *extra], output)
        assert done.returncode == 0, done.stderr
    assert plain.read_bytes() == traced.read_bytes()
