"""rewrite.py: every index-bearing immediate of the opcode table is patched, nothing else is.

The cases are generated from the opcode table, so a new row is covered automatically.
"""

import pytest

from wasmmerge.binary import leb
from wasmmerge.binary.code import Catch, MemArg, decode_instrs, encode_instr
from wasmmerge.binary.opcodes import ALL_OPS
from wasmmerge.binary.spaces import COMPOUND_SPACES, INDEX_KINDS, VECTOR_KINDS, spaces_of
from wasmmerge.binary.types import I32, RefType
from wasmmerge.errors import DecodeError, ValidationError
from wasmmerge.merger.rewrite import REMAPPABLE, Remap, build_skipper, every_index_immediate, rewrite

OLD, NEW = 3, 200  # NEW needs two LEB bytes, so patches also change sizes


def _arg(kind: str, index: int):
    """An immediate of `kind` naming `index` wherever it names one."""
    if kind in INDEX_KINDS:
        return index
    return {
        "blocktype": index, "heaptype": index, "valtypes": (I32, RefType(True, index)),
        "catches": (Catch(0, index, 0), Catch(1, index, 0), Catch(2, None, 0)),
        "memarg": MemArg(0, 16, index), "labels": (0, 1, 0),
        "u32": 2, "i32": -5, "i64": 7, "f32": 0x3F800000, "f64": 0x3FF0000000000000, "v128": 1,
        "lane": 0, "shuffle": bytes(16), "castflags": 1, "zero": 0,
    }[kind]


def _mapped(kind: str, value, space: str):
    """What an immediate built by `_arg(kind, OLD)` should become when `space` maps OLD to NEW."""
    def m(i):
        return NEW if i == OLD else i
    if kind in INDEX_KINDS:
        return m(value) if kind == space else value
    spaces = COMPOUND_SPACES.get(kind, ())
    if space not in spaces:
        return value
    if kind in ("blocktype", "heaptype"):
        return m(value)
    if kind == "valtypes":
        return tuple(RefType(t.nullable, m(t.heap)) if isinstance(t, RefType) else t for t in value)
    if kind == "catches":
        return tuple(Catch(c.kind, None if c.tag is None else m(c.tag), c.label) for c in value)
    if kind == "memarg":
        return MemArg(value.align, value.offset, m(value.memory))
    return value


def _cases():
    for op in ALL_OPS:
        spaces = set()
        for kind in op.imms:
            spaces.update(spaces_of(kind))
        for space in sorted(spaces & set(REMAPPABLE)):
            yield pytest.param(op, space, id=f"{op.name}-{space}")


@pytest.mark.parametrize("op,space", list(_cases()))
@pytest.mark.parametrize("skipper", [True, False], ids=["skipper", "python"])
def test_every_index_immediate_is_patched(op, space, skipper):
    args = tuple(_arg(kind, OLD) for kind in op.imms)
    # Surround the instruction with unrelated ones so the skipper has runs to skip.
    before = encode_instr(_op("local.get"), 1) + encode_instr(_op("i32.const"), 0x12345)
    code = before + encode_instr(op, *args) + encode_instr(_op("nop"))
    table = list(range(NEW + 1))
    table[OLD] = NEW
    out = rewrite(code, Remap(**{space: table}), use_skipper=skipper)
    expected = tuple(_mapped(kind, value, space) for kind, value in zip(op.imms, args))
    assert expected != args
    # The inputs are minimal encodings and NEW needs a longer one: the result is exactly
    # the minimal encoding of the remapped instruction, its neighbours untouched.
    assert out == before + encode_instr(op, *expected) + encode_instr(_op("nop"))


def test_generated_cases_cover_every_index_immediate():
    listed = {(op.name, kind) for op, kind in every_index_immediate()}
    assert ("call", "func") in listed and ("memory.init", "data") in listed
    assert ("try_table", "catches") in listed and ("i32.load", "memarg") in listed
    covered = {p.values[0].name for p in _cases()}
    assert {name for name, _ in listed} <= covered


def _op(name):
    return next(op for op in ALL_OPS if op.name == name)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
def test_skipper_steps_over_exactly_one_instruction(op):
    """With nothing remapped, the generated expression skips every instruction it accepts
    exactly (and refuses only counted vectors, left to the Python path)."""
    pattern = build_skipper(frozenset())
    code = encode_instr(op, *(_arg(kind, OLD) for kind in op.imms))
    matched = pattern.match(code + b"\xff\xff").end()
    if VECTOR_KINDS.intersection(op.imms):
        assert matched == 0
    else:
        assert matched == len(code)


def test_identity_remap_returns_the_same_object():
    code = encode_instr(_op("call"), 5) + b"\x0b"
    assert rewrite(code, Remap(func=[0, 1, 2, 3, 4, 5])) is code


def test_padded_leb_keeps_its_width():
    code = b"\x10" + bytes((0x85, 0x80, 0x80, 0x00)) + b"\x0b"  # call 5, padded to 4 bytes
    table = list(range(300))
    table[5] = 260
    out = rewrite(code, Remap(func=table))
    assert len(out) == len(code)
    assert leb.read_u32(out, 1) == (260, 5)


def test_signed_width_pads_type_indices():
    assert leb.write_signed_width(3, 2) == b"\x83\x00"
    assert leb.read_s33(leb.write_signed_width(100, 3), 0) == (100, 3)
    assert leb.write_signed_width(100, 1) == leb.write_signed(100)  # does not fit: minimal
    assert leb.read_s64(leb.write_signed_width(-3, 4), 0) == (-3, 4)


def test_memory_zero_becomes_explicit_when_moved():
    load = encode_instr(_op("i32.load"), MemArg(2, 8, 0))
    out = rewrite(load + b"\x0b", Remap(memory=[1]))
    instrs, _ = decode_instrs(out, 0)
    assert instrs[0].args == (MemArg(2, 8, 1),)


def test_out_of_range_index_is_an_error():
    with pytest.raises(ValidationError, match="unknown func 9"):
        rewrite(encode_instr(_op("call"), 9) + b"\x0b", Remap(func=[1, 0]))


def test_illegal_opcode_is_a_decode_error_with_offset():
    with pytest.raises(DecodeError) as caught:
        rewrite(b"\x01\xff\x0b", Remap(func=[1, 0]), base=100)
    assert caught.value.offset == 101
