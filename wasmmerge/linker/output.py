"""The plan of the output module, as plain records (`binary/record.py`: a dataclass's
behaviour without its import cost): what layout decides and the writer, the map file
and the exports read. Output segments, functions, imports and globals are entities
(compared by identity); a list defaults to a fresh empty one."""

from ..binary import leb
from ..binary.record import Entity, Record
from ..binary.types import FuncType, GlobalType


class OutputSegment(Entity):
    __slots__ = ("name", "alignment", "size", "chunks", "start", "payload_offset", "merged")

    def __init__(self, name: str, alignment: int = 0, size: int = 0, chunks: list | None = None, start: int = 0,
                 payload_offset: int = 0, merged: dict | None = None):
        self.name = name
        self.alignment = alignment  # log2
        self.size = size
        self.chunks = [] if chunks is None else chunks
        self.start = start  # its address in memory
        self.payload_offset = payload_offset  # of its bytes in the data section's payload (set by the writer)
        self.merged = {} if merged is None else merged  # flags -> MergedStrings, at -O1 and above

    @property
    def is_tls(self) -> bool:
        return self.name.startswith(".tdata")

    @property
    def is_bss(self) -> bool:
        return self.name.startswith(".bss")


class OutFunction(Entity):  # one per function the linker makes (an object's kept body stands for itself)
    __slots__ = ("name", "signature", "chunk", "body")

    def __init__(self, name: str, signature: FuncType, chunk: object = None, body: bytes | None = None):
        self.name = name
        self.signature = signature
        self.chunk = chunk  # a FunctionChunk, or None for a synthetic body
        self.body = body


class OutImport(Entity):
    __slots__ = ("module", "name", "kind", "desc", "symbol")

    def __init__(self, module: str, name: str, kind: int, desc: object, symbol: object = None):
        self.module = module
        self.name = name
        self.kind = kind
        self.desc = desc  # FuncType, GlobalType, TableType or MemType
        self.symbol = symbol


class OutGlobal(Entity):
    __slots__ = ("name", "type", "init", "named")

    def __init__(self, name: str, type: GlobalType, init: bytes, named: bool = True):
        self.name = name
        self.type = type
        self.init = init  # a constant expression, `end` included
        # In the name section: not the globals that export a data symbol's address (wasm-ld
        # leaves those unnamed).
        self.named = named


class Layout(Record):
    __slots__ = ("imports", "functions", "globals", "segments", "table_entries", "table_base", "memory_pages",
                 "memory_max_pages", "exports", "num_imported_functions", "num_imported_globals",
                 "num_imported_tags", "tags", "memory_base", "tls_segment", "data_end", "heap_base",
                 "stack_pointer", "init_functions", "start", "init_memory", "init_memory_flag", "bss_written")

    def __init__(self, imports: list[OutImport] | None = None, functions: list | None = None,
                 globals: list[OutGlobal] | None = None, segments: list[OutputSegment] | None = None,
                 table_entries: list | None = None, table_base: int = 1, memory_pages: int = 0,
                 memory_max_pages: int | None = None, exports: list[tuple[str, int, int]] | None = None,
                 num_imported_functions: int = 0, num_imported_globals: int = 0, num_imported_tags: int = 0,
                 tags: list | None = None, memory_base: int = 0, tls_segment: OutputSegment | None = None,
                 data_end: int = 0, heap_base: int = 0, stack_pointer: int = 0, init_functions: list | None = None,
                 start: int | None = None, init_memory: int | None = None, init_memory_flag: int | None = None,
                 bss_written: bool | None = None):
        self.imports = [] if imports is None else imports
        # Defined functions in index order: OutFunctions and objects' FunctionChunks, each
        # with `chunk` (None for the linker's own), `signature` and `body`.
        self.functions = [] if functions is None else functions
        self.globals = [] if globals is None else globals
        self.segments = [] if segments is None else segments
        self.table_entries = [] if table_entries is None else table_entries  # function Symbols from --table-base on
        self.table_base = table_base
        self.memory_pages = memory_pages
        self.memory_max_pages = memory_max_pages
        self.exports = [] if exports is None else exports
        self.num_imported_functions = num_imported_functions
        self.num_imported_globals = num_imported_globals
        self.num_imported_tags = num_imported_tags
        self.tags = [] if tags is None else tags  # FuncType of each defined tag (tags.py)
        self.memory_base = memory_base
        self.tls_segment = tls_segment
        self.data_end = data_end
        self.heap_base = heap_base
        self.stack_pointer = stack_pointer
        # Live init-function Symbols, in call order.
        self.init_functions = [] if init_functions is None else init_functions
        self.start = start  # the start function (__wasm_init_memory with shared memory)
        self.init_memory = init_memory  # index of __wasm_init_memory
        self.init_memory_flag = init_memory_flag  # its flag's address
        # An imported memory that is not shared: whether its .bss is written as zeros
        # (True) or zeroed by __wasm_init_memory (False, bulk memory allowed); else None.
        self.bss_written = bss_written

    def const(self, value: int, wasm64: bool) -> bytes:
        return (b"\x42" if wasm64 else b"\x41") + leb.write_signed(value) + b"\x0b"
