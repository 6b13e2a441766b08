"""The `producers` custom section (tool-conventions ProducersSection.md), and its merge.

`vec(field)`, a field being `name vec(value)` and a value `name version`. Read and written
by hand (`fields.py`), not with `construct`: nearly every toolchain output carries this
section, so it is read on most links and merges, and importing construct would be a
fixed cost of each. Merged as a union per field, in first-seen order, each value once.

Placement: after the data section, after `name` (LLVM's order).
"""

from ..binary.model import DATA
from ..binary.record import Record  # a dataclass's behaviour without its import cost
from .fields import name_at, name_bytes, vec_at, vec_bytes, whole

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
