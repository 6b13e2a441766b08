"""Corrupt DWARF never escapes as anything but a warning naming the input (or, strict,
a DwarfError): random byte changes and truncations of every section of clang builds."""

import random

import pytest

from wasmmerge.debuginfo import DebugInput, DwarfError, merge_dwarf

from .test_dwarf_moves import BUILDS, MODULES
from .tools import compile_module, debug_sections, move_code, tool


@pytest.mark.parametrize("build,module", [("dwarf4-O0", "mathlib"), ("dwarf5-O2", "report")])
def test_corrupt_dwarf_is_a_warning_or_a_dwarf_error(tmp_path, build, module):
    tool("clang")
    data = compile_module(tmp_path, MODULES[module][0], MODULES[module][1], BUILDS[build], module)
    sections = debug_sections(data)
    _, addresses = move_code(data, pad=1, widen_calls=True)
    rng = random.Random(f"{build}-{module}")
    dropped = 0
    for _ in range(150):
        corrupt = dict(sections)
        name = rng.choice(sorted(corrupt))
        raw = bytearray(corrupt[name])
        for _ in range(rng.randrange(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        if rng.random() < 0.2:
            raw = raw[:rng.randrange(len(raw))]
        corrupt[name] = bytes(raw)
        warnings = []
        merged = merge_dwarf([DebugInput(module, corrupt)], addresses, warnings)
        if warnings:
            assert len(warnings) == 1 and warnings[0].startswith(f"{module}: .debug_")
            assert warnings[0].endswith("this input's DWARF is dropped") and merged == []
            dropped += 1
            with pytest.raises(DwarfError):
                merge_dwarf([DebugInput(module, corrupt)], addresses, [], strict=True)
    assert dropped > 0  # the corruption was noticed at least sometimes
