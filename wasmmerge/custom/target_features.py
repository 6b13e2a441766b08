"""The `target_features` custom section (tool-conventions Linking.md), and its merge.

`vec(prefix:u8 name)` with prefix `+` (used), `-` (disallowed) or `=` (required): declared
with `construct`. Merged as the union of the inputs' features plus what the merge itself
needs.

Placement: after the data section, after `producers` (LLVM's order).
"""

from dataclasses import dataclass

import construct as cs

from ..binary.model import DATA
from . import declarative as d

AFTER = DATA
PREFIXES = "+-="


@dataclass
class Feature:
    prefix: str
    name: str


@dataclass
class TargetFeatures:
    features: list[Feature]


class _Prefix(cs.Adapter):
    def _decode(self, obj, context, path):
        return chr(obj)

    def _encode(self, obj, context, path):
        return ord(obj)


_TARGET_FEATURES = d.vec(d.As(Feature, cs.Struct(
    "prefix" / _Prefix(d.OneOf(d.BYTE, map(ord, PREFIXES), "feature prefix")),
    "name" / d.NAME,
)))


def parse(data: bytes, base: int = 0) -> TargetFeatures:
    return TargetFeatures(d.parse(_TARGET_FEATURES, data, "target_features section", base))


def encode(section: TargetFeatures) -> bytes:
    return d.build(_TARGET_FEATURES, section.features, "target_features section")


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
