"""Debug info through the merge: the inputs' debug info carried into the merged module
by `wasmmerge/debuginfo/`, after encoding.

Called with the encoded output. Function bodies there are in input order, so input k's
j-th body became the output's (bodies of earlier inputs + j)-th; comparing old and new
body spans gives each function's move. A body whose instructions changed size (an index
or memory argument the rewriter had to widen, local declarations re-encoded) gets its
per-instruction shifts from the rewriter's own patch list, recomputed for just those
bodies so the merge's hot path is untouched.

Then: DWARF (`merge_dwarf`), source maps, `external_debug_info`, `sourceMappingURL`, and
`build_id` (recomputed from the output's bytes, never copied). Custom sections are
spliced into the encoded bytes: DWARF in front of `name`/`producers`/`target_features`
(LLVM's order), the rest at the end.
"""

import hashlib
import json
from dataclasses import dataclass, field

from ..binary import leb
from ..binary.model import CUSTOM
from ..binary.reader import iter_sections
from ..binary.spaces import FUNC, GLOBAL, MEMORY
from ..custom import build_id as build_id_section
from ..custom import is_debug_info as handles  # which sections this module carries
from ..debuginfo import AddressMap, DebugInput, FunctionMove, is_dwarf_section, merge_dwarf
from ..debuginfo.layout import code_payload, custom_section_bytes, function_spans, insert_customs
from ..debuginfo.sourcemap import MapInput, merge_source_maps, parse_source_map, url_section_payload
from ..errors import DecodeError, WasmError
from .rewrite import REMAPPABLE, Remap, build_skipper, collect_patches

LLVM_TAIL = ("name", "producers", "target_features")


@dataclass
class DebugOptions:
    strip: bool = False  # drop every debug section on purpose
    strict: bool = False  # DWARF we cannot rewrite is an error, not a warning
    source_maps: dict[str, str | bytes] = field(default_factory=dict)  # input name -> map JSON
    want_source_map: bool = False
    source_map_file: str | None = None  # the merged map's "file"
    source_map_url: str | None = None  # written as the sourceMappingURL section
    debug_files: dict[str, bytes] = field(default_factory=dict)  # input name -> its external debug file
    debug_file_url: str | None = None  # what the output's external_debug_info names


@dataclass
class DebugSource:
    name: str  # the input's name (NAME of NAME=FILE)
    label: str  # for messages
    data: bytes
    remap: object = None  # the merger's Remap for its bodies; None: copied as they are


@dataclass
class DebugOutput:
    data: bytes
    source_map: str | None = None  # JSON text
    debug_file: bytes | None = None  # the merged external debug file


