"""Custom-section handlers on hand-written bytes: every subsection and entry form round
trips, and malformed input is a DecodeError naming the section and the exact offset."""

import pytest

from bytedsl import module, name, section, u32, vec
from wasmmerge import custom
from wasmmerge.binary import leb
from wasmmerge.custom import build_id, dylink, linking, names, producers, reloc, target_features
from wasmmerge.errors import DecodeError
from wasmmerge.inspect_cmd import describe


def s(n: int) -> bytes:
    return leb.write_signed(n)


def sub(sid: int, payload: bytes, width: int = 1) -> bytes:
    return bytes((sid,)) + leb.write_unsigned_width(len(payload), width) + payload


SYMBOLS = vec(
    b"\x00" + u32(0) + u32(3) + name("defined_func"),  # function, defined
    b"\x00" + u32(linking.UNDEFINED) + u32(0),  # undefined function: named by its import
    b"\x00" + u32(linking.UNDEFINED | linking.EXPLICIT_NAME) + u32(1) + name("renamed"),
    b"\x01" + u32(linking.BINDING_WEAK) + name("blob") + u32(2) + u32(16) + u32(300),  # defined data
    b"\x01" + u32(linking.UNDEFINED) + name("extern_data"),  # undefined data: no segment
    b"\x02" + u32(linking.BINDING_LOCAL) + u32(0) + name("sp"),  # global
    b"\x03" + u32(linking.BINDING_LOCAL) + u32(7),  # section: no name
    b"\x04" + u32(0) + u32(0) + name("exn"),  # tag
    b"\x05" + u32(linking.UNDEFINED) + u32(0),  # table
)
LINKING = (u32(2) + sub(8, SYMBOLS, 5) + sub(5, vec(name(".data.x") + u32(2) + u32(0),
                                                     name(".rodata.str") + u32(0) + u32(1)), 5)
           + sub(6, vec(u32(101) + u32(0), u32(65535) + u32(0)), 5)
           + sub(7, vec(name("group") + u32(0) + vec(b"\x01" + u32(0), b"\x00" + u32(2))), 5)
           + sub(42, b"future"))


def test_linking_round_trips_every_symbol_kind_and_unknown_subsections():
    parsed = linking.parse(LINKING)
    assert linking.encode(parsed) == LINKING
    kinds = [(sym.kind, sym.name, sym.index, sym.segment, sym.offset, sym.size) for sym in parsed.symbols]
    assert kinds == [(0, "defined_func", 3, None, None, None), (0, None, 0, None, None, None),
                     (0, "renamed", 1, None, None, None), (1, "blob", None, 2, 16, 300),
                     (1, "extern_data", None, None, None, None), (2, "sp", 0, None, None, None),
                     (3, None, 7, None, None, None), (4, "exn", 0, None, None, None),
                     (5, None, 0, None, None, None)]
    assert parsed.segments == [linking.SegmentInfo(".data.x", 2, 0), linking.SegmentInfo(".rodata.str", 0, 1)]
    assert [(f.priority, f.symbol) for f in parsed.init_funcs] == [(101, 0), (65535, 0)]
    assert parsed.comdats == [linking.Comdat("group", 0, [linking.ComdatMember(1, 0), linking.ComdatMember(0, 2)])]
    assert parsed.unknown == {42: b"future"}


def test_the_linkers_symbol_columns_hold_what_the_records_hold():
    """The linker reads the symbol table as columns (one list per field, the data
    symbols' segment fields by entry): entry for entry the records the others get."""
    records = linking.parse(LINKING).symbols
    table = linking.parse(LINKING, columns=True).symbols
    assert isinstance(table, linking.SymbolColumns) and len(table) == len(records)
    assert table.records() == records
    assert [table.record(k) for k in range(len(table))] == records
    assert list(table.kinds) == [sym.kind for sym in records] and table.names == [sym.name for sym in records]
    assert table.data == {3: (2, 16, 300)}  # only the defined data symbol has segment fields
    assert linking.SymbolColumns.of(records) == table


