"""The `name` custom section: parse, encode, and the merge that remaps and deduplicates.

Hand-written over the binary reader rather than declared with `construct`: it has an
entry per function (and per local), so it can be the largest custom section of a module.

A parsed section is `NameSection.subsections`: subsection id -> the module name (id 0),
{index: name} (plain maps), {index: {index: name}} (indirect maps), or the raw bytes of
a subsection we do not know. Entries stay in file order, so `encode(parse(b)) == b`.

Merging: a name that another item of the same space already has in the merged module
gets its module's name as a prefix (`b.helper`). An import bound to a definition
contributes no name: the definition's own name describes the merged item.

Placement: after the data section, first of LLVM's trailing sections after `reloc.*`.
"""

from dataclasses import dataclass, field

from ..binary import leb, spaces
from ..binary.model import DATA
from ..binary.reader import Reader
from ..errors import DecodeError

AFTER = DATA

# Subsection id -> index space of a plain name map.
NAME_MAPS = {1: spaces.FUNC, 4: spaces.TYPE, 5: spaces.TABLE, 6: spaces.MEMORY, 7: spaces.GLOBAL, 8: spaces.ELEM, 9: spaces.DATA, 11: spaces.TAG}
# Subsection id -> index space of the outer index of an indirect name map.
INDIRECT_MAPS = {2: spaces.FUNC, 3: spaces.FUNC, 10: spaces.TYPE}


@dataclass
class NameSection:
    subsections: dict[int, object] = field(default_factory=dict)


def parse(data: bytes, base: int = 0) -> NameSection:
    """`base`: the payload's offset in the file, added to error offsets."""
    try:
        return NameSection(_parse(data))
    except DecodeError as err:
        raise DecodeError(f"malformed name section: {err.message}", base + (err.offset or 0)) from None


def _parse(data: bytes) -> dict[int, object]:
    out = {}
    pos = 0
    while pos < len(data):
        sub = data[pos]
        size, start = leb.read_u32(data, pos + 1)
        end = start + size
        if end > len(data):
            raise DecodeError("subsection extends past the end", pos)
        if sub in out:
            raise DecodeError(f"duplicate subsection {sub}", pos)
        r = Reader(data, start, end)
        if sub == 0:
            out[0] = r.name()
        elif sub in NAME_MAPS:
            out[sub] = _name_map(r)
        elif sub in INDIRECT_MAPS:
            out[sub] = {idx: inner for idx, inner in r.vec(lambda: (r.u32(), _name_map(r)))}
        else:
            out[sub] = bytes(data[start:end])
            r.pos = end
        if r.pos != end:
            raise DecodeError("subsection size mismatch", r.pos)
        pos = end
    return out


def _name_map(r: Reader) -> dict[int, str]:
    return dict(r.vec(lambda: (r.u32(), r.name())))


def _write_map(entries: dict[int, str]) -> bytes:
    out = [leb.write_unsigned(len(entries))]
    for idx, name in entries.items():
        raw = name.encode("utf-8")
        out.append(leb.write_unsigned(idx) + leb.write_unsigned(len(raw)) + raw)
    return b"".join(out)


def _write_indirect(entries: dict[int, dict]) -> bytes:
    out = [leb.write_unsigned(len(entries))]
    for idx, inner in entries.items():
        out.append(leb.write_unsigned(idx) + _write_map(inner))
    return b"".join(out)


def encode(section: NameSection) -> bytes:
    """Subsections and entries in the order given (the spec wants increasing indices:
    a parsed section already has them, and `NameMerger` sorts what it builds)."""
    out = []
    for sub, entries in section.subsections.items():
        if isinstance(entries, bytes):
            body = entries
        elif sub == 0:
            raw = entries.encode("utf-8")
            body = leb.write_unsigned(len(raw)) + raw
        elif sub in NAME_MAPS:
            body = _write_map(entries)
        else:
            body = _write_indirect(entries)
        out.append(bytes((sub,)) + leb.write_unsigned(len(body)) + body)
    return b"".join(out)


def summary(section: NameSection) -> str:
    subs = section.subsections
    parts = [f"module {subs[0]!r}"] if 0 in subs else []
    labels = {1: "functions", 4: "types", 7: "globals", 9: "data segments"}
    parts += [f"{len(subs[sub])} {label}" for sub, label in labels.items() if sub in subs]
    return ", ".join(parts) or "empty"


class NameMerger:
    def __init__(self):
        self.sections: dict[int, dict] = {}
        self._used: dict[int, dict[str, int]] = {}  # subsection -> name -> merged index

    def add(self, module_name: str, parsed: NameSection, maps: dict[str, list[int]], skip_funcs: set[int]):
        """Add one input's names; `maps` are its index maps, `skip_funcs` its function
        indices whose names are dropped (imports bound to definitions)."""
        subs = parsed.subsections
        for sub, space in NAME_MAPS.items():
            entries = subs.get(sub)
            if not entries:
                continue
            table = maps[space]
            for idx, name in entries.items():
                if idx >= len(table) or (sub == 1 and idx in skip_funcs):
                    continue
                self._put(sub, table[idx], name, module_name)
        for sub, space in INDIRECT_MAPS.items():
            entries = subs.get(sub)
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

    def result(self) -> NameSection:
        """The merged section: subsections by id, entries by index, empty ones left out."""
        out = {}
        for sub in sorted(self.sections):
            entries = self.sections[sub]
            if entries:
                out[sub] = {idx: (dict(sorted(v.items())) if isinstance(v, dict) else v)
                            for idx, v in sorted(entries.items())}
        return NameSection(out)

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
