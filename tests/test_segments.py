"""Data segments as rows over the input's bytes (`binary/segments.py`): the same segments,
the same errors and the same encoding as the eager reader's `DataSegment` objects."""

import pytest

from wasmmerge.binary.model import DataSegment, Expr, Module
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.segments import DataSegments
from wasmmerge.binary.writer import encode_module
from wasmmerge.errors import DecodeError

from bytedsl import module, name, s, section, u32, vec

MEMORY = section(5, vec(b"\x00\x01", b"\x00\x01"))  # two memories of one page
I32_CONST = b"\x41"
GLOBAL_GET = b"\x23"
END = b"\x0b"


def active(offset: int, data: bytes) -> bytes:
    return b"\x00" + I32_CONST + s(offset) + END + name(data)


def passive(data: bytes) -> bytes:
    return b"\x01" + name(data)


def active_in(memory: int, offset_code: bytes, data: bytes) -> bytes:
    return b"\x02" + u32(memory) + offset_code + END + name(data)


SEGMENTS = [active(0, b"hello"), passive(b"\x00\xff"), active_in(1, I32_CONST + s(-8), b"x" * 200),
            active(70000, b""), active_in(0, GLOBAL_GET + u32(0), b"padded")]
WELL_FORMED = module(MEMORY, section(11, vec(*SEGMENTS)))


def lazy(data: bytes) -> Module:
    return decode_module(data, lazy=True, views=True)


def test_rows_read_the_segments_the_eager_reader_reads():
    rows, objects = lazy(WELL_FORMED).datas, decode_module(WELL_FORMED).datas
    assert isinstance(rows, DataSegments) and len(rows) == len(SEGMENTS)
    assert rows == objects and list(rows) == objects
    assert [(d.flags, d.offset and d.offset.offset) for d in rows] == [(d.flags, d.offset and d.offset.offset)
                                                                       for d in objects]
    assert rows[-1] == objects[-1] and rows[1:3] == objects[1:3]
    with pytest.raises(IndexError):
        rows[len(SEGMENTS)]


def test_rows_encode_to_the_same_bytes():
    assert encode_module(lazy(WELL_FORMED)) == WELL_FORMED == encode_module(decode_module(WELL_FORMED))


@pytest.mark.parametrize("data", [
    module(MEMORY, section(11, vec(b"\x03" + I32_CONST + s(0) + END + name(b"a")))),  # bad kind
    module(MEMORY, section(11, vec(active(0, b"abc"))[:-1])),  # bytes cut short
    module(MEMORY, section(11, u32(2) + active(0, b"a"))),  # fewer segments than counted
    module(MEMORY, section(11, vec(b"\x00" + I32_CONST + s(0) + name(b"ab")))),  # offset without end
    module(MEMORY, section(11, vec(active(0, b"a")) + b"\x00")),  # trailing byte
], ids=["kind", "cut-short", "count", "no-end", "trailing"])
def test_malformed_sections_fail_as_in_the_eager_reader(data):
    _fails_as_in_the_eager_reader(data)


def _fails_as_in_the_eager_reader(data):
    with pytest.raises(DecodeError) as eager:
        decode_module(data, lazy=True)
    with pytest.raises(DecodeError) as rows:
        lazy(data)
    assert (rows.value.message, rows.value.offset) == (eager.value.message, eager.value.offset)


def test_adopted_rows_are_remapped_and_written_like_moved_objects():
    source = lazy(WELL_FORMED).datas
    memories = [1, 0]

    def convert(expr):  # what the merger's constant expressions do: here, global 0 is 4
        assert expr.code[0] != I32_CONST[0]  # a plain constant has nothing to convert
        return Expr(I32_CONST + s(4) + END, expr.offset) if expr.code == GLOBAL_GET + u32(0) + END else expr

    merged = DataSegments()
    merged.append(DataSegment("passive", b"first"))  # an object row before the adopted ones
    assert merged.adopt(source, memories, convert) == 1
    assert merged.adopt(DataSegments(), memories, convert) == len(merged) and merged.has_passive()
    merged.make_passive(3)
    expected = [DataSegment("passive", b"first")]
    for seg in decode_module(WELL_FORMED).datas:
        if seg.mode == "active":
            seg.memory = memories[seg.memory]
            if seg.offset.code[0] != I32_CONST[0]:
                seg.offset = convert(seg.offset)
        expected.append(seg)
    seg = expected[3]
    seg.mode, seg.offset, seg.memory, seg.flags = "passive", None, 0, None
    assert merged == expected
    assert [merged.is_active(i) for i in range(len(merged))] == [d.mode == "active" for d in expected]
    assert [merged.size(i) for i in range(len(merged))] == [len(d.data) for d in expected]
    assert [(i, m, o.code, n) for i, m, o, n in merged.active(0, len(merged))] == [
        (i, d.memory, d.offset.code, len(d.data)) for i, d in enumerate(expected) if d.mode == "active"]
    objects = Module(datas=expected)
    assert encode_module(Module(datas=merged)) == encode_module(objects)


