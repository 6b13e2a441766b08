"""The `producers` custom section (tool-conventions ProducersSection.md), and its merge.

`vec(field)`, a field being `name vec(value)` and a value `name version`: declared with
`construct`. Merged as a union per field, in first-seen order, each value once.

Placement: after the data section, after `name` (LLVM's order).
"""

from dataclasses import dataclass

import construct as cs

from ..binary.model import DATA
from . import declarative as d

AFTER = DATA


@dataclass
class Tool:
    name: str
    version: str


@dataclass
class Field:
    name: str
    values: list[Tool]


@dataclass
class Producers:
    fields: list[Field]


_PRODUCERS = d.vec(d.As(Field, cs.Struct(
    "name" / d.NAME,
    "values" / d.vec(d.As(Tool, cs.Struct("name" / d.NAME, "version" / d.NAME))),
)))


def parse(data: bytes, base: int = 0) -> Producers:
    return Producers(d.parse(_PRODUCERS, data, "producers section", base))


def encode(producers: Producers) -> bytes:
    return d.build(_PRODUCERS, producers.fields, "producers section")


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
