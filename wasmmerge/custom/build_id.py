"""The `build_id` custom section: one LEB128-length-prefixed byte string (as wasm-ld's
`--build-id` writes it).

Placement: after the data section, last of LLVM's trailing sections (after
`target_features`).
"""

from dataclasses import dataclass

import construct as cs

from ..binary.model import DATA
from . import declarative as d

AFTER = DATA

_BUILD_ID = cs.Prefixed(d.U32, cs.GreedyBytes)


@dataclass
class BuildId:
    id: bytes


def parse(data: bytes, base: int = 0) -> BuildId:
    return BuildId(d.parse(_BUILD_ID, data, "build_id section", base))


def encode(build_id: BuildId) -> bytes:
    return d.build(_BUILD_ID, build_id.id, "build_id section")


def summary(build_id: BuildId) -> str:
    return build_id.id.hex() or "empty"
