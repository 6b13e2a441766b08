"""32- and 64-bit DWARF (4 and 5) written by tests/debug/dwarfgen.py for a clang-built
module's functions, moved with widened calls, checked with llvm-dwarfdump; and a 32-bit
and a 64-bit input concatenated into one set of sections."""

import pytest

from wasmmerge.debuginfo import DebugInput, merge_dwarf

from . import dwarfgen
from .tools import (compile_module, debug_sections, dwarfdump, instruction_offsets, line_rows,
                    move_code, subprograms, tool, verify, with_dwarf)


@pytest.fixture(scope="module")
def plain_module(tmp_path_factory):
    tool("clang")
    out = tmp_path_factory.mktemp("dwarf64")
    data = compile_module(out, ["mathlib.c", "util.c"], ["scale", "fib", "mean", "distance2", "checksum"], [], "m")
    (out / "m.wasm").write_bytes(data)
    assert not debug_sections(data)
    return data, instruction_offsets(out / "m.wasm")


def _functions(data, instrs):
    from wasmmerge.debuginfo.layout import function_spans
    return [(start, end, offsets) for (start, end), offsets in zip(function_spans(data), instrs)]


@pytest.mark.parametrize("wide", [False, True], ids=["dwarf32", "dwarf64"])
@pytest.mark.parametrize("version", [4, 5])
def test_generated_dwarf_moves(plain_module, tmp_path, version, wide):
    data, instrs = plain_module
    functions = _functions(data, instrs)
    sections = dwarfgen.generate(functions, version, wide)
    original = with_dwarf(data, list(sections.items()))
    (tmp_path / "before.wasm").write_bytes(original)
    verify(tmp_path / "before.wasm")  # the generator writes valid DWARF
    assert ("DWARF64" if wide else "DWARF32") in dwarfdump(tmp_path / "before.wasm", "--debug-info")
    module, addresses = move_code(original, pad=2, widen_calls=True)
    assert any(m.shifts for m in addresses.moves(0))
    merged = merge_dwarf([DebugInput("gen", sections)], addresses, [], strict=True)
    (tmp_path / "after.wasm").write_bytes(with_dwarf(module, merged))
    verify(tmp_path / "after.wasm")
    expected = [(addresses.map(0, a, end=e), f, l, c, e) for a, f, l, c, e in line_rows(tmp_path / "before.wasm")]
    assert line_rows(tmp_path / "after.wasm") == expected
    assert subprograms(tmp_path / "after.wasm") == [(n, addresses.map(0, low))
                                                   for n, low in subprograms(tmp_path / "before.wasm")]
    aranges = dwarfdump(tmp_path / "after.wasm", "--debug-aranges")
    for start, end, _ in functions:
        new_start, new_end = addresses.map(0, start), addresses.map(0, end, end=True)
        assert f"[0x{new_start:08x}, 0x{new_end:08x})" in aranges


def test_32_and_64_bit_inputs_concatenate(plain_module, tmp_path):
    data, instrs = plain_module
    functions = _functions(data, instrs)
    module, addresses = move_code(data, pad=1, widen_calls=True)
    for move in addresses.moves(0):
        addresses.add(1, move)  # the second input describes the same code
    narrow, wide = dwarfgen.generate(functions, 5, False), dwarfgen.generate(functions, 4, True)
    merged = merge_dwarf([DebugInput("a", narrow), DebugInput("b", wide)], addresses, [], strict=True)
    (tmp_path / "after.wasm").write_bytes(with_dwarf(module, merged))
    verify(tmp_path / "after.wasm")
    rows = line_rows(tmp_path / "after.wasm")
    assert len(rows) % 2 == 0 and rows[:len(rows) // 2] == rows[len(rows) // 2:]
    names = [n for n, _ in subprograms(tmp_path / "after.wasm")]
    assert names == names[:len(names) // 2] * 2


@pytest.mark.parametrize("wide", [False, True], ids=["dwarf32", "dwarf64"])
def test_debug_frame_moves_or_is_dropped_alone(plain_module, tmp_path, wide):
    data, instrs = plain_module
    functions = _functions(data, instrs)
    sections = dict(dwarfgen.generate(functions, 4, wide), **{".debug_frame": dwarfgen.frame_section(functions, wide)})
    before = tmp_path / "before.wasm"
    before.write_bytes(with_dwarf(data, list(sections.items())))
    assert f"pc={functions[1][0]:08x}...{functions[1][1]:08x}" in dwarfdump(before, "--debug-frame")
    module, addresses = move_code(data, pad=3)
    warnings = []
    merged = dict(merge_dwarf([DebugInput("gen", sections)], addresses, warnings, strict=True))
    (tmp_path / "after.wasm").write_bytes(with_dwarf(module, list(merged.items())))
    frames = dwarfdump(tmp_path / "after.wasm", "--debug-frame")
    for start, end, _ in functions:
        new_start, new_end = addresses.map(0, start), addresses.map(0, end, end=True)
        assert f"pc={new_start:08x}...{new_end:08x}" in frames
    assert warnings == []
    # A function that grew inside: the frame section goes, the rest of the DWARF stays.
    module, addresses = move_code(data, pad=1, widen_calls=True)
    warnings = []
    merged = dict(merge_dwarf([DebugInput("gen", sections)], addresses, warnings))
    assert ".debug_frame" not in merged and ".debug_info" in merged and ".debug_line" in merged
    assert len(warnings) == 1 and "gen: .debug_frame at offset 0x" in warnings[0]
    assert warnings[0].endswith("this input's .debug_frame is dropped")
