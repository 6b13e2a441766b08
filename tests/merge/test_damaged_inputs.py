"""Damaged inputs to the merger: real modules with random bytes changed, cut out or
inserted, merged with each export-conflict policy. Whatever the damage, the merge either
succeeds with a module our validator accepts, or stops with our one-line error (a
WasmError), never with another exception. A fixed seed: the same inputs every run."""

import contextlib
import io
import random

import pytest

from wasmmerge import decode, validate
from wasmmerge.errors import WasmError
from wasmmerge.merger.options import MergeOptions
from wasmmerge.merger.pipeline import merge

from conftest import FIXTURES, wat2wasm
from damage import mutated

CASES = 300


def test_damaged_modules_merge_or_fail_cleanly():
    inputs = [("mathlib", wat2wasm(FIXTURES / "demo" / "mathlib.wat")), ("app", wat2wasm(FIXTURES / "demo" / "app.wat"))]
    rng = random.Random("wasmmerge-merge")
    merged = 0
    for case in range(CASES):
        victim = rng.randrange(len(inputs))
        damaged = [(name, mutated(data, rng) if k == victim else data) for k, (name, data) in enumerate(inputs)]
        options = MergeOptions(export_conflicts=rng.choice(["error", "rename", "skip"]))
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                result = merge(damaged, options)
        except WasmError:
            continue  # the command prints it in one line, status 1
        except Exception as err:  # a traceback for the user
            pytest.fail(f"case {case} (input {victim}, {options.export_conflicts}): {type(err).__name__}: {err}")
        validate(decode(result.data))  # (a merge that succeeds writes a valid module)
        merged += 1
    assert 0 < merged < CASES  # some damage leaves a valid module (a changed constant, say)
