"""The `target_features` custom section (tool-conventions Linking.md), and its merge.

`vec(prefix:u8 name)` with prefix `+` (used), `-` (disallowed) or `=` (required). Read and
written by hand (`fields.py`), as `producers` is, for the same reason (nearly every
toolchain output carries it). Merged as the union of the inputs' features plus what the merge itself
needs.

Placement: after the data section, after `producers` (LLVM's order).
"""

from ..binary.model import DATA
from ..binary.record import Record  # a dataclass's behaviour without its import cost
from ..errors import DecodeError
from .fields import name_at, name_bytes, vec_at, vec_bytes, whole

AFTER = DATA
PREFIXES = "+-="


class Feature(Record):
    __slots__ = ("prefix", "name")

    def __init__(self, prefix: str, name: str):
        self.prefix = prefix
        self.name = name


class TargetFeatures(Record):
    __slots__ = ("features",)

    def __init__(self, features: list[Feature]):
        self.features = features


def _feature(data, pos: int) -> tuple[Feature, int]:
    if pos >= len(data):
        raise DecodeError("unexpected end", pos)
    prefix = chr(data[pos])
    if prefix not in PREFIXES:
        raise DecodeError(f"unknown feature prefix {data[pos]!r}", pos)
    name, pos = name_at(data, pos + 1)
    return Feature(prefix, name), pos


def parse(data: bytes, base: int = 0) -> TargetFeatures:
    return TargetFeatures(whole(lambda data, pos: vec_at(data, pos, _feature), data, "target_features section", base))


def encode(section: TargetFeatures) -> bytes:
    return vec_bytes([bytes((ord(f.prefix),)) + name_bytes(f.name) for f in section.features])


def merge(sections: list[TargetFeatures], needed: set[str]) -> TargetFeatures:
    """A feature any input uses or the merge needs is `+`; one only disallowed stays `-`."""
    merged: dict[str, str] = {}
    for section in sections:
        for feature in section.features:
            if feature.name not in merged or feature.prefix in "+=" and merged[feature.name] == "-":
                merged[feature.name] = feature.prefix
    for name in sorted(needed):
        if merged.get(name) not in ("+", "="):
            merged[name] = "+"
    return TargetFeatures([Feature(prefix, name) for name, prefix in merged.items()])


def summary(section: TargetFeatures) -> str:
    return " ".join(f.prefix + f.name for f in section.features) or "empty"
