"""Every relocation type, one site each, in a hand-written object (byte DSL): the linked
module must hold, at each site, the value the type computes, read back from the output
with the codec (never with the linker's own tables).

The linker never decodes instructions, so the function body is just the relocated
fields in a row (5- or 10-byte padded LEB128s) and `end`; fixed-width sites sit in a
data segment and in a custom section.
"""

import subprocess
import sys

import pytest

from bytedsl import HEADER, name, section, u32, vec
from conftest import ROOT
from wasmmerge.binary import leb
from wasmmerge.binary.reader import decode_module, iter_sections
from wasmmerge.binary.types import FuncType, I32
from wasmmerge.custom.reloc_types import BY_NAME, RELOC_TYPES

# Symbol table of the object (index: meaning)
MAIN, TARGET, G, SITES, TABLE, TVAR, DEBUG_SECTION = range(7)
ADDEND = 3
CODE_SECTION, DATA_SECTION, DEBUG_SECTION_INDEX = 6, 7, 8  # see `_object` for the order

LEB_SITES = [  # (type, symbol or type index), in the function body
    ("R_WASM_FUNCTION_INDEX_LEB", MAIN), ("R_WASM_TABLE_INDEX_SLEB", MAIN), ("R_WASM_MEMORY_ADDR_LEB", TARGET),
    ("R_WASM_MEMORY_ADDR_SLEB", TARGET), ("R_WASM_TYPE_INDEX_LEB", 1), ("R_WASM_GLOBAL_INDEX_LEB", G),
    ("R_WASM_MEMORY_ADDR_REL_SLEB", TARGET), ("R_WASM_TABLE_INDEX_REL_SLEB", MAIN),
    ("R_WASM_MEMORY_ADDR_LEB64", TARGET), ("R_WASM_MEMORY_ADDR_SLEB64", TARGET),
    ("R_WASM_MEMORY_ADDR_REL_SLEB64", TARGET), ("R_WASM_TABLE_INDEX_SLEB64", MAIN),
    ("R_WASM_TABLE_NUMBER_LEB", TABLE), ("R_WASM_MEMORY_ADDR_TLS_SLEB", TVAR),
    ("R_WASM_TABLE_INDEX_REL_SLEB64", MAIN), ("R_WASM_MEMORY_ADDR_TLS_SLEB64", TVAR),
]
DATA_SITES = [
    ("R_WASM_TABLE_INDEX_I32", MAIN), ("R_WASM_MEMORY_ADDR_I32", TARGET), ("R_WASM_GLOBAL_INDEX_I32", G),
    ("R_WASM_MEMORY_ADDR_I64", TARGET), ("R_WASM_TABLE_INDEX_I64", MAIN),
    ("R_WASM_MEMORY_ADDR_LOCREL_I32", TARGET), ("R_WASM_FUNCTION_INDEX_I32", MAIN),
]
DEBUG_SITES = [("R_WASM_FUNCTION_OFFSET_I32", MAIN), ("R_WASM_SECTION_OFFSET_I32", DEBUG_SECTION),
               ("R_WASM_FUNCTION_OFFSET_I64", MAIN)]
COVERED = {t for t, _ in LEB_SITES + DATA_SITES + DEBUG_SITES}


def _width(type_name):
    return BY_NAME[type_name].width


def _relocs(sites, target_section):
    entries, offset, base = [], 0, 0
    for type_name, index in sites:
        rt = BY_NAME[type_name]
        entry = bytes((rt.number,)) + u32(offset + base) + u32(index)
        entries.append(entry + (leb.write_signed(ADDEND) if rt.has_addend else b""))
        offset += rt.width
    return u32(target_section) + vec(*entries), offset


def _sub(kind, payload):
    return bytes((kind,)) + u32(len(payload)) + payload


