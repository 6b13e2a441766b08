"""`producers`: merged as a union per field, in first-seen order."""

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
