"""The codec on hand-written inputs: structure, encoding choices, and hostile bytes."""

import pytest
from hypothesis import given, settings, strategies as st

from bytedsl import body, functype, module, name, section, u32, vec
from conftest import wat2wasm
from wasmmerge import DecodeError, WasmError, decode, encode
from wasmmerge.binary import opcodes
from wasmmerge.binary.code import decode_code, encode_instr, decode_instrs
from wasmmerge.binary.model import CODE, EXPORT, FUNCTION, TYPE, CustomSection
from wasmmerge.binary.types import FUNCREF, I32, FuncType, RefType

I32_ = 0x7F
ONE_FUNC = module(
    section(TYPE, vec(functype(b"", bytes((I32_,))))),
    section(FUNCTION, vec(u32(0))),
    section(EXPORT, vec(name("f") + b"\x00" + u32(0))),
    section(CODE, vec(body(b"\x41\x2a\x0b"))),
)


def test_decodes_hand_written_module():
    m = decode(ONE_FUNC)
    assert m.types[0].comp == FuncType((), (I32,))
    assert m.funcs == [0]
    assert m.exports[0].name == "f"
    instrs = decode_code(m.codes[0])
    assert [i.name for i in instrs] == ["i32.const", "end"]
    assert instrs[0].args == (42,)
    assert encode(m) == ONE_FUNC


def test_custom_sections_keep_their_place():
    data = module(
        section(0, name("first") + b"\x01"),
        section(TYPE, vec(functype())),
        section(0, name("after-type") + b"\x02\x03"),
        section(FUNCTION, vec(u32(0))),
        section(CODE, vec(body(b"\x0b"))),
        section(0, name("last")),
    )
    m = decode(data)
    assert [(c.name, c.after) for c in m.customs] == [("first", 0), ("after-type", TYPE), ("last", CODE)]
    assert encode(m) == data


def test_custom_section_after_a_missing_section_follows_the_nearest_earlier_one():
    m = decode(ONE_FUNC)
    m.customs.append(CustomSection("x", b"", after=9))  # element section: absent
    out = encode(m)
    # export (7) comes before element (9), code (10) after it: the custom section sits between.
    ids = []
    pos = 8
    while pos < len(out):
        ids.append(out[pos])
        pos += 2 + out[pos + 1]
    assert ids == [TYPE, FUNCTION, EXPORT, 0, CODE]


@pytest.mark.parametrize("op", opcodes.ALL_OPS, ids=lambda op: op.name)
def test_every_opcode_round_trips(op):
    """Each table row encodes and decodes to itself, immediates included."""
    samples = {
        "blocktype": None, "labels": (0, 1, 2), "memarg": None, "heaptype": 0,
        "valtypes": (I32, FUNCREF), "catches": (), "u32": 3, "i32": -5, "i64": -(2**40),
        "f32": 0x7FC00001, "f64": 0xFFF0000000000001, "v128": (1 << 127) | 5, "lane": 1,
        "shuffle": bytes(range(16)), "castflags": 3, "zero": 0,
    }
    from wasmmerge.binary.code import Catch, MemArg
    args = []
    for kind in op.imms:
        if kind == "memarg":
            args.append(MemArg(op.align or 0, 16, 1))
        elif kind == "catches":
            args.append((Catch(0, 1, 0), Catch(3, None, 1)))
        else:
            args.append(samples.get(kind, 7))
    raw = encode_instr(op, *args) + b"\x0b" * (2 if op.name in ("block", "loop", "if", "try", "try_table") else 1)
    if op.name in ("end", "delegate"):
        raw = encode_instr(op, *args)
    prefix = b""
    if op.name in ("else", "catch", "catch_all"):  # only legal inside a block
        prefix = b"\x02\x40"
        raw += b"\x0b"
    instrs, end = decode_instrs(prefix + raw)
    assert end == len(prefix + raw)
    first = instrs[1 if prefix else 0]
    assert first.op is op
    assert first.args == tuple(args)


def test_data_count_required_for_memory_init():
    data = module(
        section(TYPE, vec(functype())),
        section(FUNCTION, vec(u32(0))),
        section(5, vec(b"\x00\x01")),
        section(CODE, vec(body(b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b"))),
        section(11, vec(b"\x01" + vec())),
    )
    with pytest.raises(DecodeError, match="data count section required"):
        decode(data)


def test_absurd_vector_count_fails_fast_without_allocating():
    data = module(section(TYPE, u32(2**32 - 1) + functype()))
    with pytest.raises(DecodeError, match="unexpected end"):
        decode(data)


def test_too_many_locals():
    data = module(
        section(TYPE, vec(functype())),
        section(FUNCTION, vec(u32(0))),
        section(CODE, vec(body(b"\x0b", u32(2**31) + b"\x7f", u32(2**31) + b"\x7f"))),
    )
    with pytest.raises(DecodeError, match="too many locals"):
        decode(data)


def test_invalid_utf8_name():
    data = module(section(EXPORT, vec(name(b"\xff\xfe") + b"\x00" + u32(0))))
    with pytest.raises(DecodeError, match="malformed UTF-8 encoding"):
        decode(data)


def test_error_names_file_and_offset():
    with pytest.raises(DecodeError) as info:
        decode(ONE_FUNC[:-2], name="f.wasm")
    text = str(info.value)
    assert text.startswith("f.wasm: ") and "(at offset 0x" in text


def test_lazy_decode_defers_body_errors():
    broken = ONE_FUNC[:-3] + b"\xff\x0b" + ONE_FUNC[-1:]  # an illegal opcode in the body
    m = decode(broken, lazy=True)
    with pytest.raises(DecodeError, match="illegal opcode"):
        decode_code(m.codes[0])
    with pytest.raises(DecodeError, match="illegal opcode"):
        decode(broken)


def test_wat_fixture_round_trip():
    data = wat2wasm("""(module
      (type $t (func (param i32) (result i32 i32)))
      (memory 1) (table 2 funcref) (global $g (mut i32) (i32.const 7))
      (func $f (type $t) (local i64 f32) local.get 0 block (type $t) local.get 0 end)
      (elem (i32.const 0) $f) (data (i32.const 8) "hi")
      (export "f" (func $f)) (start $s) (func $s))""")
    assert encode(decode(data)) == data


def test_every_truncation_is_a_decode_error():
    """Cut anywhere but between sections, the module is malformed (cut there, it is a shorter
    module, or lacks the code for its functions)."""
    from wasmmerge.binary.reader import iter_sections
    boundaries = {8} | {s.start + s.size for s in iter_sections(ONE_FUNC)}
    for cut in range(len(ONE_FUNC)):
        if cut in boundaries:
            continue
        with pytest.raises(DecodeError):
            decode(ONE_FUNC[:cut])


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64), st.integers(8, len(ONE_FUNC)))
def test_random_bytes_never_crash(junk, at):
    data = ONE_FUNC[:at] + junk
    try:
        decode(data)
    except WasmError:
        pass


def test_reftype_shorthand_is_kept():
    assert RefType(True, FUNCREF.heap) == FUNCREF
