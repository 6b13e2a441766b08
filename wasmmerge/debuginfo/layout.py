"""Where the functions are in a module's code section, in the offsets wasm DWARF uses
(from the start of the code section's payload), and splicing custom sections into an
encoded module without re-encoding it."""

from ..binary import leb
from ..binary.model import CODE, CUSTOM
from ..binary.reader import iter_sections
from ..errors import DecodeError


def code_payload(data) -> tuple[int, int] | None:
    """(start, end) of the code section's payload in the file, or None without one."""
    for info in iter_sections(data):
        if info.id == CODE:
            return info.start, info.start + info.size
    return None


def function_spans(data) -> list[tuple[int, int]]:
    """(body start, body end) of every function body: the body starts at its local
    declarations, right after its size; offsets from the start of the code payload."""
    where = code_payload(data)
    if where is None:
        return []
    start, end = where
    count, pos = leb.read_u32(data, start)
    spans = []
    for _ in range(count):
        size, pos = leb.read_u32(data, pos)
        if pos + size > end:
            raise DecodeError("function body runs past the code section", pos)
        spans.append((pos - start, pos - start + size))
        pos += size
    return spans


def custom_section_bytes(name: str, payload: bytes) -> bytes:
    raw_name = name.encode()
    body = leb.write_unsigned(len(raw_name)) + raw_name + payload
    return bytes((CUSTOM,)) + leb.write_unsigned(len(body)) + body


def insert_customs(data: bytes, sections: list[tuple[str, bytes]], before: tuple[str, ...] = ()) -> bytes:
    """`data` with custom sections added in front of the first custom section named in
    `before` that comes after every standard section, else at the end."""
    if not sections:
        return data
    at = len(data)
    for info in iter_sections(data):
        if info.id == CUSTOM and info.name in before:
            at = min(at, info.offset)
        elif info.id != CUSTOM:
            at = len(data)  # a standard section after it: insert later
    extra = b"".join(custom_section_bytes(name, payload) for name, payload in sections)
    return data[:at] + extra + data[at:]
