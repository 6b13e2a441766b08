"""`target_features`: the union of the inputs' features, plus what the merge itself needs."""

from ...binary import leb
from ...binary.reader import Reader
from .producers import _name


def parse_target_features(data: bytes) -> list[tuple[str, str]]:
    r = Reader(data, 0, len(data))
    entries = r.vec(lambda: (chr(r.byte()), r.name()))
    if r.pos != len(data) or any(prefix not in "+-=" for prefix, _ in entries):
        raise ValueError("malformed target_features")
    return entries


def merge_target_features(sections: list[bytes], needed: set[str]) -> bytes:
    """Union of every input's features; a feature any input uses or the merge needs is `+`."""
    merged: dict[str, str] = {}
    for data in sections:
        for prefix, name in parse_target_features(data):
            if name not in merged or prefix in "+=" and merged[name] == "-":
                merged[name] = prefix
    for name in sorted(needed):
        if merged.get(name) not in ("+", "="):
            merged[name] = "+"
    out = [leb.write_unsigned(len(merged))]
    out.extend(bytes((ord(prefix),)) + _name(name) for name, prefix in merged.items())
    return b"".join(out)