def test_replacing_a_segment_stores_it():
    rows = lazy(WELL_FORMED).datas
    assert rows.has_passive()
    rows[1] = DataSegment("active", b"no longer passive", 0, Expr(I32_CONST + s(1) + END))
    assert not rows.has_passive()
    rows[0] = DataSegment("active", b"bye", 0, Expr(I32_CONST + s(9) + END))
    assert rows[0].data == b"bye" and rows[0].offset.code == I32_CONST + s(9) + END
    assert rows[2] == decode_module(WELL_FORMED).datas[2]


# -- function bodies as rows (`binary/bodies.py`) ---------------------------------------------

I32 = b"\x7f"
F64 = b"\x7c"
BODIES = [vec() + b"\x0b",  # empty, no locals (the reader's short path)
          vec(u32(2) + I32, u32(1) + F64) + b"\x20\x00\x1a\x0b",  # two groups of locals
          vec(u32(2) + I32, u32(1) + F64) + b"\x01\x0b",  # the same locals again
          vec() + b"\x41" + s(-5) + b"\x1a\x0b"]
FUNCS = module(section(1, vec(b"\x60\x00\x00")), section(3, vec(*[b"\x00"] * len(BODIES))),
               section(10, vec(*[u32(len(b)) + b for b in BODIES])))


def test_body_rows_read_the_bodies_the_eager_reader_reads():
    from wasmmerge.binary.bodies import CodeTable
    rows, objects = lazy(FUNCS).codes, decode_module(FUNCS, lazy=True).codes
    assert isinstance(rows, CodeTable) and len(rows) == len(BODIES)
    assert rows == objects and [c.offset for c in rows] == [c.offset for c in objects]
    assert rows.body_sizes() == [len(c.body) for c in objects]
    assert encode_module(lazy(FUNCS)) == FUNCS


@pytest.mark.parametrize("data", [
    module(section(1, vec(b"\x60\x00\x00")), section(3, vec(b"\x00")), section(10, vec(u32(9) + b"\x00\x0b"))),
    module(section(1, vec(b"\x60\x00\x00")), section(3, vec(b"\x00")),
           section(10, vec(u32(4) + vec(u32(1) + b"\x55") + b"\x0b"))),  # bad local type
    module(section(1, vec(b"\x60\x00\x00")), section(3, vec(b"\x00")),
           section(10, vec(u32(8) + vec(u32(2**32 - 1) + I32, u32(1) + I32) + b"\x0b"))),  # too many locals
], ids=["cut-short", "bad-local", "too-many-locals"])
def test_malformed_bodies_fail_as_in_the_eager_reader(data):
    _fails_as_in_the_eager_reader(data)


def test_adopted_bodies_keep_their_bytes_with_locals_retyped():
    from wasmmerge.binary.bodies import CodeTable
    from wasmmerge.binary.model import Code
    source = lazy(FUNCS).codes
    merged = CodeTable()
    merged.append(Code([], b"\x01\x0b"))
    merged.adopt(source, lambda groups: [(n + 1, t) for n, t in groups])
    expected = [Code([], b"\x01\x0b")] + [Code([(n + 1, t) for n, t in c.locals], c.body, c.offset)
                                          for c in decode_module(FUNCS, lazy=True).codes]
    assert merged == expected and merged[1:3] == expected[1:3]
    merged[2] = Code([], b"\x0b")
    assert merged[2] == Code([], b"\x0b") and merged[3] == expected[3]
