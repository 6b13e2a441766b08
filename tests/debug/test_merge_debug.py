"""Debug info through a real merge: three clang -g modules that import from each other
(each with its own memory, so the second and third gain memory indices and their bodies
grow), merged by `wasmmerge.merger.merge`. The oracle for where code went is llvm-objdump
(the k-th instruction of each input function is the k-th of its merged copy); DWARF is
judged by llvm-dwarfdump and llvm-symbolizer."""

import json

import pytest

from wasmmerge.binary.reader import iter_sections
from wasmmerge.debuginfo.sourcemap import decode_mappings, encode_mappings, read_url_section
from wasmmerge.merger import MergeOptions, merge

from .test_dwarf_moves import BUILDS, MODULES
from .tools import (compile_module, debug_sections, instruction_offsets, line_rows, oracle_map, subprograms,
                    symbolize, tool, verify)

ORDER = ("mathlib", "app", "report")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tool("clang")
    out = tmp_path_factory.mktemp("merge-debug")
    cache = {}

    def get(build: str) -> list[tuple[str, bytes]]:
        if build not in cache:
            cache[build] = [(name, compile_module(out, MODULES[name][0], MODULES[name][1], BUILDS[build],
                                                  f"{name}-{build}")) for name in ORDER]
        return cache[build]
    return get


def _merge(modules, **options):
    return merge(modules, MergeOptions(export_conflicts="skip", **options))


def _customs(data: bytes) -> list[str]:
    return [info.name for info in iter_sections(data) if info.name is not None]


@pytest.mark.parametrize("build", BUILDS)
def test_merged_dwarf_maps_every_row_to_the_same_source(inputs, tmp_path, build):
    modules = inputs(build)
    result = _merge(modules)
    assert not [w for w in result.warnings if "debug" in w or "DWARF" in w], result.warnings
    merged = tmp_path / "merged.wasm"
    maps = oracle_map([data for _, data in modules], result.data, tmp_path)
    verify(merged)
    expected_rows, expected_subprograms = [], []
    for k, (name, data) in enumerate(modules):
        path = tmp_path / f"input{k}.wasm"
        for address, file, line, column, end in line_rows(path):
            expected_rows.append((maps[k][address], file, line, column, end))
        for sub, low in subprograms(path):
            expected_subprograms.append((sub, None if low is None else maps[k].get(low, "dead")))
        # Every instruction of every input symbolizes (with its inlined frames) the same.
        old = sorted(a for function in instruction_offsets(path) for a in function)
        assert symbolize(merged, [maps[k][a] for a in old]) == symbolize(path, old)
    assert line_rows(merged) == expected_rows
    merged_subprograms = [(sub, "dead" if low == 0xFFFFFFFF else low) for sub, low in subprograms(merged)]
    assert merged_subprograms == expected_subprograms
    assert _customs(result.data)[-2:] == ["name", "producers"]  # DWARF before them, as LLVM writes it


def test_merging_twice_gives_the_same_bytes(inputs):
    modules = inputs("dwarf5-O2")
    assert _merge(modules).data == _merge(modules).data


def test_strip_debug_drops_every_debug_section(inputs):
    result = _merge(inputs("dwarf4-O0"), strip_debug=True)
    assert not [n for n in _customs(result.data) if n.startswith(".debug_")]
    assert not [w for w in result.warnings if "debug" in w]


def test_unparseable_dwarf_is_dropped_for_that_input_only(inputs, tmp_path):
    modules = list(inputs("dwarf4-O0"))
    name, data = modules[1]
    abbrev = debug_sections(data)[".debug_abbrev"]
    at = data.index(abbrev)
    assert data[at + 4] < 0x80
    modules[1] = (name, data[:at + 4] + b"\x7f" + data[at + 5:])  # first attribute: an unknown form
    result = _merge(modules)
    dropped = [w for w in result.warnings if "DWARF is dropped" in w]
    assert len(dropped) == 1 and dropped[0].startswith("app: .debug_info at offset 0x")
    (tmp_path / "merged.wasm").write_bytes(result.data)
    verify(tmp_path / "merged.wasm")
    files = {row[1] for row in line_rows(tmp_path / "merged.wasm")}
    assert "app.c" not in files and {"mathlib.c", "util.c", "report.c"} <= files
    with pytest.raises(Exception) as info:
        _merge(modules, strict_debug=True)
    assert "app: .debug_info at offset 0x" in str(info.value)


def test_source_map_round_trip(inputs, tmp_path):
    """A hand-made map for `app` (every instruction of `compute` mapped to line = its
    index), merged: each segment lands on the same instruction of the merged copy."""
    modules = inputs("dwarf4-O0")
    app = modules[1][1]
    (tmp_path / "app.wasm").write_bytes(app)
    code_start = next(info.start for info in iter_sections(app) if info.id == 10)
    instrs = instruction_offsets(tmp_path / "app.wasm")[0]
    segments = [(code_start + offset, 0, line, 0, None) for line, offset in enumerate(instrs)]
    segments.append((code_start + instrs[1], 1, 99, 4, 0))
    segments.sort(key=lambda s: s[0])
    hand_made = json.dumps({"version": 3, "sources": ["app.c", "other.c"], "names": ["compute"],
                            "mappings": encode_mappings(segments)})
    result = _merge(modules, input_source_maps={"app": hand_made}, output_source_map=True,
                    source_map_file="merged.wasm", source_map_url="merged.wasm.map")
    merged_map = json.loads(result.source_map)
    assert merged_map["sources"] == ["app.c", "other.c"] and merged_map["file"] == "merged.wasm"
    maps = oracle_map([data for _, data in modules], result.data, tmp_path)
    new_code_start = next(info.start for info in iter_sections(result.data) if info.id == 10)
    expected = sorted(((new_code_start + maps[1][col - code_start], s, l, c, n) for col, s, l, c, n in segments),
                      key=lambda s: s[0])
    assert decode_mappings(merged_map["mappings"]) == expected
    url = [info for info in iter_sections(result.data) if info.name == "sourceMappingURL"]
    assert len(url) == 1
    payload = result.data[url[0].start:url[0].start + url[0].size]
    assert read_url_section(payload[len(b"sourceMappingURL") + 1:]) == "merged.wasm.map"
