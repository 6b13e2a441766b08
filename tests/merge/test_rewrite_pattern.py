"""rewrite_pattern.py: the generated expression's fast path gives the same bytes, and the
same errors, as taking every instruction through the Python steps.

Instruction sequences are drawn from the whole opcode table (every immediate kind, every
index space remapped or not, widths that grow), so the expression, its capture groups
and the per-bytes replacement caches are all checked against the table-driven path.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasmmerge.binary import leb
from wasmmerge.binary.code import Catch, MemArg, encode_instr
from wasmmerge.binary.opcodes import ALL_OPS
from wasmmerge.binary.spaces import INDEX_KINDS
from wasmmerge.binary.types import FUNC, I32, RefType
from wasmmerge.errors import DecodeError, ValidationError
from wasmmerge.merger.rewrite import REMAPPABLE, Remap, rewrite
from wasmmerge.merger.rewrite_pattern import patch_pattern

SIZE = 150  # entries per remapped space; indices drawn up to SIZE + 5 so some are unknown
index = st.integers(0, SIZE + 5)

IMMEDIATES = {
    "blocktype": st.one_of(st.none(), st.just(I32), st.builds(RefType, st.booleans(), index), index),
    "heaptype": st.one_of(st.just(FUNC), index),
    "valtypes": st.lists(st.one_of(st.just(I32), st.builds(RefType, st.booleans(), index)), max_size=3).map(tuple),
    "catches": st.lists(st.one_of(st.builds(Catch, st.sampled_from([0, 1]), index, st.integers(0, 3)),
                                  st.builds(Catch, st.sampled_from([2, 3]), st.none(), st.integers(0, 3))),
                        max_size=3).map(tuple),
    "memarg": st.builds(MemArg, st.integers(0, 4), st.integers(0, 70000), st.integers(0, 3)),
    # br_table: counts on both sides of the expression's one-byte limit
    "labels": st.lists(st.integers(0, 200), min_size=1, max_size=140).map(tuple),
    "u32": st.integers(0, 2**32 - 1), "i32": st.integers(-2**31, 2**31 - 1), "i64": st.integers(-2**63, 2**63 - 1),
    "f32": st.integers(0, 2**32 - 1), "f64": st.integers(0, 2**64 - 1), "v128": st.integers(0, 2**128 - 1),
    "shuffle": st.binary(min_size=16, max_size=16), "lane": st.integers(0, 1), "castflags": st.integers(0, 3),
    "zero": st.just(0),
}


def _immediate(kind):
    return index if kind in INDEX_KINDS else IMMEDIATES[kind]


@st.composite
def instruction(draw):
    op = draw(st.sampled_from(ALL_OPS))
    return encode_instr(op, *(draw(_immediate(kind)) for kind in op.imms))



def _table(seed_and_limit):
    seed, limit = seed_and_limit
    rng = random.Random(seed)
    return [rng.randrange(limit) for _ in range(SIZE)]


# Each space left alone or mapped to values of 1 to 3 LEB bytes (so patches grow).
table = st.tuples(st.integers(0, 2**32), st.sampled_from([2, SIZE, 20000])).map(_table)
remaps = st.fixed_dictionaries({}, optional={space: table for space in REMAPPABLE})


def _outcome(code: bytes, maps: dict, skipper: bool):
    try:
        return rewrite(code, Remap(**maps), base=1000, use_skipper=skipper)
    except (DecodeError, ValidationError) as err:
        return type(err), str(err)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(instruction(), max_size=12), remaps)
def test_fast_path_equals_python_path(instrs, maps):
    code = b"".join(instrs) + b"\x0b"
    assert _outcome(code, maps, True) == _outcome(code, maps, False)


@settings(max_examples=200, deadline=None)
@given(st.lists(instruction(), min_size=1, max_size=6), remaps, st.data())
def test_truncated_bodies_fail_alike(instrs, maps, data):
    code = b"".join(instrs)
    cut = data.draw(st.integers(0, len(code) - 1))
    assert _outcome(code[:cut], maps, True) == _outcome(code[:cut], maps, False)


def _op(name):
    return next(op for op in ALL_OPS if op.name == name)


def test_repeated_immediates_reuse_the_cached_replacement_at_their_own_widths():
    call = _op("call")
    padded = b"\x10\x85\x80\x00"  # call 5 in three bytes
    code = encode_instr(call, 5) + padded + encode_instr(call, 5) + padded + b"\x0b"
    mapping = list(range(300))
    mapping[5] = 200
    out = rewrite(code, Remap(func=mapping))
    assert out == (encode_instr(call, 200) + b"\x10\xc8\x81\x00") * 2 + b"\x0b"


def test_short_and_long_br_tables_are_stepped_over():
    call = encode_instr(_op("call"), 1)
    for count in (0, 1, 127, 128, 300):
        table = encode_instr(_op("br_table"), tuple(range(count + 1)))
        out = rewrite(table + call + b"\x0b", Remap(func=[0, 7]))
        assert out == table + encode_instr(_op("call"), 7) + b"\x0b"


def test_one_byte_block_types_need_no_patch():
    found = patch_pattern(frozenset({"type"}))
    plain = b"\x02\x40\x03\x7f\x0b\x0b\x0b"  # block, loop (result i32), end, end, end
    whole = found.pattern.fullmatch(plain)
    assert whole is not None and whole.lastindex is None
    typed = b"\x02\x03\x0b\x0b"  # block (type 3)
    assert rewrite(typed, Remap(type=[0, 1, 2, 9])) == b"\x02\x09\x0b\x0b"


def test_unknown_index_is_reported_at_its_offset():
    code = encode_instr(_op("local.get"), 0) + encode_instr(_op("call"), 9) + b"\x0b"
    with pytest.raises(ValidationError, match="unknown func 9") as caught:
        rewrite(code, Remap(func=[1, 0]), base=100)
    assert caught.value.offset == 100 + 3


def test_memory_arguments_keep_their_offset_bytes():
    load = _op("i32.load")
    code = encode_instr(load, MemArg(2, 300, 0)) + encode_instr(load, MemArg(2, 300, 1)) + b"\x0b"
    out = rewrite(code, Remap(memory=[1, 2]))
    assert out == (encode_instr(load, MemArg(2, 300, 1)) + encode_instr(load, MemArg(2, 300, 2)) + b"\x0b")
    assert leb.write_unsigned(300) in out


def test_views_are_rewritten_like_bytes():
    code = encode_instr(_op("call"), 1) + encode_instr(_op("local.get"), 0) + b"\x0b"
    expected = encode_instr(_op("call"), 7) + encode_instr(_op("local.get"), 0) + b"\x0b"
    for view in (memoryview(code), memoryview(bytearray(code)), bytearray(code)):
        assert rewrite(view, Remap(func=[0, 7])) == expected


def test_a_lane_load_of_a_moved_memory_is_patched_on_every_python():
    # CPython before 3.11.5 (Debian 12's python3 is 3.11.2) ended a possessive run in the
    # middle of this instruction (python/cpython#106052): the fast path returned the body
    # unpatched. scan.run_of makes the run greedy there.
    load_lane = _op("v128.load8_lane")
    code = encode_instr(load_lane, MemArg(0, 0, 0), 0) + b"\x0b"
    expected = encode_instr(load_lane, MemArg(0, 0, 1), 0) + b"\x0b"
    assert rewrite(code, Remap(memory=[1, 1])) == expected
    assert rewrite(code, Remap(memory=[1, 1]), use_skipper=False) == expected
