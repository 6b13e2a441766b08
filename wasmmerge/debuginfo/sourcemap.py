"""Source maps (version 3) of wasm modules through a merge.

A wasm source map has one generated line; each segment's generated column is a byte
offset in the module file. Merging decodes every input's `mappings` into absolute
segments, moves each offset with the input's code (file offset -> code offset -> the
address map -> the output's file offset), drops segments of dropped code, re-indexes
sources and names into one deduplicated list each, and encodes the result sorted by
offset. The VLQ codec is the format's base64 variable-length quantity.
"""

import json
from dataclasses import dataclass

from ..binary import leb
from .addresses import AddressMap
from .errors import DwarfError

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT = {c: i for i, c in enumerate(_ALPHABET)}


class SourceMapError(DwarfError):
    """A source map we cannot read."""


def vlq_encode(values) -> str:
    out = []
    for value in values:
        value = (-value << 1) | 1 if value < 0 else value << 1
        while True:
            digit = value & 31
            value >>= 5
            if value:
                out.append(_ALPHABET[digit | 32])
            else:
                out.append(_ALPHABET[digit])
                break
    return "".join(out)


def vlq_decode(text: str) -> list[int]:
    values = []
    value = shift = 0
    for pos, char in enumerate(text):
        digit = _DIGIT.get(char)
        if digit is None:
            raise SourceMapError(f"invalid base64 character {char!r} in mappings", pos, section="source map")
        value |= (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    if shift:
        raise SourceMapError("mappings end inside a number", len(text), section="source map")
    return values


# A segment: (generated column, source, line, column, name); the last four may be None.
Segment = tuple


def decode_mappings(mappings: str) -> list[Segment]:
    """Every segment with absolute values. Lines after the first (';') are kept in order
    with their columns, as wasm maps have only one generated line."""
    segments = []
    column = source = line = source_column = name = 0
    for line_text in mappings.split(";"):
        column = 0
        for piece in line_text.split(","):
            if not piece:
                continue
            fields = vlq_decode(piece)
            if len(fields) not in (1, 4, 5):
                raise SourceMapError(f"a segment with {len(fields)} fields", section="source map")
            column += fields[0]
            if len(fields) == 1:
                segments.append((column, None, None, None, None))
                continue
            source += fields[1]
            line += fields[2]
            source_column += fields[3]
            if len(fields) == 5:
                name += fields[4]
                segments.append((column, source, line, source_column, name))
            else:
                segments.append((column, source, line, source_column, None))
    return segments


def encode_mappings(segments: list[Segment]) -> str:
    pieces = []
    last = [0, 0, 0, 0, 0]
    for segment in segments:
        fields = [segment[0] - last[0]]
        last[0] = segment[0]
        if segment[1] is not None:
            for i in (1, 2, 3):
                fields.append(segment[i] - last[i])
                last[i] = segment[i]
            if segment[4] is not None:
                fields.append(segment[4] - last[4])
                last[4] = segment[4]
        pieces.append(vlq_encode(fields))
    return ",".join(pieces)


@dataclass
class MapInput:
    index: int  # the input's index in the address map
    name: str
    source_map: dict  # the parsed JSON
    code_start: int  # file offset of the input's code section payload


def parse_source_map(text: str | bytes, label: str) -> dict:
    try:
        parsed = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise SourceMapError(f"not JSON: {err}", section="source map").with_file(label) from None
    if not isinstance(parsed, dict) or parsed.get("version") != 3 or not isinstance(parsed.get("mappings"), str):
        raise SourceMapError("not a version 3 source map with mappings", section="source map").with_file(label)
    return parsed


def merge_source_maps(inputs: list[MapInput], addresses: AddressMap, code_start: int, file: str | None = None) -> dict:
    """One source map for the merged module, whose code payload starts at `code_start`."""
    sources: list[str] = []
    contents: list = []
    source_index: dict[str, int] = {}
    names: list[str] = []
    name_index: dict[str, int] = {}
    segments = []
    for inp in inputs:
        smap = inp.source_map
        root = smap.get("sourceRoot") or ""
        input_contents = smap.get("sourcesContent") or []
        remap_source = []
        for i, source in enumerate(smap.get("sources", [])):
            path = root + source if root and not source.startswith(root) else source
            if path not in source_index:
                source_index[path] = len(sources)
                sources.append(path)
                contents.append(None)
            if contents[source_index[path]] is None and i < len(input_contents):
                contents[source_index[path]] = input_contents[i]
            remap_source.append(source_index[path])
        remap_name = []
        for name in smap.get("names", []):
            if name not in name_index:
                name_index[name] = len(names)
                names.append(name)
            remap_name.append(name_index[name])
        for column, source, line, source_column, name in decode_mappings(smap["mappings"]):
            new = addresses.map(inp.index, column - inp.code_start)
            if new is None:
                continue
            try:
                segments.append((new + code_start,
                                 None if source is None else remap_source[source], line, source_column,
                                 None if name is None else remap_name[name]))
            except IndexError:
                raise SourceMapError("a segment names a source or name the map does not have",
                                     section="source map").with_file(inp.name) from None
    segments.sort(key=lambda s: s[0])
    merged = {"version": 3}
    if file:
        merged["file"] = file
    merged["sources"] = sources
    merged["names"] = names
    if any(c is not None for c in contents):
        merged["sourcesContent"] = contents
    merged["mappings"] = encode_mappings(segments)
    return merged


def url_section_payload(url: str) -> bytes:
    """The `sourceMappingURL` custom section's payload: the URL as a wasm name."""
    raw = url.encode()
    return leb.write_unsigned(len(raw)) + raw


def read_url_section(payload: bytes) -> str:
    length, pos = leb.read_u32(payload, 0)
    return bytes(payload[pos:pos + length]).decode("utf-8", "replace")
