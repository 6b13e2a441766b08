"""Test helpers for debug info: building the C fixtures with clang, moving a module's code
synthetically, and reading llvm-dwarfdump's line tables and subprograms as an oracle."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wasmmerge.binary import leb
from wasmmerge.binary.reader import iter_sections
from wasmmerge.debuginfo import AddressMap, DebugInput, FunctionMove, is_dwarf_section, merge_dwarf
from wasmmerge.debuginfo.layout import code_payload, custom_section_bytes, function_spans
from wasmmerge.merger.rewrite import Remap, apply_patches, collect_patches

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "debug"
HOW = "run `make test`, which installs clang, lld and llvm (llvm-dwarfdump, llvm-symbolizer)"


def tool(name: str) -> str:
    for candidate in (name, f"{name}-14"):
        path = shutil.which(candidate)
        if path:
            return path
    pytest.skip(f"{name} not found: {HOW}")


def compile_module(out_dir: Path, sources: list[str], exports: list[str], flags: list[str], name: str) -> bytes:
    """Compile fixtures/debug/<sources> with `flags` and link them into one module.

    Compiling and linking are separate steps: wasm-ld 14 aborts on DWARF 5 when given -O."""
    clang = tool("clang")
    objects = []
    for source in sources:
        obj = out_dir / f"{name}-{Path(source).stem}.o"
        run([clang, "--target=wasm32-wasi", "-c", *flags, str(FIXTURES / source), "-o", str(obj)])
        objects.append(str(obj))
    wasm = out_dir / f"{name}.wasm"
    run([clang, "--target=wasm32-wasi", "-nostdlib", "-Wl,--no-entry", "-Wl,--allow-undefined",
         *[f"-Wl,--export={e}" for e in exports], *objects, "-o", str(wasm)])
    return wasm.read_bytes()


def run(argv, **kw) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def debug_sections(data: bytes) -> dict[str, bytes]:
    out = {}
    for info in iter_sections(data):
        if info.name is not None and is_dwarf_section(info.name):
            raw = data[info.start:info.start + info.size]
            name_len, pos = leb.read_u32(raw, 0)
            out[info.name] = bytes(raw[pos + name_len:])
    return out


def _locals_end(body: bytes) -> int:
    count, pos = leb.read_u32(body, 0)
    for _ in range(count):
        _, pos = leb.read_u32(body, pos)
        pos += 1  # the fixtures' locals are number types
    return pos


def move_code(data: bytes, pad: int = 0, widen_calls: bool = False, dropped: set[int] = frozenset()):
    """A copy of `data` whose code moved: each body's size LEB padded by `pad` bytes (so
    function k moves by about k*pad), and with `widen_calls` every `call` index re-encoded
    one byte wider, as the merger does when an index no longer fits. Functions in `dropped`
    keep their bytes but map to nothing. Returns (new module without DWARF, AddressMap)."""
    start, end = code_payload(data)
    spans = function_spans(data)
    addresses = AddressMap()
    bodies = []
    new_pos = len(leb.write_unsigned(len(spans)))
    remap = Remap(func=[i + 128 for i in range(4096)]) if widen_calls else None
    for index, (old_start, old_end) in enumerate(spans):
        body = data[start + old_start:start + old_end]
        patches = []
        if remap is not None:
            patches = [(b, e, _widen(body, b, e)) for b, e, _ in collect_patches(body, remap, _locals_end(body))]
            body = apply_patches(body, patches)
        size = leb.write_unsigned(len(body))
        size = leb.write_unsigned_width(len(body), len(size) + pad)
        new_pos += len(size)
        if index not in dropped:
            addresses.add(0, FunctionMove.from_patches(old_start, old_end, new_pos, old_start, patches))
        bodies.append(size + body)
        new_pos += len(body)
    payload = leb.write_unsigned(len(spans)) + b"".join(bodies)
    parts = [data[:8]]
    for info in iter_sections(data):
        if info.id == 10:
            parts.append(b"\x0a" + leb.write_unsigned(len(payload)) + payload)
        elif not (info.name is not None and is_dwarf_section(info.name)):
            parts.append(data[info.offset:info.start + info.size])
    return b"".join(parts), addresses


def _widen(body: bytes, begin: int, end: int) -> bytes:
    """The original index, one LEB byte wider (the value is what the input had)."""
    value, _ = leb.read_u32(body, begin)
    return leb.write_unsigned_width(value, end - begin + 1)


def with_dwarf(module: bytes, sections: list[tuple[str, bytes]]) -> bytes:
    return module + b"".join(custom_section_bytes(name, payload) for name, payload in sections)


def rewrite_one(data: bytes, **moves) -> tuple[bytes, AddressMap, list[str]]:
    """Move `data`'s code and carry its DWARF along; returns (new module, map, warnings)."""
    module, addresses = move_code(data, **moves)
    warnings = []
    merged = merge_dwarf([DebugInput("input", debug_sections(data))], addresses, warnings, strict=True)
    return with_dwarf(module, merged), addresses, warnings