def test_symbol_kinds_alone_are_the_tables_kinds():
    """The read-ahead process reads only each entry's kind, skipping every other field:
    the same kinds, whatever each entry's fields take (multi-byte flags, indices,
    offsets and names; the symbol table after another subsection; none at all)."""
    wide = vec(
        b"\x01" + u32(linking.TLS) + name("t" * 200) + u32(300) + u32(1 << 40) + u32(1 << 20),  # 2-byte flags
        b"\x00" + u32(linking.UNDEFINED | linking.EXPLICIT_NAME) + u32(1000) + name("x" * 130),
        b"\x03" + u32(linking.BINDING_LOCAL) + u32(200),
        b"\x00" + u32(linking.UNDEFINED) + u32(70000),
        b"\x02" + u32(0) + u32(129) + name("g"),
    )
    for payload in (LINKING, u32(2) + sub(6, vec(u32(1) + u32(0))) + sub(8, wide), u32(2) + sub(6, vec())):
        table = linking.parse(payload, columns=True).symbols
        assert linking.symbol_kinds(payload) == (table.kinds if table is not None else b"")
    assert list(linking.symbol_kinds(LINKING)) == [0, 0, 0, 1, 1, 2, 3, 4, 5]


def test_a_built_linking_section_is_minimal_and_parses_back():
    built = linking.Linking(symbols=[linking.Symbol(0, 0, "f", 0)], init_funcs=[linking.InitFunc(1, 0)])
    raw = linking.encode(built)
    assert raw == u32(2) + sub(8, vec(b"\x00" + u32(0) + u32(0) + name("f"))) + sub(6, vec(u32(1) + u32(0)))
    assert linking.parse(raw) == built


def test_dylink_round_trips_every_subsection():
    raw = (sub(1, u32(1024) + u32(4) + u32(3) + u32(0)) + sub(2, vec(name("libc.so"), name("libm.so")))
           + sub(3, vec(name("tls") + u32(linking.TLS | linking.VISIBILITY_HIDDEN)))
           + sub(4, vec(name("env") + name("weak_fn") + u32(linking.BINDING_WEAK)))
           + sub(5, vec(name("$ORIGIN/lib"))) + sub(9, b"\x01\x02"))
    parsed = dylink.parse(raw)
    assert dylink.encode(parsed) == raw
    assert parsed.mem_info == dylink.MemInfo(1024, 4, 3, 0)
    assert parsed.needed == ["libc.so", "libm.so"]
    assert parsed.exports == [dylink.ExportInfo("tls", 0x104)]
    assert parsed.imports == [dylink.ImportInfo("env", "weak_fn", 1)]
    assert parsed.runtime_path == ["$ORIGIN/lib"]
    assert parsed.unknown == {9: b"\x01\x02"}
    assert custom.summary("dylink.0", raw) == ("memory 1024 bytes align 16, table 3 align 1; "
                                               "needed libc.so libm.so; 1 export infos; 1 import infos; "
                                               "1 runtime paths")


def test_reloc_round_trips_addends_of_32_and_64_bit_types():
    raw = u32(3) + vec(
        u32(0) + u32(5) + u32(1),  # R_WASM_FUNCTION_INDEX_LEB: no addend
        u32(4) + u32(9) + u32(2) + s(-8),  # R_WASM_MEMORY_ADDR_SLEB
        u32(16) + u32(20) + u32(2) + s(2**40),  # R_WASM_MEMORY_ADDR_I64: 64-bit addend
        u32(22) + u32(30) + u32(0) + s(-2**62),  # R_WASM_FUNCTION_OFFSET_I64
        u32(20) + u32(40) + u32(0),  # R_WASM_TABLE_NUMBER_LEB
    )
    parsed = reloc.parse(raw)
    assert parsed.section == 3
    assert parsed.entries == [(0, 5, 1, None), (4, 9, 2, -8), (16, 20, 2, 2**40), (22, 30, 0, -2**62),
                              (20, 40, 0, None)]
    assert reloc.encode(parsed) == raw


def test_reloc_reads_every_width_of_offset_index_and_addend():
    # The reader decodes the short LEB128s inline (offsets to 3 bytes, indices to 2,
    # addends to 3) and the rest through the LEB reader: each width, and each boundary
    # between them, in both signs.
    addends = [0, 1, 63, 64, -1, -64, -65, 8191, 8192, -8192, -8193, 2**20 - 1, 2**20, -2**20, -2**20 - 1,
               2**31 - 1, -2**31, 300000, -300000]
    wide = [0, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**32 - 1]
    entries = [(4, offset, index, addend) for offset, index, addend in zip(wide * 3, reversed(wide * 3), addends)]
    entries.sort(key=lambda e: e[1])
    raw = reloc.encode(reloc.RelocSection(5, entries))
    assert reloc.parse(raw).entries == entries


