"""The byte-driven body check (`validator/func.py`): same errors as decoding first.

Function bodies are checked straight from their bytes, and a body is malformed or not as
the decoder (`binary.code.decode_code`) says: when it fails on a body, the check must fail
with the very same error (class, message and offset), even where the check met an invalid
instruction before the malformed bytes. Bodies of the spec suite's modules, mutated with a
seeded generator, exercise both orders; a few hand-written cases pin them down.
"""

import json
import random

import pytest

from conftest import suite_dir, wat2wasm
from wasmmerge import decode
from wasmmerge.binary.code import decode_code
from wasmmerge.binary.model import Code
from wasmmerge.errors import DecodeError, ValidationError, WasmError
from wasmmerge.validator.module import check_body, check_module


def _suite_modules(limit=300):
    root = suite_dir("wasm-3.0")
    found = []
    for script in sorted(root.glob("*/*.json")):
        for cmd in json.loads(script.read_text())["commands"]:
            if cmd["type"] == "module":
                found.append((script.parent / cmd["filename"]).read_bytes())
    random.Random(11).shuffle(found)
    return found[:limit]


def _mutations(rng, body: bytes):
    """A few corrupted copies of a body: cut short, a byte changed, bytes inserted."""
    if len(body) > 1:
        yield body[:rng.randrange(1, len(body))]
    at = rng.randrange(len(body))
    yield body[:at] + bytes((rng.choice((0xFF, 0x80, 0x0B, 0x05, 0xFC, 0x41, rng.randrange(256))),)) + body[at + 1:]
    at = rng.randrange(len(body) + 1)
    yield body[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4))) + body[at:]


def _outcome(fn):
    try:
        fn()
    except WasmError as err:
        return type(err).__name__, err.message, err.offset
    return None


def test_malformed_bodies_fail_as_the_decoder_says():
    rng = random.Random(5)
    compared = malformed = 0
    for data in _suite_modules():
        module = decode(data, lazy=True)
        if not module.codes:
            continue
        try:
            ctx = check_module(module)
        except WasmError:
            continue
        imported = len(ctx.funcs) - len(module.codes)
        datacount = module.datacount is not None
        for index, code in enumerate(module.codes):
            for body in _mutations(rng, code.body):
                mutated = Code(code.locals, body, code.offset)
                decoded = _outcome(lambda: decode_code(mutated, datacount, ctx.multi_memory))
                checked = _outcome(lambda: check_body(ctx, imported + index, mutated))
                compared += 1
                if decoded is not None:
                    malformed += 1
                    assert checked == decoded, (body.hex(), checked, decoded)
                elif checked is not None:
                    assert checked[0] == "ValidationError", checked
    assert compared > 500 and malformed > 200


def _module(body_text: str):
    return decode(wat2wasm(f"(module (memory 1) (func (param i32) (result i32) {body_text}))"), lazy=True)


def test_an_invalid_instruction_before_malformed_bytes_reports_the_malformed_bytes():
    module = _module("local.get 0")
    ctx = check_module(module)
    code = module.codes[0]
    # i64.eqz on an i32 (invalid), then an i32.const whose LEB128 is too long (malformed).
    body = b"\x20\x00\x50" + b"\x41\xff\xff\xff\xff\xff\x7f" + b"\x0b"
    with pytest.raises(DecodeError) as caught:
        check_body(ctx, 0, Code(code.locals, body, code.offset))
    assert caught.value.message == "integer representation too long"
    assert caught.value.offset == code.offset + 4


def test_bytes_after_the_final_end_and_a_missing_end_are_malformed():
    module = _module("local.get 0")
    ctx = check_module(module)
    code = module.codes[0]
    with pytest.raises(DecodeError, match="section size mismatch"):
        check_body(ctx, 0, Code(code.locals, b"\x20\x00\x0b\x01", code.offset))
    with pytest.raises(DecodeError, match="unexpected end of section or function") as caught:
        check_body(ctx, 0, Code(code.locals, b"\x20\x00", code.offset))
    assert caught.value.offset == code.offset + 2


def test_inline_checks_and_handlers_agree_on_locations():
    """A mismatch met by an inline check is worded and placed by the handlers' rules."""
    module = _module("local.get 0")
    ctx = check_module(module)
    code = module.codes[0]
    cases = [
        (b"\x42\x00\x6a\x0b", "type mismatch: instruction requires [i32] but stack has [i64]", 2),   # i32.add
        (b"\x42\x00\x28\x02\x00\x0b", "type mismatch", 2),   # i32.load of an i64 address
        (b"\x20\x00\x28\x03\x00\x0b", "alignment must not be larger than natural", 2),
        (b"\x02\x40\x20\x00\x0b\x0b", "type mismatch: values remain", 4),   # block leaves a value
        (b"\x20\x00\x0d\x05\x0b", "unknown label 5", 2),
        (b"\x20\x00\x21\x07\x0b", "unknown local 7", 2),
    ]
    for body, message, at in cases:
        with pytest.raises(ValidationError) as caught:
            check_body(ctx, 0, Code(code.locals, body, code.offset))
        assert message in caught.value.message, (body.hex(), caught.value.message)
        assert (caught.value.offset, caught.value.func) == (code.offset + at, 0), body.hex()
