"""Reading objects ahead in a second process (prefetch.py) and patching code in several:
the relocations handed over are exactly those read here, whichever process reads which
object the output and the errors are the same."""

import os
from array import array
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from wasmmerge.cli import cli
from wasmmerge.linker.chunk_relocs import packed_relocations
from wasmmerge.linker.objects import read_object
from wasmmerge.linker.prefetch import Prefetch

from .objdsl import CALL_SITE, entry, linking, obj, reloc_code, sym_function
from .test_relocation_types import _object

CALLEE = sym_function(0, None, flags=0x10)


def _relocations(o):
    return [(list(c.relocs), c.reloc_base) for c in (*o.functions, *o.datas, *o.customs)]


def test_packed_relocations_attach_as_read():
    # Every relocation type, in code, data and a debug section.
    data = _object()
    read = read_object("every.o", data)
    again = read_object("every.o", data, packed_relocations(read))
    assert _relocations(again) == _relocations(read) and again.names_got == read.names_got
    assert again.code_types == read.code_types and read.code_types  # the types call_indirect names
    assert any(c.relocs for c in again.customs)


def test_packing_widens_for_64_bit_addends():
    narrow, wide = array("i", [3, 10, 1, 0]), array("q", [16, 20, 1, 1 << 40])
    chunks = [SimpleNamespace(relocs=narrow, reloc_base=8), SimpleNamespace(relocs=wide, reloc_base=12)]
    source = SimpleNamespace(functions=chunks, datas=[], customs=[], names_got=False, code_types=[0])
    names_got, code_types, flat, shares = packed_relocations(source)
    assert flat.typecode == "q" and list(flat) == [*narrow, *wide]
    assert shares == [0, 0, 8, 4, 0, 1, 12, 4]


def test_prefetched_records_are_the_objects_relocations():
    objects = [(f"o{k}.o", _object(reverse=bool(k % 2))) for k in range(4)]
    prefetch = Prefetch(objects)
    os.waitpid(prefetch.pid, 0)  # let the child read them all
    try:
        for k, (name, data) in enumerate(objects):
            handed = prefetch.take(k)
            assert handed is not None
            read = read_object(name, data)
            assert _relocations(read_object(name, data, handed)) == _relocations(read)
    finally:
        prefetch.close()


@pytest.mark.parametrize("threads", ["--threads=1", "--threads=2"])
def test_a_bad_object_read_ahead_is_reported_as_without(threads, tmp_path):
    # The child meets the bad (last) object first; the error is still this process's,
    # found when it reaches the object, and a good object before it changes nothing.
    good = obj(linking(CALLEE, sym_function(1, "main")), reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    bad = obj(linking(CALLEE, sym_function(1, "other")), reloc_code(entry(0, CALL_SITE, 7)), imported_funcs=["callee"])
    paths = []
    for name, data in (("a.o", good), ("b.o", good), ("bad.o", bad)):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--allow-undefined", threads, *paths, "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.o" in lines[0] and "names symbol 7" in lines[0]
    assert not out.exists()
