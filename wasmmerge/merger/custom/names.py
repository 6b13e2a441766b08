"""The `name` custom section: parsed per input, remapped, merged with clashes prefixed.

A name that another item of the same space already has in the merged module gets its
module's name as a prefix (`b.helper`). An import bound to a definition contributes no
name: the definition's own name describes the merged item.
"""

from ...binary import leb
from ...binary.reader import Reader
from ...errors import DecodeError

# Subsection id -> index space of a plain name map.
NAME_MAPS = {1: "func", 4: "type", 5: "table", 6: "memory", 7: "global", 8: "elem", 9: "data", 11: "tag"}
# Subsection id -> index space of the outer index of an indirect name map.
INDIRECT_MAPS = {2: "func", 3: "func", 10: "type"}


def parse_names(data: bytes) -> dict[int, object]:
    """Subsection id -> {index: name} (plain maps) or {index: {index: name}} (indirect)."""
    out = {}
    pos = 0
    while pos < len(data):
        sub = data[pos]
        size, start = leb.read_u32(data, pos + 1)
        end = start + size
        if end > len(data):
            raise DecodeError("name section: subsection extends past the end", pos)
        r = Reader(data, start, end)
        if sub == 0:
            out[0] = r.name()
        elif sub in NAME_MAPS:
            out[sub] = _name_map(r)
        elif sub in INDIRECT_MAPS:
            out[sub] = {idx: inner for idx, inner in r.vec(lambda: (r.u32(), _name_map(r)))}
        pos = end
    return out


def _name_map(r: Reader) -> dict[int, str]:
    return dict(r.vec(lambda: (r.u32(), r.name())))


def _write_map(entries: dict[int, str]) -> bytes:
    out = [leb.write_unsigned(len(entries))]
    for idx in sorted(entries):
        raw = entries[idx].encode("utf-8")
        out.append(leb.write_unsigned(idx) + leb.write_unsigned(len(raw)) + raw)
    return b"".join(out)


def _write_indirect(entries: dict[int, dict]) -> bytes:
    out = [leb.write_unsigned(len(entries))]
    for idx in sorted(entries):
        out.append(leb.write_unsigned(idx) + _write_map(entries[idx]))
    return b"".join(out)


def encode_names(sections: dict[int, object]) -> bytes:
    out = []
    for sub in sorted(sections):
        entries = sections[sub]
        if not entries:
            continue
        if sub == 0:
            raw = entries.encode("utf-8")
            body = leb.write_unsigned(len(raw)) + raw
        elif sub in NAME_MAPS:
            body = _write_map(entries)
        else:
            body = _write_indirect(entries)
        out.append(bytes((sub,)) + leb.write_unsigned(len(body)) + body)
    return b"".join(out)


class NameMerger:
    def __init__(self):
        self.sections: dict[int, dict] = {}
        self._used: dict[int, dict[str, int]] = {}  # subsection -> name -> merged index

    def add(self, module_name: str, parsed: dict, maps: dict[str, list[int]], skip_funcs: set[int]):
        """Add one input's names; `maps` are its index maps, `skip_funcs` its function
        indices whose names are dropped (imports bound to definitions)."""
        for sub, space in NAME_MAPS.items():
            entries = parsed.get(sub)
            if not entries:
                continue
            table = maps[space]
            for idx, name in entries.items():
                if idx >= len(table) or (sub == 1 and idx in skip_funcs):
                    continue
                self._put(sub, table[idx], name, module_name)
        for sub, space in INDIRECT_MAPS.items():
            entries = parsed.get(sub)
            if not entries:
                continue
            table = maps[space]
            merged = self.sections.setdefault(sub, {})
            for idx, inner in entries.items():
                if idx >= len(table) or (space == "func" and idx in skip_funcs):
                    continue
                merged.setdefault(table[idx], dict(inner))

    def name_generated(self, sub: int, index: int, name: str):
        self._put(sub, index, name, "wasmmerge")

    def _put(self, sub: int, index: int, name: str, module_name: str):
        merged = self.sections.setdefault(sub, {})
        if index in merged:
            return  # deduplicated item (a type, a shared import): the first name stays
        used = self._used.setdefault(sub, {})
        candidate = name
        if candidate in used:
            candidate = f"{module_name}.{name}"
            n = 2
            while candidate in used:
                candidate = f"{module_name}.{name}#{n}"
                n += 1
        used[candidate] = index
        merged[index] = candidate