def _object(reverse: bool = False) -> bytes:
    """`reverse`: the reloc.CODE and reloc.DATA entries in reverse offset order (LLVM
    writes them in order; wasm-ld refuses any other, and so do we)."""
    order = (lambda entries: entries[::-1]) if reverse else (lambda entries: entries)
    body_fields = b"".join(b"\x80\x80\x80\x80\x00" if _width(t) == 5 else b"\x80" * 9 + b"\x00"
                           for t, _ in LEB_SITES)
    body = b"\x00" + body_fields + b"\x0b"
    code = vec(u32(len(body)) + body)
    code_relocs, _ = _relocs(LEB_SITES, CODE_SECTION)
    # Offsets in reloc.CODE count from the code section's payload: count, size, locals.
    code_relocs = u32(CODE_SECTION) + vec(*order([
        bytes((BY_NAME[t].number,)) + u32(2 + len(u32(len(body))) + sum(_width(x) for x, _ in LEB_SITES[:k]))
        + u32(i) + (leb.write_signed(ADDEND) if BY_NAME[t].has_addend else b"")
        for k, (t, i) in enumerate(LEB_SITES)]))
    data_size = sum(_width(t) for t, _ in DATA_SITES)
    segments = [(b"\x2a" * 16, ".data.target"), (bytes(data_size), ".data.sites"), (bytes(16), ".tdata.tvar")]
    data = vec(*[b"\x00\x41\x00\x0b" + u32(len(raw)) + raw for raw, _ in segments])
    # reloc.DATA offsets count from the data section's payload: count, then segment 0, ...
    sites_at = 1 + 4 + 1 + 16 + 4 + 1
    data_relocs = u32(DATA_SECTION) + vec(*order([
        bytes((BY_NAME[t].number,)) + u32(sites_at + sum(_width(x) for x, _ in DATA_SITES[:k])) + u32(i)
        + (leb.write_signed(ADDEND) if BY_NAME[t].has_addend else b"")
        for k, (t, i) in enumerate(DATA_SITES)]))
    debug_relocs, debug_size = _relocs(DEBUG_SITES, DEBUG_SECTION_INDEX)
    symbols = vec(
        b"\x00" + u32(0x20) + u32(0) + name("main"),                       # MAIN, exported
        b"\x01" + u32(0) + name("target") + u32(0) + u32(4) + u32(4),      # TARGET: .data.target+4
        b"\x02" + u32(0) + u32(0) + name("g"),                             # G: global 0
        b"\x01" + u32(0) + name("sites") + u32(1) + u32(0) + u32(data_size),
        b"\x05" + u32(0x10) + u32(0),                                      # TABLE: the imported table
        b"\x01" + u32(0x100) + name("tvar") + u32(2) + u32(8) + u32(4),    # TVAR: .tdata.tvar+8
        b"\x03" + u32(0x2) + u32(DEBUG_SECTION_INDEX),                     # the .debug_info section
    )
    segment_info = vec(*[name(n) + u32(2) + u32(2 if n.startswith(".tdata") else 0) for _, n in segments])
    linking = u32(2) + _sub(8, symbols) + _sub(5, segment_info)
    imports = vec(name("env") + name("__linear_memory") + b"\x02\x00\x01",
                  name("env") + name("__indirect_function_table") + b"\x01\x70\x00\x00")
    return (HEADER
            + section(1, vec(b"\x60\x00\x00", b"\x60\x01\x7f\x01\x7f"))   # 0
            + section(2, imports)                                          # 1
            + section(3, vec(u32(0)))                                      # 2
            + section(6, vec(b"\x7f\x01\x41\x07\x0b"))                     # 3: global g
            + section(7, vec())                                            # 4
            + section(12, u32(3))                                          # 5: datacount
            + section(10, code)                                            # 6
            + section(11, data)                                            # 7
            + section(0, name(".debug_info") + bytes(debug_size))          # 8
            + section(0, name("linking") + linking)
            + section(0, name("reloc.CODE") + code_relocs)
            + section(0, name("reloc.DATA") + data_relocs)
            + section(0, name("reloc..debug_info") + debug_relocs)
            # it has thread-local data: wasm-ld (and we) require atomics and bulk memory;
            # it exports its mutable global: mutable-globals
            + section(0, name("target_features") + vec(b"+" + name("atomics"), b"+" + name("bulk-memory"),
                                                       b"+" + name("mutable-globals"))))


