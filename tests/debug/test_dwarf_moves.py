"""DWARF follows moved code, checked against llvm-dwarfdump on clang -g builds of our own C
fixtures: each module's code is moved synthetically (bodies shifted, calls widened by a
byte, functions dropped), its DWARF rewritten by wasmmerge.debuginfo, and then
`llvm-dwarfdump --verify` must pass, every line-table row must sit at the mapped address
with the same file, line and column, and every subprogram's low_pc at its new body."""

import pytest

from wasmmerge.debuginfo import DebugInput, DwarfError, merge_dwarf

from .tools import (compile_module, debug_sections, info_dump, line_rows, move_code, rewrite_one, subprograms, tool,
                    verify)

BUILDS = {
    "dwarf4-O0": ["-g"],
    "dwarf4-O2": ["-g", "-O2"],
    "dwarf5-O0": ["-g", "-gdwarf-5"],
    "dwarf5-O2": ["-g", "-gdwarf-5", "-O2"],
}
MODULES = {
    "mathlib": (["mathlib.c", "util.c"], ["scale", "fib", "mean", "distance2", "checksum"]),
    "app": (["app.c"], ["compute", "label"]),
    "report": (["report.c"], ["summarize"]),
}
MOVES = {"shifted": dict(pad=3), "widened": dict(pad=1, widen_calls=True)}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    tool("clang")
    out = tmp_path_factory.mktemp("debug-builds")
    cache = {}

    def get(build: str, module: str) -> bytes:
        key = (build, module)
        if key not in cache:
            sources, exports = MODULES[module]
            cache[key] = compile_module(out, sources, exports, BUILDS[build], f"{module}-{build}")
        return cache[key]
    return get


def _check_moved(tmp_path, original: bytes, moved: bytes, addresses, dropped=frozenset()):
    before, after = tmp_path / "before.wasm", tmp_path / "after.wasm"
    before.write_bytes(original)
    after.write_bytes(moved)
    verify(after)
    old_rows, new_rows = line_rows(before), line_rows(after)
    # llvm-dwarfdump leaves out sequences that start at the tombstone (dropped code).
    expected = []
    for address, file, line, column, end in old_rows:
        if addresses.map(0, address, end=end) is not None:
            expected.append((addresses.map(0, address, end=end), file, line, column, end))
    assert expected and new_rows == expected
    assert len(expected) < len(old_rows) if dropped else len(expected) == len(old_rows)
    assert info_dump(after) == info_dump(before, addresses)
    for (name, low), (new_name, new_low) in zip(subprograms(before), subprograms(after)):
        assert name == new_name
        if low is not None:
            mapped = addresses.map(0, low)
            assert new_low == (0xFFFFFFFF if mapped is None else mapped), name


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("build", BUILDS)
def test_moved_code_keeps_its_lines(builds, tmp_path, build, module, move):
    original = builds(build, module)
    moved, addresses, warnings = rewrite_one(original, **MOVES[move])
    assert warnings == []
    _check_moved(tmp_path, original, moved, addresses)


@pytest.mark.parametrize("build", ["dwarf4-O0", "dwarf5-O2"])
def test_dropped_function_gets_tombstones(builds, tmp_path, build):
    original = builds(build, "mathlib")
    moved, addresses, _ = rewrite_one(original, pad=2, dropped={1})
    _check_moved(tmp_path, original, moved, addresses, dropped={1})
    lows = dict(subprograms(tmp_path / "after.wasm"))
    assert lows["fib"] == 0xFFFFFFFF
    assert lows["scale"] is not None and lows["scale"] < 0xFFFFFFF0


def test_memory64_addresses(tmp_path):
    """A wasm64 build has 8-byte addresses."""
    clang, ld = tool("clang"), tool("wasm-ld")
    from .tools import FIXTURES, run
    obj, wasm = tmp_path / "app.o", tmp_path / "app64.wasm"
    run([clang, "--target=wasm64-unknown-unknown", "-g", "-c", str(FIXTURES / "app.c"), "-o", str(obj)])
    run([ld, "-mwasm64", "--no-entry", "--allow-undefined", "--export=compute", str(obj), "-o", str(wasm)])
    original = wasm.read_bytes()
    moved, addresses, warnings = rewrite_one(original, pad=2, widen_calls=True)
    assert warnings == []
    _check_moved(tmp_path, original, moved, addresses)


def test_same_input_twice_gives_same_bytes(builds):
    original = builds("dwarf5-O2", "report")
    assert rewrite_one(original, pad=2)[0] == rewrite_one(original, pad=2)[0]


def _corrupt_abbrev(sections: dict) -> dict:
    """Give the first attribute of the first abbreviation an unknown form (0x7f)."""
    abbrev = bytearray(sections[".debug_abbrev"])
    # code, tag, children, then (attribute, form): all single-byte LEBs in clang's output
    assert abbrev[0] == 1 and abbrev[4] < 0x80
    abbrev[4] = 0x7F
    return dict(sections, **{".debug_abbrev": bytes(abbrev)})


def test_unparseable_input_is_dropped_with_a_warning(builds, tmp_path):
    good, bad = builds("dwarf4-O0", "app"), builds("dwarf5-O0", "report")
    _, good_map = move_code(good, pad=1)
    warnings = []
    inputs = [DebugInput("bad.wasm", _corrupt_abbrev(debug_sections(bad))),
              DebugInput("good.wasm", debug_sections(good))]
    # Input 1 is `good`: give the map its functions under index 1.
    for move in good_map.moves(0):
        good_map.add(1, move)
    merged = merge_dwarf(inputs, good_map, warnings)
    assert len(warnings) == 1
    assert "bad.wasm" in warnings[0] and ".debug_info at offset 0x" in warnings[0]
    assert "unknown attribute form 0x7f" in warnings[0] and "dropped" in warnings[0]
    # What is left is exactly the good input's DWARF.
    alone = merge_dwarf([DebugInput("good.wasm", debug_sections(good))], good_map, [])
    assert dict(merged) == dict(alone)


def test_strict_makes_unparseable_dwarf_an_error(builds):
    bad = builds("dwarf5-O0", "report")
    _, addresses = move_code(bad)
    with pytest.raises(DwarfError) as info:
        merge_dwarf([DebugInput("bad.wasm", _corrupt_abbrev(debug_sections(bad)))], addresses, [], strict=True)
    text = str(info.value)
    assert text.startswith("bad.wasm: .debug_info at offset 0x") and "0x7f" in text


def test_unknown_debug_section_is_dropped_with_a_warning(builds):
    data = builds("dwarf4-O0", "app")
    _, addresses = move_code(data)
    sections = dict(debug_sections(data), **{".debug_names": b"\0" * 8})
    warnings = []
    merged = dict(merge_dwarf([DebugInput("app.wasm", sections)], addresses, warnings))
    assert ".debug_names" not in merged and ".debug_info" in merged
    assert warnings == ["app.wasm: custom section '.debug_names' cannot be moved with the code; dropped"]
