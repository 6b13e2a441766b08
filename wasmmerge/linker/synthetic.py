"""What the linker defines itself: synthetic symbols, functions and globals.

wasm-ld defines a fixed set of names when something references them (`__stack_pointer`,
`__heap_base`, `__data_end`, `__dso_handle`, `__indirect_function_table`,
`__wasm_call_ctors`, TLS and PIC globals, `__start_`/`__stop_` section bounds); their
values are set during layout. The functions it writes (`__wasm_call_ctors`, the
`unreachable` stubs for undefined weak functions, the `.command_export` wrappers) are
built here as raw body bytes: locals vector, instructions, `end`.
"""

from ..binary import leb
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE

# name -> kinds it may be referenced as
DATA_SYMBOLS = ("__heap_base", "__heap_end", "__data_end", "__dso_handle", "__global_base")
GLOBAL_SYMBOLS = ("__stack_pointer", "__tls_base", "__tls_size", "__tls_align")
FUNCTION_SYMBOLS = ("__wasm_call_ctors", "__wasm_init_tls")
TABLE_SYMBOLS = ("__indirect_function_table",)
SYNTHETIC_KINDS = {**{n: SYMTAB_GLOBAL for n in GLOBAL_SYMBOLS}, **{n: SYMTAB_DATA for n in DATA_SYMBOLS},
                   "__memory_base": SYMTAB_DATA, "__table_base": SYMTAB_DATA, "__table_base32": SYMTAB_DATA,
                   **{n: SYMTAB_FUNCTION for n in FUNCTION_SYMBOLS}, **{n: SYMTAB_TABLE for n in TABLE_SYMBOLS}}


def is_c_identifier(name: str) -> bool:
    return bool(name) and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name)


# Defined only with shared memory, where each thread has its own TLS block (wasm-ld 14:
# without it a reference to one is an undefined symbol; __tls_base is then a constant).
SHARED_MEMORY_ONLY = ("__tls_size", "__tls_align", "__wasm_init_tls")
# The TLS symbols: with shared memory wasm-ld makes them all before reading any input.
TLS_SYMBOLS = ("__tls_base", *SHARED_MEMORY_ONLY)


def define_synthetic(symtab, wasm64: bool, segment_names, shared_memory: bool) -> None:
    """Give every referenced-but-undefined linker name its synthetic definition."""
    as_data = []  # __memory_base and the like, named as globals (PIC code)
    for name, sym in symtab.symbols.items():
        # (an object's definition first: most symbols, without the `defined` property's call)
        if (sym.file is not None or sym.defined or sym.kind is None
                or (name in SHARED_MEMORY_ONLY and not shared_memory)):
            continue
        if name in DATA_SYMBOLS and sym.kind == SYMTAB_DATA:
            sym.synthetic = "data"
        elif (name in ("__memory_base", "__table_base") or name == "__table_base32" and wasm64) \
                and sym.kind in (SYMTAB_DATA, SYMTAB_GLOBAL, None):  # (__table_base32: wasm64 only)
            # Absolute data symbols, as wasm-ld 14 makes them (replacing the reference of
            # whatever kind): PIC code naming one as a global reaches it through a GOT entry.
            if sym.kind == SYMTAB_GLOBAL:
                as_data.append(sym)
            sym.kind = SYMTAB_DATA
            sym.synthetic = "data"
        elif name in GLOBAL_SYMBOLS and sym.kind == SYMTAB_GLOBAL:
            sym.synthetic = "global"
        elif name in FUNCTION_SYMBOLS and sym.kind == SYMTAB_FUNCTION:
            sym.synthetic = "function"
        elif name in TABLE_SYMBOLS and sym.kind == SYMTAB_TABLE:
            sym.synthetic = "table"
        elif sym.kind == SYMTAB_DATA and (name.startswith("__start_") or name.startswith("__stop_")):
            section = name[len("__start_"):] if name.startswith("__start_") else name[len("__stop_"):]
            if section in segment_names:
                sym.synthetic = "data"
    if as_data:  # the objects naming them now name a GOT entry (layout.plan_got)
        for obj in symtab.objects:
            if not obj.names_got and any(sym in as_data for sym in obj.resolved):
                obj.names_got = True


def body(instructions: bytes) -> bytes:
    """A function body without locals."""
    return b"\x00" + instructions + b"\x0b"


def call(index: int) -> bytes:
    return b"\x10" + leb.write_unsigned(index)


UNREACHABLE_BODY = body(b"\x00")
