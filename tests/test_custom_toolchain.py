"""Custom-section handlers on real toolchain output: clang objects (linking, reloc.*,
producers, target_features, comdats), wasm-ld side modules (dylink.0) and build ids.

Every handler must give back the exact bytes clang and wasm-ld wrote
(`encode(parse(b)) == b`), and what it parses must agree with what the sources say and
with `llvm-objdump`'s reading of the same object where that tool is present.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from wasmmerge import custom
from wasmmerge.binary.model import CODE
from wasmmerge.binary.reader import decode_module, iter_sections
from wasmmerge.binary.types import FUNC_KIND
from wasmmerge.custom import dylink, linking, reloc

FIXTURES = Path(__file__).parent.parent / "fixtures" / "custom"
NO_TOOLCHAIN = ("clang and wasm-ld with wasm32 support not found: install clang, lld and "
                "wasi-libc (Debian: apt-get install clang lld wasi-libc)")


def _run(*argv: str, missing: str = NO_TOOLCHAIN):
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        if "unknown argument" in proc.stderr or "unable to create target" in proc.stderr:
            pytest.skip(f"{proc.stderr.strip().splitlines()[0]}: {missing}")
        pytest.fail(f"{' '.join(argv)} failed:\n{proc.stderr}")
    return proc


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.skip(NO_TOOLCHAIN)
    return exe


def _compile(tmp_path: Path, source: str, *flags: str, target: str = "wasm32-wasi") -> Path:
    out = tmp_path / (Path(source).stem + ".o")
    _run(_tool("clang"), f"--target={target}", "-c", *flags, str(FIXTURES / source), "-o", str(out))
    return out


def _side_module(tmp_path: Path, source: str, *inputs: Path) -> Path:
    # clang 14 implements -fPIC for wasm only for emscripten; the sources need no libc.
    obj = _compile(tmp_path, source, "-fPIC", "-matomics", "-mbulk-memory", target="wasm32-unknown-emscripten")
    out = tmp_path / (Path(source).stem + ".so")
    _run(_tool("wasm-ld"), "--shared", "--experimental-pic", "--shared-memory", "--export-all",
         str(obj), *map(str, inputs), "-o", str(out))
    return out


def _customs(path: Path):
    return decode_module(path.read_bytes(), lazy=True).customs


def _round_trips(path: Path) -> dict[str, object]:
    """Every known custom section of `path` parsed, checked to re-encode to its bytes."""
    parsed = {}
    for section in _customs(path):
        handler = custom.handler(section.name)
        if handler is None:
            continue
        value = reloc.parse(section.data, name=section.name) if handler is reloc else handler.parse(section.data)
        assert handler.encode(value) == section.data, section.name
        parsed[section.name] = value
    return parsed


@pytest.fixture(scope="module")
def objects_o(tmp_path_factory):
    return _compile(tmp_path_factory.mktemp("objects"), "objects.c", "-g", "-msign-ext", "-mbulk-memory")


def test_object_sections_round_trip(objects_o):
    parsed = _round_trips(objects_o)
    assert {"linking", "reloc.CODE", "reloc.DATA", "reloc..debug_info", "producers",
            "target_features"} <= set(parsed)


def test_object_symbol_table_segments_and_init_funcs(objects_o):
    link = _round_trips(objects_o)["linking"]
    assert link.version == 2
    by_name = {s.name: s for s in link.symbols if s.name}
    assert by_name["compute"].kind == linking.SYMTAB_FUNCTION and not by_name["compute"].undefined
    # An undefined function has no name of its own (no EXPLICIT_NAME): its import names it.
    module = decode_module(objects_o.read_bytes(), lazy=True)
    undefined_funcs = [s for s in link.symbols if s.kind == linking.SYMTAB_FUNCTION and s.undefined]
    assert all(s.name is None for s in undefined_funcs)
    assert "imported_add" in {module.imports_of(FUNC_KIND)[s.index].name for s in undefined_funcs}
    assert by_name["maybe_defined"].flags & linking.BINDING_WEAK
    counter = by_name["counter"]
    assert counter.kind == linking.SYMTAB_DATA and counter.size == 4
    assert link.segments[counter.segment].name == ".data.counter"
    assert by_name["zeroed"].size == 16 and link.segments[by_name["zeroed"].segment].name.startswith(".bss")
    assert by_name["imported_counter"].undefined and by_name["imported_counter"].segment is None
    # Two constructors, priorities 101 and the default 65535, each naming a function symbol.
    assert sorted(f.priority for f in link.init_funcs) == [101, 65535]
    for init in link.init_funcs:
        assert link.symbols[init.symbol].kind == linking.SYMTAB_FUNCTION


def test_object_relocations_name_known_types_and_carry_addends(objects_o):
    parsed = _round_trips(objects_o)
    code = parsed["reloc.CODE"]
    for kind, offset, index, addend in code.entries:
        assert (addend is not None) == (reloc.RELOC_TYPES[kind].addend_bits > 0)
    kinds = {reloc.RELOC_TYPES[k].name for k, *_ in code.entries}
    assert {"R_WASM_FUNCTION_INDEX_LEB", "R_WASM_MEMORY_ADDR_LEB"} <= kinds
    # The data relocations patch greeting_ptr and callback: a pointer and a table slot.
    data_kinds = {reloc.RELOC_TYPES[k].name for k, *_ in parsed["reloc.DATA"].entries}
    assert data_kinds == {"R_WASM_MEMORY_ADDR_I32", "R_WASM_TABLE_INDEX_I32"}
    # reloc.CODE names the code section by its position among all sections; offsets lie
    # inside that section's payload.
    sections = list(iter_sections(objects_o.read_bytes()))
    assert sections[code.section].id == CODE
    assert all(offset < sections[code.section].size for _, offset, _, _ in code.entries)


def test_relocations_agree_with_llvm_objdump(objects_o):
    objdump = shutil.which("llvm-objdump-14") or shutil.which("llvm-objdump")
    if objdump is None:
        pytest.skip("llvm-objdump not found: install llvm (Debian: apt-get install llvm)")
    text = _run(objdump, "-r", str(objects_o)).stdout
    parsed = _round_trips(objects_o)
    code = parsed["reloc.CODE"]
    listed = [line.split()[:2] for line in text.split("RELOCATION RECORDS FOR [CODE]:")[1].splitlines()[2:]
              if line.strip() and not line.startswith("RELOCATION")]
    listed = listed[:len(code.entries)]
    assert [(int(off, 16), name) for off, name in listed] == \
        [(offset, reloc.RELOC_TYPES[kind].name) for kind, offset, _, _ in code.entries]


def test_producers_and_target_features_of_an_object(objects_o):
    parsed = _round_trips(objects_o)
    fields = {f.name: f.values for f in parsed["producers"].fields}
    assert fields["language"][0].name == "C99"
    assert any("clang" in tool.name for tool in fields["processed-by"])
    features = {(f.prefix, f.name) for f in parsed["target_features"].features}
    assert {("+", "sign-ext"), ("+", "bulk-memory")} <= features


def test_comdats_of_a_cxx_object(tmp_path):
    obj = _compile(tmp_path, "comdat.cc", "-x", "c++")
    link = _round_trips(obj)["linking"]
    assert [c.name for c in link.comdats] == ["_Z5twicei", "_Z6thriceIiET_S0_", "_Z6thriceIlET_S0_"]
    for comdat in link.comdats:
        member, = comdat.members
        assert member.kind == linking.COMDAT_FUNCTION
        # The comdat's function is the one its symbol of the same name defines.
        symbol = next(s for s in link.symbols if s.name == comdat.name)
        assert symbol.index == member.index


def test_dylink_of_a_side_module(tmp_path):
    needed = _side_module(tmp_path, "needed.c")
    side = _side_module(tmp_path, "side.c", needed)
    customs = _customs(side)
    assert customs[0].name == "dylink.0" and customs[0].after == dylink.AFTER == 0
    info = _round_trips(side)["dylink.0"]
    # shared_value, function_pointer, and per_thread's TLS template: 4 bytes each, 4-aligned.
    assert info.mem_info.memory_alignment == 2 and info.mem_info.memory_size >= 12
    assert info.mem_info.table_size == 1  # table_user's slot
    assert info.needed == ["needed.so"]
    assert [(e.name, bool(e.flags & linking.TLS)) for e in info.exports] == [("per_thread", True)]
    assert [(i.module, i.field, bool(i.flags & linking.BINDING_WEAK)) for i in info.imports] == \
        [("env", "maybe_provided", True)]


def test_build_id_from_wasm_ld(tmp_path):
    obj = _compile(tmp_path, "needed.c")
    out = tmp_path / "with_id.wasm"
    _run(_tool("wasm-ld"), "--no-entry", "--export-all", "--build-id=0x0123456789abcdef", str(obj), "-o", str(out),
         missing="wasm-ld gained --build-id in LLVM 15: install lld 15 or later")
    build = _round_trips(out)["build_id"]
    assert build.id == bytes.fromhex("0123456789abcdef")


def test_placement_follows_llvm_order(objects_o):
    trailing = [c.name for c in _customs(objects_o) if custom.trailing_rank(c.name)]
    assert trailing == sorted(trailing, key=custom.trailing_rank)
    for section in _customs(objects_o):
        handler = custom.handler(section.name)
        if handler is not None:
            assert section.after == handler.AFTER