def test_small_sections_round_trip():
    raw = vec(name("language") + vec(name("C11") + name("")), name("processed-by") + vec(name("clang") + name("17")))
    assert producers.encode(producers.parse(raw)) == raw
    raw = vec(b"+" + name("simd128"), b"-" + name("atomics"), b"=" + name("bulk-memory"))
    assert target_features.encode(target_features.parse(raw)) == raw
    raw = name(bytes(range(20)))
    assert build_id.parse(raw) == build_id.BuildId(bytes(range(20)))
    assert build_id.encode(build_id.parse(raw)) == raw
    raw = sub(0, name("mod")) + sub(1, vec(u32(0) + name("f"), u32(2) + name("g"))) + sub(12, b"\x00")
    assert names.encode(names.parse(raw)) == raw


# (section name, bytes, message the DecodeError starts with, offset within the payload)
PRODUCERS_PREFIX = u32(1) + name("language") + u32(1) + name("C")
MALFORMED = [
    ("producers", PRODUCERS_PREFIX + b"\x05ab", "malformed producers section: unexpected end",
     len(PRODUCERS_PREFIX) + 1),
    ("producers", u32(1) + b"\x02\xff\xfe" + u32(0), "malformed producers section: malformed UTF-8 encoding", 2),
    ("producers", PRODUCERS_PREFIX + name("1") + b"\x00", "malformed producers section: 1 unexpected bytes",
     len(PRODUCERS_PREFIX) + 2),
    ("target_features", vec(b"*" + name("simd128")), "malformed target_features section: unknown feature prefix", 1),
    ("target_features", b"\x80\x80\x80\x80\x80\x00", "malformed target_features section: integer representation "
     "too long", 0),
    ("linking", u32(1), "malformed linking section: unsupported version 1", 0),
    ("linking", u32(2) + sub(8, vec(b"\x09" + u32(0)), 5),
     "malformed linking WASM_SYMBOL_TABLE subsection: unknown symbol kind 9", 1 + 1 + 5 + 1),
    ("linking", u32(2) + sub(5, vec(name("x") + u32(0) + u32(0)) + b"\x00"),
     "malformed linking WASM_SEGMENT_INFO subsection: 1 unexpected bytes", 1 + 2 + 5),
    ("linking", u32(2) + b"\x08\x10\x00", "malformed linking section: unexpected end", 3),
    ("linking", u32(2) + sub(6, vec()) + sub(6, vec()), "malformed linking section: duplicate subsection 6", 4),
    ("linking", u32(2) + sub(7, vec(name("g") + u32(0) + vec(b"\x07" + u32(0)))),
     "malformed linking WASM_COMDAT_INFO subsection: unknown comdat member kind 7", 3 + 1 + 2 + 1 + 1),
    ("dylink.0", sub(1, u32(16) + u32(2)), "malformed dylink.0 WASM_DYLINK_MEM_INFO subsection: unexpected end", 4),
    ("dylink.0", sub(2, vec(name("a"), b"\x80")), "malformed dylink.0 WASM_DYLINK_NEEDED subsection: unexpected end",
     2 + 1 + 2 + 1),
    ("reloc.CODE", u32(3) + vec(u32(0) + u32(1) + u32(0), u32(99) + u32(0) + u32(0)),
     "malformed reloc.CODE section: unknown relocation type 99", 5),
    ("reloc.CODE", u32(3) + vec(u32(4) + u32(1) + u32(0)), "malformed reloc.CODE section: unexpected end", 5),
    ("reloc.DATA", u32(3) + vec() + b"\x00", "malformed reloc.DATA section: 1 unexpected bytes", 2),
    ("build_id", b"\x08abc", "malformed build_id section: unexpected end", 1),
    ("name", sub(1, vec(u32(0) + name("f"))) + b"\x04\x09\x00", "malformed name section: subsection extends", 6),
]


@pytest.mark.parametrize("section,data,message,offset", MALFORMED,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MALFORMED)])
def test_malformed_sections_name_section_and_offset(section, data, message, offset):
    with pytest.raises(DecodeError) as caught:
        custom.summary(section, data, base=0x100)
    assert caught.value.message.startswith(message)
    assert caught.value.offset == 0x100 + offset


def test_inspect_summarises_known_sections_and_locates_malformed_ones():
    good = section(0, name("producers") + vec(name("language") + vec(name("C") + name(""))))
    bad = section(0, name("target_features") + vec(b"*" + name("x")))
    other = section(0, name("my.meta") + b"\x01")
    info = describe(module(good, bad, other))
    # The bad prefix byte: header 8 + producers section 26 + id, size, name 18 + count 1.
    assert info["custom_sections"] == [
        {"name": "producers", "size": 14, "summary": "language: C"},
        {"name": "target_features", "size": 4,
         "summary": "malformed: malformed target_features section: unknown feature prefix 42 (at offset 0x35)"},
        {"name": "my.meta", "size": 1, "summary": None},
    ]
