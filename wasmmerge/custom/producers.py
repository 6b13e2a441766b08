"""The `producers` custom section (tool-conventions ProducersSection.md), and its merge.

`vec(field)`, a field being `name vec(value)` and a value `name version`. Read and written
by hand (`fields.py`), not with `construct`: nearly every toolchain output carries this
section, so it is read on most links and merges, and importing construct would be a
fixed cost of each. Merged (modules) as a union per field, in first-seen order, each
value once. Objects given to the linker are read as wasm-ld reads them
(`parse_linkable`): only the three known fields, each once, each tool once.

Placement: after the data section, after `name` (LLVM's order).
"""

from ..binary.model import DATA
from ..binary.record import Record  # a dataclass's behaviour without its import cost
from ..errors import DecodeError
from .fields import name_at, name_bytes, u32_at, vec_at, vec_bytes, whole

AFTER = DATA


class Tool(Record):
    __slots__ = ("name", "version")

    def __init__(self, name: str, version: str):
        self.name = name
        self.version = version


class Field(Record):
    __slots__ = ("name", "values")

    def __init__(self, name: str, values: list[Tool]):
        self.name = name
        self.values = values


class Producers(Record):
    __slots__ = ("fields",)

    def __init__(self, fields: list[Field]):
        self.fields = fields


def _tool(data, pos: int) -> tuple[Tool, int]:
    name, pos = name_at(data, pos)
    version, pos = name_at(data, pos)
    return Tool(name, version), pos


def _field(data, pos: int) -> tuple[Field, int]:
    name, pos = name_at(data, pos)
    values, pos = vec_at(data, pos, _tool)
    return Field(name, values), pos


def parse(data: bytes, base: int = 0) -> Producers:
    return Producers(whole(lambda data, pos: vec_at(data, pos, _field), data, "producers section", base))


# The fields LLVM's object reader knows, in the order wasm-ld writes them.
KNOWN_FIELDS = ("language", "processed-by", "sdk")


def _linkable_fields(data, pos: int) -> tuple[list[Field], int]:
    count, pos = u32_at(data, pos)
    fields = []
    for _ in range(count):
        start = pos
        fld, pos = _field(data, pos)
        if fld.name not in KNOWN_FIELDS:
            raise DecodeError(f"field {fld.name!r} is not named one of language, processed-by, or sdk", start)
        if any(f.name == fld.name for f in fields):
            raise DecodeError(f"field {fld.name!r} repeated: the section does not have unique fields", start)
        tools = [t.name for t in fld.values]
        if len(set(tools)) != len(tools):
            raise DecodeError(f"field {fld.name!r} contains a repeated producer", start)
        fields.append(fld)
    return fields, pos


def parse_linkable(data: bytes, base: int = 0) -> Producers:
    """An object's section as LLVM's object reader accepts it (wasm-ld refuses the object
    otherwise): fields named `language`, `processed-by` or `sdk`, each once, no tool
    named twice in a field."""
    return Producers(whole(_linkable_fields, data, "producers section", base))


def encode(producers: Producers) -> bytes:
    return vec_bytes([name_bytes(f.name) + vec_bytes([name_bytes(t.name) + name_bytes(t.version) for t in f.values])
                      for f in producers.fields])


def merge(sections: list[Producers]) -> Producers:
    merged: dict[str, list[Tool]] = {}
    for section in sections:
        for fld in section.fields:
            values = merged.setdefault(fld.name, [])
            values.extend(v for v in fld.values if v not in values)
    return Producers([Field(name, values) for name, values in merged.items()])


def summary(producers: Producers) -> str:
    return "; ".join(f"{f.name}: " + ", ".join(f"{t.name} {t.version}".strip() for t in f.values)
                     for f in producers.fields) or "empty"
