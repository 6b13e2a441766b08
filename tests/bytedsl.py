"""A tiny byte DSL for hand-written (often broken) modules, so a reader sees what is wrong."""

from wasmmerge.binary import leb

HEADER = b"\x00asm\x01\x00\x00\x00"


def u32(n: int) -> bytes:
    return leb.write_unsigned(n)


def s(n: int) -> bytes:
    return leb.write_signed(n)


def vec(*items: bytes) -> bytes:
    return u32(len(items)) + b"".join(items)


def name(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return u32(len(raw)) + raw


def section(sid: int, body: bytes) -> bytes:
    return bytes((sid,)) + u32(len(body)) + body


def module(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


def functype(params=b"", results=b"") -> bytes:
    return b"\x60" + vec(*[bytes((p,)) for p in params]) + vec(*[bytes((r,)) for r in results])


def body(code: bytes, *locals_: bytes) -> bytes:
    inner = vec(*locals_) + code
    return u32(len(inner)) + inner