def carry_debug_info(sources: list[DebugSource], output: bytes, options: DebugOptions,
                     warnings: list[str]) -> DebugOutput:
    customs = [_customs(s) for s in sources]
    build_id_size = max((len(_build_id(p)) for cs in customs for n, p in cs if n == "build_id"), default=0)
    if options.strip:
        return DebugOutput(_with_build_id(output, build_id_size))
    want_dwarf = any(is_dwarf_section(n) for cs in customs for n, _ in cs) or options.debug_files
    addresses = None
    if want_dwarf or options.want_source_map:
        addresses = function_moves(sources, output)

    result = DebugOutput(output)
    tail = []
    external = []
    for k, source in enumerate(sources):
        if any(n == "sourceMappingURL" for n, _ in customs[k]) and source.name not in options.source_maps:
            warnings.append(f"{source.label}: has a sourceMappingURL but no --input-source-map was given "
                            "for it; its source map is not carried over")
        if any(n == "external_debug_info" for n, _ in customs[k]) and source.name not in options.debug_files:
            external.append(k)
    unknown = set(options.source_maps) | set(options.debug_files)
    unknown -= {s.name for s in sources}
    if unknown:
        raise WasmError(f"debug files given for inputs that are not merged: {', '.join(sorted(unknown))}")

    if want_dwarf:
        inputs = []
        for k, source in enumerate(sources):
            if source.name in options.debug_files:
                sections = {n: p for n, p in _customs_of(options.debug_files[source.name], source.label)
                            if is_dwarf_section(n)}
            else:
                sections = {n: p for n, p in customs[k] if is_dwarf_section(n)}
            inputs.append(DebugInput(source.name, sections, source.label))
        dwarf = merge_dwarf(inputs, addresses, warnings, options.strict)
        if dwarf and options.debug_files:
            result.debug_file = insert_customs(output, dwarf, LLVM_TAIL)
            if options.debug_file_url:
                tail.append(("external_debug_info", url_section_payload(options.debug_file_url)))
        elif dwarf:
            result.data = insert_customs(output, dwarf, LLVM_TAIL)
    if not options.debug_files:
        if len(external) == 1:
            k = external[0]
            payload = next(p for n, p in customs[k] if n == "external_debug_info")
            warnings.append(f"{sources[k].label}: its external_debug_info is kept, but the offsets in that "
                            "file are stale after the merge; give it with --input-debug-file to rewrite it")
            tail.append(("external_debug_info", payload))
        elif len(external) > 1:
            warnings.append("several inputs name an external_debug_info file; none is kept (give them with "
                            "--input-debug-file to merge them)")

    if options.want_source_map:
        maps = []
        for k, source in enumerate(sources):
            text = options.source_maps.get(source.name)
            if text is not None:
                where = code_payload(source.data)
                maps.append(MapInput(k, source.label, parse_source_map(text, source.label),
                                     where[0] if where else 0))
        where = code_payload(output)
        merged = merge_source_maps(maps, addresses, where[0] if where else 0, options.source_map_file)
        result.source_map = json.dumps(merged, separators=(",", ":"))
    if options.source_map_url:
        tail.append(("sourceMappingURL", url_section_payload(options.source_map_url)))
    if tail:
        result.data = result.data + b"".join(custom_section_bytes(n, p) for n, p in tail)
    result.data = _with_build_id(result.data, build_id_size)
    return result


def function_moves(sources: list[DebugSource], output: bytes) -> AddressMap:
    """Where every input function went in `output` (see the module docstring)."""
    new_spans = function_spans(output)
    out_code = code_payload(output)
    addresses = AddressMap()
    next_body = 0
    for k, source in enumerate(sources):
        old_spans = function_spans(source.data)
        if next_body + len(old_spans) > len(new_spans):
            raise DecodeError("internal error: the merged module has fewer bodies than its inputs")
        in_code = code_payload(source.data)
        growing = _growing_remap(source.remap) if source.remap is not None else None
        for j, (old_start, old_end) in enumerate(old_spans):
            new_start, new_end = new_spans[next_body + j]
            if new_end - new_start == old_end - old_start and source.remap is None:
                addresses.add(k, FunctionMove(old_start, old_end, new_start))
                continue
            old_body = _locals_end(source.data, in_code[0] + old_start)
            new_body = _locals_end(output, out_code[0] + new_start)
            locals_growth = (new_body - out_code[0] - new_start) - (old_body - in_code[0] - old_start)
            if locals_growth == 0 and new_end - new_start == old_end - old_start:
                addresses.add(k, FunctionMove(old_start, old_end, new_start))
                continue
            body_start = old_body - in_code[0]
            shifts = _memarg_shifts(source.data, old_body, in_code[0] + old_end, growing, in_code[0]) \
                if growing is not None else []
            if shifts is not None:
                if locals_growth:
                    shifts = [(body_start, locals_growth)] + [(at, total + locals_growth) for at, total in shifts]
                addresses.add(k, FunctionMove(old_start, old_end, new_start, shifts))
                continue
            instrs = source.data[old_body:in_code[0] + old_end]
            patches = collect_patches(instrs, growing)
            addresses.add(k, FunctionMove.from_patches(old_start, old_end, new_start, body_start,
                                                       patches, locals_growth))
        next_body += len(old_spans)
    return addresses


# One-byte opcodes whose only immediate is one index: call, return_call, global.get/set, ref.func.
_SINGLE_INDEX = {0x10: FUNC, 0x12: FUNC, 0x23: GLOBAL, 0x24: GLOBAL, 0xD2: FUNC}