# -- llvm-dwarfdump as the oracle -----------------------------------------------------

_ROW = re.compile(r"^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+(.*)$")


def dwarfdump(path: Path, *args: str) -> str:
    return run([tool("llvm-dwarfdump"), *args, str(path)])


def verify(path: Path) -> None:
    proc = subprocess.run([tool("llvm-dwarfdump"), "--verify", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "No errors." in proc.stdout, proc.stdout + proc.stderr


def line_rows(path: Path) -> list[tuple]:
    """Every row of every line table: (address, file name, line, column, end_sequence)."""
    rows = []
    files: dict[int, str] = {}
    current_name = None
    for line in dwarfdump(path, "--debug-line").splitlines():
        m = re.match(r"^file_names\[\s*(\d+)\]:", line)
        if m:
            current_name = int(m.group(1))
            continue
        m = re.match(r'^\s+name: "(.*)"', line)
        if m and current_name is not None:
            files[current_name] = m.group(1)
            current_name = None
            continue
        if line.startswith("debug_line["):
            files = {}
        m = _ROW.match(line)
        if m:
            rows.append((int(m.group(1), 16), files.get(int(m.group(4)), m.group(4)), int(m.group(2)),
                         int(m.group(3)), "end_sequence" in m.group(5)))
    return rows


def subprograms(path: Path) -> list[tuple[str, int | None]]:
    """(name, low_pc) of every DW_TAG_subprogram that has a name, in order."""
    out = []
    block = None
    for line in dwarfdump(path, "--debug-info").splitlines() + [""]:
        if re.match(r"^0x[0-9a-f]+:\s+DW_TAG_", line) or not line.strip():
            if block is not None and block.get("name"):
                out.append((block["name"], block.get("low")))
            block = {} if "DW_TAG_subprogram" in line else None
            continue
        if block is None:
            continue
        m = re.search(r'DW_AT_name\s+\("(.*)"\)', line)
        if m:
            block["name"] = m.group(1)
        m = re.search(r"DW_AT_low_pc\s+\((0x[0-9a-f]+|dead code)\)", line)
        if m:  # llvm-dwarfdump shows a tombstone as "dead code"
            block["low"] = 0xFFFFFFFF if m.group(1) == "dead code" else int(m.group(1), 16)
    return out


_RANGE = re.compile(r"\[0x([0-9a-f]+), 0x([0-9a-f]+)\)")
_PC = re.compile(r"(DW_AT_(?:low|high|entry)_pc|DW_AT_call_return_pc)(\s+)\((0x[0-9a-f]+)\)")
_LIST_OFFSET = re.compile(r"((?:loclist|rangelist) = |DW_AT_(?:location|ranges|stmt_list|frame_base)\s+\()0x[0-9a-f]+")


def info_dump(path: Path, addresses=None, index: int = 0) -> list[str]:
    """`llvm-dwarfdump --debug-info` with list offsets blanked, and (given `addresses`)
    every code address moved as the map says: after a correct rewrite the dump of the
    original, moved, equals the dump of the result."""
    def width(text):
        return len(text) - 2

    def moved(value: str, end: bool) -> str:
        if addresses is None:
            return value
        old = int(value, 16)
        if old == 0:  # a unit's base address 0 is not code
            return value
        new = addresses.map(index, old, end=end)
        return "dead" if new is None else f"{new:#0{width(value) + 2}x}"

    def pc(m):
        return f"{m.group(1)}{m.group(2)}({moved(m.group(3), m.group(1) == 'DW_AT_high_pc')})"

    def span(m):
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        if start >= 0xFFFFFFFE:  # relative to a tombstoned base
            return "[dead, dead)"
        new_start = moved("0x" + m.group(1), False)
        new_end = new_start if start == end else moved("0x" + m.group(2), True)
        return f"[{new_start}, {new_end})"

    lines = []
    dead_low = False
    for line in dwarfdump(path, "--debug-info").splitlines()[1:]:
        if "DW_AT_high_pc" in line and dead_low:  # shown as a length after a dead low_pc
            lines.append(line.split("(")[0] + "(dead)")
            continue
        dead_low = "DW_AT_low_pc" in line and ("dead code" in line or (
            addresses is not None and _PC.search(line) and moved(_PC.search(line).group(3), False) == "dead"))
        line = _LIST_OFFSET.sub(lambda m: m.group(1) + "OFFSET", line)
        line = _RANGE.sub(span, line)
        line = _PC.sub(pc, line)
        if _RANGE_LINE.match(line):
            if "[dead" in line:  # llvm-dwarfdump leaves out ranges of dropped code
                continue
            line = line.rstrip(")") + ")"  # the list's closing parenthesis
        lines.append(line.replace("(dead code)", "(dead)").replace("(0xffffffff)", "(dead)"))
    return lines


_RANGE_LINE = re.compile(r"^\s+\[[^\]]*\)+$")


# -- independent address oracle: llvm-objdump's instructions --------------------------

_DUMP_LINE = re.compile(r"^\s*0x([0-9a-f]+) \|[^|]*\| (.*)$")
_NOT_AN_INSTRUCTION = re.compile(r"size of function|local blocks|locals of type")


def instruction_offsets(path: Path) -> list[list[int]]:
    """Per function body, the code offset of every instruction, from `wasm-tools dump`
    (which reads multi-memory instructions; llvm-objdump 14 does not)."""
    functions = []
    payload = None
    in_code = False
    for line in run([wasm_tools(), "dump", str(path)]).splitlines():
        if line.startswith("====") and " func " in line:
            functions.append([])
            continue
        m = _DUMP_LINE.match(line)
        if not m:
            continue
        offset, what = int(m.group(1), 16), m.group(2)
        if what == "code section":
            in_code = True
        elif what.endswith("section"):
            in_code = False
        elif in_code and payload is None:
            payload = offset  # the function count is the payload's first byte
        elif in_code and functions and not _NOT_AN_INSTRUCTION.search(what):
            functions[-1].append(offset - payload)
    return functions


def wasm_tools() -> str:
    path = shutil.which("wasm-tools") or str(Path(sys.executable).parent / "wasm-tools")
    if not Path(path).exists():
        pytest.skip(f"wasm-tools not found: {HOW}")
    return path


def oracle_map(inputs: list[bytes], merged: bytes, tmp: Path) -> list[dict[int, int]]:
    """Per input, old code offset -> new one for every instruction start, body start and
    body end, pairing the k-th instruction of each input function with the k-th of its
    merged copy (bodies keep input order in the merged module)."""
    (tmp / "merged.wasm").write_bytes(merged)
    new_funcs = instruction_offsets(tmp / "merged.wasm")
    new_spans = function_spans(merged)
    maps = []
    next_body = 0
    for k, data in enumerate(inputs):
        path = tmp / f"input{k}.wasm"
        path.write_bytes(data)
        old_funcs = instruction_offsets(path)
        spans = function_spans(data)
        mapping = {}
        for j, (old_instrs, (start, end)) in enumerate(zip(old_funcs, spans)):
            new_instrs = new_funcs[next_body + j]
            assert len(new_instrs) == len(old_instrs)
            mapping.update(zip(old_instrs, new_instrs))
            mapping[start], mapping[end] = new_spans[next_body + j]
        next_body += len(spans)
        maps.append(mapping)
    return maps


def symbolize(path: Path, addresses: list[int]) -> list[str]:
    """llvm-symbolizer's frames (inlined ones included) for each address."""
    text = run([tool("llvm-symbolizer"), f"--obj={path}"], input="\n".join(hex(a) for a in addresses) + "\n")
    return text.strip("\n").split("\n\n")
