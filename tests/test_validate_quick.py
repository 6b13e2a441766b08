"""The body check's quick tests (`validator/stream.py`) accept only what the handlers accept.

Each quick test covers the commonest form of an instruction and leaves everything else
to the general code and the handlers, which word the errors. These bodies sit just
outside a quick test's reach (a memarg naming another memory, an `if` without `else`
that yields a value, reused block frames, a call index of three bytes) and pin down that
the verdict, message and offset are the handlers'.
"""

import pytest

from conftest import wat2wasm
from wasmmerge import decode
from wasmmerge.binary.leb import write_unsigned
from wasmmerge.binary.model import Code
from wasmmerge.errors import ValidationError
from wasmmerge.validator.module import check_body, check_module


def _context(wat: str):
    module = decode(wat2wasm(wat), lazy=True)
    return module, check_module(module)


def _check(module, ctx, body: bytes, func: int = 0):
    code = module.codes[func]
    check_body(ctx, func, Code(code.locals, body, code.offset))


def _fails(module, ctx, body: bytes, message: str, at: int, func: int = 0):
    code = module.codes[func]
    with pytest.raises(ValidationError) as caught:
        check_body(ctx, func, Code(code.locals, body, code.offset))
    assert message in caught.value.message, (body.hex(), caught.value.message)
    assert (caught.value.offset, caught.value.func) == (code.offset + at, func), body.hex()


TWO_MEMORIES = "(module (memory 1) (memory i64 1) (func (param i32) (result i32) local.get 0))"


def test_memargs_naming_a_memory():
    module, ctx = _context(TWO_MEMORIES)
    _check(module, ctx, b"\x42\x00\x28\x42\x01\x00\x0b")             # i32.load of memory 1 (i64 address)
    _check(module, ctx, b"\x42\x00\x20\x00\x36\x42\x01\x80\x01\x20\x00\x0b")  # i32.store, offset 128
    _check(module, ctx, b"\x20\x00\x28\x42\x00\x00\x0b")             # memory 0 named explicitly
    _fails(module, ctx, b"\x20\x00\x28\x42\x01\x00\x0b", "type mismatch", 2)
    _fails(module, ctx, b"\x42\x00\x28\x43\x01\x00\x0b", "alignment must not be larger than natural", 2)
    _fails(module, ctx, b"\x20\x00\x28\x42\x02\x00\x0b", "unknown memory 2", 2)
    _fails(module, ctx, b"\x20\x00\x20\x00\x36\x42\x01\x00\x20\x00\x0b", "type mismatch", 4)


def test_parametric_and_control_instructions():
    module, ctx = _context("(module (func (param i32) (result i32) local.get 0))")
    _fails(module, ctx, b"\xd0\x70\xd0\x70\x20\x00\x1b\x1a\x20\x00\x0b",
           "select without a type needs numeric operands", 6)
    _fails(module, ctx, b"\x20\x00\x42\x00\x20\x00\x1b\x0b", "type mismatch: select operands", 6)
    _fails(module, ctx, b"\x20\x00\x04\x7f\x20\x00\x0b\x0b", "type mismatch", 6)   # if without else
    _fails(module, ctx, b"\x42\x00\x0f\x0b", "type mismatch", 2)                   # return of an i64
    _fails(module, ctx, b"\x1a\x20\x00\x0b", "type mismatch", 0)                   # drop of nothing
    _check(module, ctx, b"\x00\x6a\x0b")                                           # after unreachable
    _check(module, ctx, b"\x20\x00\x04\x40\x01\x0b\x20\x00\x0b")                   # if without else, empty
    # A loop reusing a block's frame branches to its own (empty) parameters, not the
    # block's results: br_if 0 pops only its condition.
    _check(module, ctx, b"\x02\x7f\x20\x00\x0b\x1a\x03\x7f\x20\x00\x0d\x00\x20\x00\x0b\x0b")
    _fails(module, ctx, b"\x02\x7f\x20\x00\x0b\x1a\x03\x7f\x0d\x00\x20\x00\x0b\x0b", "type mismatch", 8)


def test_calls_with_three_byte_indices():
    count = 16_500
    module, ctx = _context("(module " + "(func (param i32) (result i32) local.get 0)" * count + ")")
    far = write_unsigned(16_400)
    assert len(far) == 3
    _check(module, ctx, b"\x20\x00\x10" + far + b"\x0b")
    _fails(module, ctx, b"\x42\x00\x10" + far + b"\x0b", "type mismatch", 2)
    _fails(module, ctx, b"\x20\x00\x10" + write_unsigned(count) + b"\x0b", f"unknown function {count}", 2)


def test_a_body_too_large_to_copy_is_checked_from_its_bytes():
    module, ctx = _context("(module (func (param i32) (result i32) local.get 0))")
    nops = b"\x01" * ((1 << 20) + 1)   # past what the loop copies into a list
    _check(module, ctx, nops + b"\x20\x00\x0b")
    _fails(module, ctx, nops + b"\x42\x00\x0b", "type mismatch", len(nops) + 2)
