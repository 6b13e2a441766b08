"""`producers` and `target_features`: merged as unions, in first-seen order."""

from ...binary import leb
from ...binary.reader import Reader


def parse_producers(data: bytes) -> list[tuple[str, list[tuple[str, str]]]]:
    r = Reader(data, 0, len(data))
    fields = r.vec(lambda: (r.name(), r.vec(lambda: (r.name(), r.name()))))
    if r.pos != len(data):
        raise ValueError("trailing bytes")
    return fields


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return leb.write_unsigned(len(raw)) + raw


def merge_producers(sections: list[bytes]) -> bytes:
    merged: dict[str, list] = {}
    for data in sections:
        for field, values in parse_producers(data):
            entries = merged.setdefault(field, [])
            for value in values:
                if value not in entries:
                    entries.append(value)
    out = [leb.write_unsigned(len(merged))]
    for field, values in merged.items():
        out.append(_name(field) + leb.write_unsigned(len(values)))
        out.extend(_name(name) + _name(version) for name, version in values)
    return b"".join(out)


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
