"""The merger's rewrite-and-check pass over the bodies: the same first error, naming the
input and its own function index, on one process or spread over forked workers."""

import pytest

from conftest import wat2wasm
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.writer import encode_module
from wasmmerge.errors import DecodeError, ValidationError
from wasmmerge.merger import MergeOptions, merge

FUNCS = 30


def _inputs(bad: dict[int, bytes]):
    """lib, and app importing from lib (so every function index of app moves), with app's
    bodies `bad` replaced."""
    lib = wat2wasm("(module " + "".join(
        f'(func (export "f{i}") (param i32) (result i32) local.get 0 i32.const {i} i32.add)'
        for i in range(FUNCS)) + ")")
    app = decode_module(wat2wasm('(module (import "lib" "f3" (func $f3 (param i32) (result i32))) ' + "".join(
        f"(func (param i32) (result i32) local.get 0 call $f3 i32.const {i} i32.add)"
        for i in range(FUNCS)) + ")"))
    for i, body in bad.items():
        app.codes[i].body = body
    data = encode_module(app)
    return [("lib", lib), ("app", data)], decode_module(data, lazy=True)


def _error(inputs, **options):
    with pytest.raises((ValidationError, DecodeError)) as caught:
        merge(inputs, MergeOptions(**options))
    return caught.value


def test_first_invalid_body_is_the_same_error_on_any_number_of_workers():
    inputs, app = _inputs({12: b"\x6a\x0b", 25: b"\x1a\x0b"})  # i32.add, drop on an empty stack
    found = [_error(inputs, jobs=jobs) for jobs in (1, 2, 3)]
    assert len({(type(e), str(e), e.offset) for e in found}) == 1
    err = found[0]
    assert type(err) is ValidationError
    # App's function 13 (one import before it); the offset is that of the instruction in app.
    assert err.message.startswith("app: function 13: type mismatch")
    assert err.offset == app.codes[12].offset


def test_malformed_body_is_reported_by_the_rewrite_with_or_without_validation():
    inputs, app = _inputs({7: b"\x20\x00\x10\x00\xff\x0b", 20: b"\xfe"})  # an unknown opcode
    found = [_error(inputs, jobs=jobs) for jobs in (1, 2, 3)]
    found.append(_error(inputs, validate=False))
    assert len({(type(e), str(e)) for e in found}) == 1
    err = found[0]
    assert type(err) is DecodeError and err.message.startswith("app: function 8: ")
    assert err.offset == app.codes[7].offset + 4


def test_valid_inputs_merge_to_the_same_bytes_on_any_number_of_workers():
    inputs, _ = _inputs({})
    outputs = {merge(inputs, MergeOptions(jobs=jobs)).data for jobs in (1, 2, 3)}
    outputs.add(merge(inputs, MergeOptions(validate=False)).data)
    assert len(outputs) == 1
