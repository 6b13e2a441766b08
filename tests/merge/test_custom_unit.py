"""Custom sections of the merged module: names, producers, target_features, others."""

from conftest import wat2wasm
from wasmmerge.binary import leb
from wasmmerge.binary.model import CustomSection
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.writer import encode_module
from wasmmerge.merger import merge
from wasmmerge.custom import names, producers, target_features
from wasmmerge.custom.names import NameSection
from wasmmerge.custom.producers import Field, Tool
from wasmmerge.custom.target_features import Feature


def encode_names(subsections: dict) -> bytes:
    return names.encode(NameSection(subsections))


def parse_names(data: bytes) -> dict:
    return names.parse(data).subsections


def parse_target_features(data: bytes) -> list[tuple[str, str]]:
    return [(f.prefix, f.name) for f in target_features.parse(data).features]


def _with_customs(text: str, *sections: CustomSection) -> bytes:
    module = decode_module(wat2wasm(text))
    module.customs.extend(sections)
    return encode_module(module)


def _name(text: str) -> bytes:
    raw = text.encode()
    return leb.write_unsigned(len(raw)) + raw


def _producers(fields: dict) -> bytes:
    out = leb.write_unsigned(len(fields))
    for field, values in fields.items():
        out += _name(field) + leb.write_unsigned(len(values))
        out += b"".join(_name(n) + _name(v) for n, v in values)
    return out


def _features(entries) -> bytes:
    return leb.write_unsigned(len(entries)) + b"".join(bytes((ord(p),)) + _name(n) for p, n in entries)


def test_name_section_round_trips():
    names = {0: "mod", 1: {0: "f", 3: "g"}, 2: {3: {0: "x", 1: "y"}}, 7: {0: "counter"}}
    assert parse_names(encode_names(names)) == names


def test_names_are_remapped_and_clashes_prefixed():
    a_names = encode_names({1: {0: "log", 1: "helper", 2: "main"}, 2: {1: {0: "p"}}, 7: {0: "g"}})
    b_names = encode_names({1: {0: "imported_main", 1: "helper"}, 7: {0: "g"}, 4: {0: "sig"}})
    a = _with_customs('(module (import "env" "log" (func)) (func (param i32)) (func (export "main")) '
                      '(global i32 (i32.const 0)))', CustomSection("name", a_names))
    b = _with_customs('(module (type (func)) (import "a" "main" (func)) (func) (global i32 (i32.const 1)))',
                      CustomSection("name", b_names))
    result = merge([("a", a), ("b", b)])
    merged = parse_names(result.module.custom("name").data)
    # b's import of a.main contributes no name; b's helper clashes with a's.
    assert merged[1] == {0: "log", 1: "helper", 2: "main", 3: "b.helper"}
    assert merged[2] == {1: {0: "p"}}
    assert merged[7] == {0: "g", 1: "b.g"}
    assert merged[4] == {0: "sig"}
    assert 0 not in merged  # no single module name describes the merge


def test_generated_start_function_gets_a_name():
    names = CustomSection("name", encode_names({1: {0: "s"}}))
    a = _with_customs('(module (memory (export "m") 1) (func $s) (start $s))', names)
    b = wat2wasm('(module (import "a" "m" (memory 1)) (data (i32.const 0) "x"))')
    result = merge([("a", a), ("b", b)])
    merged = parse_names(result.module.custom("name").data)
    assert merged[1][result.module.start] == "__wasmmerge_start"


def test_producers_union():
    first = _producers({"language": [("C", "")], "processed-by": [("clang", "17")]})
    second = _producers({"processed-by": [("clang", "17"), ("rustc", "1.80")]})
    merged = producers.parse(producers.encode(producers.merge([producers.parse(first), producers.parse(second)])))
    assert merged.fields == [Field("language", [Tool("C", "")]),
                             Field("processed-by", [Tool("clang", "17"), Tool("rustc", "1.80")])]


def test_target_features_union_adds_what_the_merge_needs():
    first = _features([("+", "simd128"), ("-", "atomics")])
    second = _features([("+", "atomics")])
    merged_section = target_features.merge([target_features.parse(first), target_features.parse(second)],
                                           {"multimemory"})
    assert Feature("+", "multimemory") in merged_section.features
    merged = dict((n, p) for p, n in parse_target_features(target_features.encode(merged_section)))
    assert merged == {"simd128": "+", "atomics": "+", "multimemory": "+"}


def test_two_memories_add_multimemory_to_target_features():
    features = CustomSection("target_features", _features([("+", "mutable-globals")]))
    a = _with_customs("(module (memory 1))", features)
    b = wat2wasm("(module (memory 1))")
    result = merge([("a", a), ("b", b)])
    entries = parse_target_features(result.module.custom("target_features").data)
    assert ("+", "multimemory") in entries and ("+", "mutable-globals") in entries


def test_other_customs_kept_and_code_offset_sections_dropped_with_a_warning():
    a = _with_customs("(module (func))", CustomSection("my.meta", b"\x01\x02"),
                      CustomSection(".debug_info", b"\x00"), CustomSection("sourceMappingURL", b"\x00"))
    b = _with_customs("(module (func))", CustomSection("my.meta", b"\x03"))
    result = merge([("a", a), ("b", b)])
    kept = [(c.name, c.data) for c in result.module.customs]
    assert kept == [("my.meta", b"\x01\x02"), ("my.meta", b"\x03")]
    assert any(".debug_info" in w and w.startswith("a:") for w in result.warnings)
    assert any("sourceMappingURL" in w for w in result.warnings)


def test_malformed_name_section_is_dropped_with_a_warning():
    a = _with_customs("(module (func))", CustomSection("name", b"\x01\x05\x09"))
    result = merge([("a", a)])
    assert result.module.custom("name") is None
    assert any("malformed name section" in w for w in result.warnings)


def test_malformed_producers_are_dropped_with_a_warning_naming_section_and_offset():
    good = CustomSection("producers", _producers({"language": [("C", "")]}))
    bad = CustomSection("producers", _producers({"language": [("C", "")]})[:-1])  # version cut short
    a = _with_customs("(module (func))", good)
    b = _with_customs("(module (func))", bad)
    result = merge([("a", a), ("b", b)])
    assert producers.parse(result.module.custom("producers").data).fields == [Field("language", [Tool("C", "")])]
    assert [w for w in result.warnings if "producers" in w] == [
        f"b: malformed producers section: unexpected end (at offset {len(bad.data):#x}); section dropped"]