def _read_field(type_name, raw: bytes) -> int:
    rt = BY_NAME[type_name]
    if rt.field in ("i32", "i64"):
        return int.from_bytes(raw[:rt.width], "little", signed=False)
    read = leb.read_signed if rt.field == "sleb" else leb.read_unsigned
    value, _ = read(raw, 0, 64 if rt.width == 10 else 32 if rt.field == "uleb" else 33)
    return value


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("relocs")
    obj = tmp / "all.o"
    obj.write_bytes(_object())
    out = tmp / "all.wasm"
    # The object declares no target features, and `g` is a mutable global: exporting it
    # needs mutable-globals, as in wasm-ld, unless checking is off.
    done = subprocess.run([sys.executable, "-m", "wasmmerge", "link", "--no-entry", "--no-gc-sections",
                           "--no-check-features", "--export=target", "--export=sites", "--export=g", str(obj),
                           "-o", str(out)],
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_relocations_out_of_offset_order_are_refused(tmp_path):
    # wasm-ld 14: "relocations not in offset order"; ours names the section and the pair.
    obj = tmp_path / "reversed.o"
    obj.write_bytes(_object(reverse=True))
    out = tmp_path / "out.wasm"
    done = subprocess.run([sys.executable, "-m", "wasmmerge", "link", "--no-entry", "--no-check-features",
                           str(obj), "-o", str(out)], capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and not out.exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "reversed.o" in lines[0] and "reloc.CODE: relocations not in offset order" in lines[0]
    assert "Traceback" not in done.stderr


def test_every_relocation_type_is_covered():
    assert COVERED == {t.name for t in RELOC_TYPES.values()} - {"R_WASM_TAG_INDEX_LEB"}


def test_each_site_holds_its_value(linked):
    module = decode_module(linked, lazy=True)
    exports = {e.name: e.index for e in module.exports}
    values = {}
    for k, g in enumerate(module.globals):
        value, _ = leb.read_signed(g.init.code, 1, 32)
        values[k + sum(1 for i in module.imports if i.kind == 3)] = value
    main = exports["main"]
    target, sites = values[exports["target"]], values[exports["sites"]]
    slot = module.elems[0].funcs.index(main) + 1
    type_index = [s.comp for s in module.types].index(FuncType((I32,), (I32,)))
    code = next(i for i in iter_sections(linked) if i.id == 10)
    main_code = module.codes[main - sum(1 for i in module.imports if i.kind == 0)]
    func_offset = main_code.offset - 1 - code.start
    expected = {
        "R_WASM_FUNCTION_INDEX_LEB": main, "R_WASM_FUNCTION_INDEX_I32": main,
        "R_WASM_TABLE_INDEX_SLEB": slot, "R_WASM_TABLE_INDEX_I32": slot, "R_WASM_TABLE_INDEX_SLEB64": slot,
        "R_WASM_TABLE_INDEX_I64": slot, "R_WASM_TABLE_INDEX_REL_SLEB": slot - 1,
        "R_WASM_TABLE_INDEX_REL_SLEB64": slot - 1,
        "R_WASM_TYPE_INDEX_LEB": type_index, "R_WASM_GLOBAL_INDEX_LEB": exports["g"],
        "R_WASM_GLOBAL_INDEX_I32": exports["g"], "R_WASM_TABLE_NUMBER_LEB": 0,
        "R_WASM_MEMORY_ADDR_TLS_SLEB": 8 + ADDEND, "R_WASM_MEMORY_ADDR_TLS_SLEB64": 8 + ADDEND,
        "R_WASM_FUNCTION_OFFSET_I32": func_offset + ADDEND, "R_WASM_FUNCTION_OFFSET_I64": func_offset + ADDEND,
        "R_WASM_SECTION_OFFSET_I32": ADDEND,
    }
    for t in COVERED:
        if "MEMORY_ADDR" in t and "TLS" not in t:
            expected[t] = target + ADDEND
    body = main_code.body
    pos = 0
    for type_name, _ in LEB_SITES:
        assert _read_field(type_name, body[pos:]) == expected[type_name], type_name
        pos += _width(type_name)
    memory = bytearray(1 << 16)
    for segment in module.datas:
        start, _ = leb.read_signed(segment.offset.code, 1, 32)
        memory[start:start + len(segment.data)] = segment.data
    data = bytes(memory[sites:])
    pos = 0
    for type_name, _ in DATA_SITES:
        want = expected[type_name]
        if type_name == "R_WASM_MEMORY_ADDR_LOCREL_I32":
            want = (target + ADDEND - (sites + pos)) & 0xFFFFFFFF
        assert _read_field(type_name, data[pos:]) == want, type_name
        pos += _width(type_name)
    debug = module.custom(".debug_info").data
    pos = 0
    for type_name, _ in DEBUG_SITES:
        assert _read_field(type_name, debug[pos:]) == expected[type_name], type_name
        pos += _width(type_name)
