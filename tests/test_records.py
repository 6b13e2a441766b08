"""The records that replaced the dataclasses on the link's path (`binary/record.py`) behave
as the dataclasses did: fields and defaults (a fresh list each), equality or identity,
hashing, repr, pickling, and `Module.replace` for `dataclasses.replace`."""

import pickle
from array import array

import pytest

from wasmmerge.binary.model import Module
from wasmmerge.custom import linking, producers, reloc, target_features
from wasmmerge.custom.reloc_types import BY_NAME, RELOC_TYPES
from wasmmerge.linker.archive import Member
from wasmmerge.linker.objects import CustomChunk, DataChunk, FunctionChunk, ObjectFile
from wasmmerge.linker.output import Layout, OutFunction, OutGlobal, OutImport, OutputSegment


def _object():
    obj = ObjectFile("a.o", b"", Module(), [], [], [], [], [], [], {0: 0}, body_starts=array("I", [12]),
                     size_fields=array("I", [10, 20]))
    obj.functions.append(FunctionChunk(obj, 0))
    obj.datas.append(DataChunk(obj, 0, ".data", 2, 0, 30, 34))
    obj.customs.append(CustomChunk(obj, 5, ".debug_info", 40, 50))
    return obj


def test_mutable_defaults_are_fresh_for_each_instance():
    one, two = _object(), _object()
    for chunk in (one.functions[0], one.datas[0], one.customs[0]):
        assert chunk.reloc_span() == (None, 0, 0)
    assert (one.functions[0].size_start, one.functions[0].start, one.functions[0].end) == (10, 12, 20)
    assert one.resolved is not two.resolved and one.sections is not two.sections and one.sections == {}
    assert OutputSegment(".data").chunks is not OutputSegment(".data").chunks
    assert Layout().functions is not Layout().functions and Layout().table_base == 1
    assert Module().funcs is not Module().funcs and Module().empty_sections == set()
    assert linking.Linking().layout is not linking.Linking().layout


def test_linker_objects_are_compared_and_hashed_by_identity():
    one, two = _object(), _object()
    pairs = [(one, two), (one.functions[0], two.functions[0]), (one.datas[0], two.datas[0]),
             (OutputSegment(".data"), OutputSegment(".data")), (OutFunction("f", None), OutFunction("f", None)),
             (OutImport("env", "f", 0, None), OutImport("env", "f", 0, None)),
             (OutGlobal("g", None, b"\x0b"), OutGlobal("g", None, b"\x0b"))]
    for a, b in pairs:
        assert a == a and a != b
        assert len({a, b, a}) == 2


def test_relocation_rows_are_singletons_compared_by_identity():
    row = RELOC_TYPES[0]
    assert BY_NAME["R_WASM_FUNCTION_INDEX_LEB"] is row
    assert {(row, 1), (RELOC_TYPES[0], 1)} == {(row, 1)}
    with pytest.raises(AttributeError):
        row.width = 4
    assert repr(row).startswith("RelocType(number=0, name='R_WASM_FUNCTION_INDEX_LEB', field='uleb', width=5,")


def test_section_records_are_values():
    assert linking.Symbol(0, 0x10) == linking.Symbol(0, 0x10, None, None)
    assert linking.Symbol(0, 0, "f", 1) != linking.Symbol(0, 0, "g", 1)
    # The subsection layout records how the file was written: not compared, but shown.
    a, b = linking.Linking(symbols=[]), linking.Linking(symbols=[], layout=[(8, 5)])
    assert a == b and "layout=[(8, 5)]" in repr(b)
    assert reloc.RelocSection(3, [(0, 1, 2, None)]) == reloc.RelocSection(3, [(0, 1, 2, None)])
    section = producers.Producers([producers.Field("language", [producers.Tool("C11", "")])])
    assert producers.parse(producers.encode(section)) == section
    assert target_features.Feature("+", "atomics") != target_features.Feature("-", "atomics")
    assert Member("m.o", 8, memoryview(b"ab")) == Member("m.o", 8, memoryview(b"ab"))
    with pytest.raises(TypeError):
        hash(linking.Symbol(0, 0))
    assert repr(linking.InitFunc(65535, 2)) == "InitFunc(priority=65535, symbol=2)"
    assert pickle.loads(pickle.dumps(linking.Comdat("g", 0, [linking.ComdatMember(1, 0)]))) == \
        linking.Comdat("g", 0, [linking.ComdatMember(1, 0)])


def test_a_chunk_prints_its_file_without_recursing():
    obj = _object()
    text = repr(obj.functions[0])
    assert text.startswith("FunctionChunk(file=ObjectFile(name='a.o', ")
    assert "functions=[...]" in text


def test_module_equality_repr_and_replace():
    m = Module(funcs=[0], empty_sections={10})
    assert m == Module(funcs=[0]) and m != Module(funcs=[1])
    assert repr(m).startswith("Module(types=[], rec_groups=[], imports=[], funcs=[0], ")
    assert "_import_counts" not in repr(m)
    copy = m.replace(codes=[b"body"])
    assert copy.codes == [b"body"] and m.codes == [] and copy.funcs is m.funcs and copy.empty_sections == {10}
    assert pickle.loads(pickle.dumps(m)) == m
