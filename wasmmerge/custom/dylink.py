"""The `dylink.0` custom section of PIC side modules (tool-conventions DynamicLinking.md).

Subsections: WASM_DYLINK_MEM_INFO (1), WASM_DYLINK_NEEDED (2), WASM_DYLINK_EXPORT_INFO (3),
WASM_DYLINK_IMPORT_INFO (4), WASM_DYLINK_RUNTIME_PATH (5), each declared with `construct`;
an unknown subsection is kept as bytes.

Placement: the very first section of the module, before the type section (the convention
requires it, so a loader can size memory and table before reading anything else).
"""

from dataclasses import dataclass, field

import construct as cs

from . import DYLINK
from . import declarative as d

AFTER = 0  # before every standard section
NAME = DYLINK

MEM_INFO, NEEDED, EXPORT_INFO, IMPORT_INFO, RUNTIME_PATH = 1, 2, 3, 4, 5


@dataclass
class MemInfo:
    memory_size: int
    memory_alignment: int  # log2
    table_size: int
    table_alignment: int  # log2


@dataclass
class ExportInfo:
    name: str
    flags: int  # symbol flags, as in the linking section


@dataclass
class ImportInfo:
    module: str
    field: str
    flags: int


@dataclass
class Dylink:
    mem_info: MemInfo | None = None  # None: subsection absent
    needed: list[str] | None = None
    exports: list[ExportInfo] | None = None
    imports: list[ImportInfo] | None = None
    runtime_path: list[str] | None = None
    unknown: dict[int, bytes] = field(default_factory=dict)
    layout: list[tuple[int, int]] = field(default_factory=list, compare=False)


_MEM_INFO = d.As(MemInfo, cs.Struct("memory_size" / d.U32, "memory_alignment" / d.U32,
                                    "table_size" / d.U32, "table_alignment" / d.U32))
_SUBSECTIONS = d.Subsections(NAME, {
    MEM_INFO: ("mem_info", "WASM_DYLINK_MEM_INFO", _MEM_INFO),
    NEEDED: ("needed", "WASM_DYLINK_NEEDED", d.vec(d.NAME)),
    EXPORT_INFO: ("exports", "WASM_DYLINK_EXPORT_INFO",
                  d.vec(d.As(ExportInfo, cs.Struct("name" / d.NAME, "flags" / d.U32)))),
    IMPORT_INFO: ("imports", "WASM_DYLINK_IMPORT_INFO",
                  d.vec(d.As(ImportInfo, cs.Struct("module" / d.NAME, "field" / d.NAME, "flags" / d.U32)))),
    RUNTIME_PATH: ("runtime_path", "WASM_DYLINK_RUNTIME_PATH", d.vec(d.NAME)),
})


def parse(data: bytes, base: int = 0) -> Dylink:
    out = Dylink()
    _SUBSECTIONS.decode_into(out, data, 0, base)
    return out


def encode(dylink: Dylink) -> bytes:
    return _SUBSECTIONS.encode(dylink)


def summary(dylink: Dylink) -> str:
    parts = []
    if dylink.mem_info is not None:
        m = dylink.mem_info
        parts.append(f"memory {m.memory_size} bytes align {1 << m.memory_alignment}, "
                     f"table {m.table_size} align {1 << m.table_alignment}")
    if dylink.needed:
        parts.append("needed " + " ".join(dylink.needed))
    for label, items in (("export infos", dylink.exports), ("import infos", dylink.imports),
                         ("runtime paths", dylink.runtime_path)):
        if items:
            parts.append(f"{len(items)} {label}")
    return "; ".join(parts) or "empty"
