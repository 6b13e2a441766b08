"""The `build_id` custom section: one LEB128-length-prefixed byte string (as wasm-ld's
`--build-id` writes it), and how the linker computes it.

Placement: after the data section, last of LLVM's trailing sections (after
`target_features`).

Computation, as lld's wasm port does it (wasm-ld 14 has no `--build-id`; this follows
lld 17 and later): the section is first written holding a placeholder of spaces, the
whole output file is hashed, and the hash replaces the placeholder. Hashes are "tree"
hashes: the file is cut into 1 MiB pieces, each piece hashed, and the concatenated piece
hashes hashed again. `fast` hashes with XXH3-64 (little-endian bytes) and turns the
8-byte result into a version-5 UUID (SHA-1 of a fixed namespace UUID and the hash);
`sha1` is the 20-byte tree SHA-1; `uuid` a random version-4 UUID; `0xHEX` the bytes given.
"""

import hashlib
import os
from dataclasses import dataclass

import construct as cs

from ..binary.model import DATA
from . import declarative as d
from .xxh3 import xxh3_64

AFTER = DATA

_BUILD_ID = cs.Prefixed(d.U32, cs.GreedyBytes)
_PIECE = 1024 * 1024
# lld's namespace for name-based (version 5) build ids: a constant of the format.
_NAMESPACE = bytes((0xA1, 0xFA, 0x48, 0x2D, 0x0E, 0x22, 0x03, 0x8D,
                    0x33, 0x8B, 0x52, 0x1C, 0xD6, 0xD2, 0x12, 0xB2))
PLACEHOLDER = 0x20


@dataclass
class BuildId:
    id: bytes


def parse(data: bytes, base: int = 0) -> BuildId:
    return BuildId(d.parse(_BUILD_ID, data, "build_id section", base))


def encode(build_id: BuildId) -> bytes:
    return d.build(_BUILD_ID, build_id.id, "build_id section")


def summary(build_id: BuildId) -> str:
    return build_id.id.hex() or "empty"


def id_size(style: str) -> int:
    """Bytes of the id for a --build-id style (`0x…` styles: the bytes given)."""
    if style.startswith("0x"):
        return len(bytes.fromhex(style[2:]))
    return 20 if style == "sha1" else 16


def _tree_hash(data, hash_piece) -> bytes:
    view = memoryview(data)
    pieces = b"".join(hash_piece(view[at:at + _PIECE]) for at in range(0, len(data), _PIECE))
    return hash_piece(pieces)


def _uuid(version: int, raw: bytes) -> bytes:
    out = bytearray(raw[:16])
    out[6] = (version << 4) | (out[6] & 0x0F)
    out[8] = (out[8] & 0xBF) | 0x80  # the DCE 1.1 variant
    return bytes(out)


def compute(data, style: str) -> bytes:
    """The id of an output whose build_id section still holds the placeholder."""
    if style.startswith("0x"):
        return bytes.fromhex(style[2:])
    if style == "uuid":
        return _uuid(4, os.urandom(16))
    if style == "sha1":
        return _tree_hash(data, lambda piece: hashlib.sha1(piece).digest())
    file_hash = _tree_hash(data, lambda piece: xxh3_64(piece).to_bytes(8, "little"))
    return _uuid(5, hashlib.sha1(_NAMESPACE + file_hash).digest())


def fill(data: bytes, style: str) -> bytes:
    """Replace the placeholder ending `data` (the build_id section is the file's last)."""
    size = id_size(style)
    if style.startswith("0x") or size == 0:
        return data
    return data[:-size] + compute(data, style)
