"""The streamed merge (`MergeOptions(output=file)`, what the CLI uses) writes exactly the
bytes the in-memory merge returns, on one process and on several."""

import io
import sys
from pathlib import Path

import pytest

from wasmmerge.binary.model import Import, Module
from wasmmerge.binary.types import FUNC_KIND
from wasmmerge.merger import MergeOptions, merge

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_merge import generate_pair  # noqa: E402


@pytest.mark.parametrize("validate, jobs", [(False, None), (True, 1), (True, 2)])
def test_streamed_output_equals_the_in_memory_one(validate, jobs):
    inputs = generate_pair(0.05)
    expected = merge(inputs, MergeOptions(export_conflicts="rename", validate=validate, jobs=jobs))
    out = io.BytesIO()
    streamed = merge(inputs, MergeOptions(export_conflicts="rename", validate=validate, jobs=jobs, output=out))
    assert streamed.data is None
    assert out.getvalue() == expected.data
    assert streamed.size == expected.size == len(expected.data)
    assert streamed.report == expected.report


def test_streamed_output_without_code():
    from wasmmerge.binary.writer import encode_module
    empty = encode_module(Module())
    expected = merge([("a", empty), ("b", empty)])
    out = io.BytesIO()
    merge([("a", empty), ("b", empty)], MergeOptions(output=out))
    assert out.getvalue() == expected.data


def test_import_counts_follow_the_import_list():
    m = Module()
    assert m.count(FUNC_KIND) == 0
    m.imports.append(Import("env", "f", FUNC_KIND, 0))
    assert m.count(FUNC_KIND) == 1
    m.imports = [Import("env", "g", FUNC_KIND, 0)] * 3
    assert m.count(FUNC_KIND) == 3