def _memarg_shifts(data, pos: int, end: int, remap, code_start: int) -> list | None:
    """The shifts of a body whose growing instructions are the common ones: plain loads
    and stores of memory 0 (which gain an explicit memory index when memory 0 moved) and
    single-index instructions (which grow when the new index does not fit the old width).
    Found with the rewriter's own skipper; None when the body has anything else to look
    at (the caller then asks the rewriter for its patches)."""
    if not remap.active:
        return []
    if not remap.active <= {MEMORY, FUNC, GLOBAL}:
        return None
    memory = remap.memory
    memarg_growth = len(leb.write_unsigned(memory[0])) if memory is not None and memory[0] != 0 else 0
    skip = build_skipper(remap.active).match
    shifts = []
    total = 0
    while True:
        pos = skip(data, pos, end).end()
        if pos >= end:
            return shifts
        op = data[pos]
        space = _SINGLE_INDEX.get(op)
        if space is not None:
            table = getattr(remap, space)
            index, after = leb.read_u32(data, pos + 1)
            if table is not None:
                grown = leb.unsigned_size(table[index]) - (after - pos - 1)
                if grown > 0:
                    total += grown
                    shifts.append((after - code_start, total))
            pos = after
            continue
        if not 0x28 <= op <= 0x3E or data[pos + 1] >= 0x40 or memory is None:
            return None  # not a plain load or store of memory 0 with one-byte flags
        pos += 2
        if memarg_growth:
            total += memarg_growth
            shifts.append((pos - code_start, total))
        while data[pos] & 0x80:  # the offset
            pos += 1
        pos += 1


def _growing_remap(remap):
    """The part of a Remap whose patches can change a body's size: memory (a memory
    argument may gain an explicit index) and any space where some index needs more LEB128
    bytes than before. Positions of same-size patches do not matter, and leaving those
    spaces out lets the rewriter's skipper pass over their instructions."""
    maps = {}
    for space in REMAPPABLE:
        table = getattr(remap, space)
        if table is None:
            continue
        if space == MEMORY or any(new > old and leb.unsigned_size(new) > leb.unsigned_size(old)
                                    for old, new in enumerate(table)):
            maps[space] = table
    return Remap(**maps)


def _locals_end(data, pos: int) -> int:
    """The position after a body's local declarations (`pos`: the body's start)."""
    count, pos = leb.read_u32(data, pos)
    for _ in range(count):
        _, pos = leb.read_u32(data, pos)
        kind = data[pos]
        pos += 1
        if kind in (0x63, 0x64):  # (ref null? ht): a heap type follows
            _, pos = leb.read_s33(data, pos)
    return pos


def _customs(source: DebugSource) -> list[tuple[str, bytes]]:
    return _customs_of(source.data, source.label)


def _customs_of(data: bytes, label: str) -> list[tuple[str, bytes]]:
    out = []
    try:
        for info in iter_sections(data):
            if info.id == CUSTOM:
                raw = data[info.start:info.start + info.size]
                length, pos = leb.read_u32(raw, 0)
                out.append((info.name, bytes(raw[pos + length:])))
    except WasmError as err:
        raise err.with_file(label)
    return out


def _build_id(payload: bytes) -> bytes:
    """An input's id (only its size matters: the output's id is a new one); a malformed
    section counts as none."""
    try:
        return build_id_section.parse(payload).id
    except DecodeError:
        return b""


def _with_build_id(data: bytes, size: int) -> bytes:
    """`data` with a `build_id` section whose id hashes the whole output (as wasm-ld does:
    computed with the id zeroed, then filled in)."""
    if not size:
        return data
    placeholder = leb.write_unsigned(size) + bytes(size)
    with_zeros = data + custom_section_bytes("build_id", placeholder)  # placed last, as LLVM orders it
    digest = b""
    counter = 0
    while len(digest) < size:  # sha256 for ids up to 32 bytes, chained for longer ones
        digest += hashlib.sha256(counter.to_bytes(4, "little") + with_zeros).digest()
        counter += 1
    return data + custom_section_bytes("build_id", build_id_section.encode(build_id_section.BuildId(digest[:size])))
