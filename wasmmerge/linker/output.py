"""The plan of the output module, as plain dataclasses: what layout decides and the
writer, the map file and the exports read."""

from dataclasses import dataclass, field

from ..binary import leb
from ..binary.types import FuncType, GlobalType


@dataclass(eq=False)
class OutputSegment:
    name: str
    alignment: int = 0  # log2
    size: int = 0
    chunks: list = field(default_factory=list)
    start: int = 0  # its address in memory
    payload_offset: int = 0  # of its bytes in the data section's payload (set by the writer)
    merged: dict = field(default_factory=dict)  # flags -> MergedStrings, at -O1 and above

    @property
    def is_tls(self) -> bool:
        return self.name.startswith(".tdata")

    @property
    def is_bss(self) -> bool:
        return self.name.startswith(".bss")


@dataclass(eq=False, slots=True)  # slots: one per function (import, global) of the output
class OutFunction:
    name: str
    signature: FuncType
    chunk: object = None  # a FunctionChunk, or None for a synthetic body
    body: bytes | None = None


@dataclass(eq=False, slots=True)  # slots: one per function (import, global) of the output
class OutImport:
    module: str
    name: str
    kind: int
    desc: object  # FuncType, GlobalType, TableType or MemType
    symbol: object = None


@dataclass(eq=False, slots=True)  # slots: one per function (import, global) of the output
class OutGlobal:
    name: str
    type: GlobalType
    init: bytes  # a constant expression, `end` included
    # In the name section: not the globals that export a data symbol's address (wasm-ld
    # leaves those unnamed).
    named: bool = True


@dataclass
class Layout:
    imports: list[OutImport] = field(default_factory=list)
    functions: list[OutFunction] = field(default_factory=list)
    globals: list[OutGlobal] = field(default_factory=list)
    segments: list[OutputSegment] = field(default_factory=list)
    table_entries: list = field(default_factory=list)  # function Symbols from --table-base on
    table_base: int = 1
    memory_pages: int = 0
    memory_max_pages: int | None = None
    exports: list[tuple[str, int, int]] = field(default_factory=list)
    num_imported_functions: int = 0
    num_imported_globals: int = 0
    num_imported_tags: int = 0
    tags: list = field(default_factory=list)  # FuncType of each defined tag (tags.py)
    memory_base: int = 0
    tls_segment: OutputSegment | None = None
    data_end: int = 0
    heap_base: int = 0
    stack_pointer: int = 0
    init_functions: list = field(default_factory=list)  # live init-function Symbols, in call order
    start: int | None = None  # the start function (__wasm_init_memory with shared memory)
    init_memory: int | None = None  # index of __wasm_init_memory
    init_memory_flag: int | None = None  # its flag's address

    def const(self, value: int, wasm64: bool) -> bytes:
        return (b"\x42" if wasm64 else b"\x41") + leb.write_signed(value) + b"\x0b"
