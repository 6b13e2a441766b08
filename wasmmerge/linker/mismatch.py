"""Calls whose signature differs from the definition's: wasm-ld's trapping stubs.

A program whose objects disagree on a function's type still links: wasm-ld warns and
sends each call made with the other type to a stub of the caller's type whose body is
`unreachable`, so the module validates and the bad call traps when reached.
"""

from itertools import compress

from ..binary.types import FUNC_KIND, FuncType
from .symbols import BINDING_LOCAL, SYMTAB_FUNCTION, UNDEFINED, Symbol


def replace_mismatched_calls(symtab) -> list:
    """A call whose signature differs from the definition's goes to a trapping stub.

    wasm-ld warns and links such a call to `signature_mismatch:NAME`, a function of the
    caller's signature whose body is `unreachable`, so the module still validates and
    the bad call traps when reached. Only a symbol the object calls (names in a
    R_WASM_FUNCTION_INDEX_LEB relocation) is checked, as wasm-ld checks: one whose
    address is only taken (a vtable slot, declared with another or no prototype) gets
    the definition. Returns the stub symbols made.
    """
    stubs = {}
    for obj in symtab.objects:
        nfi = obj.num_imported[0]
        if not nfi:
            continue
        called = None
        table = obj.symbol_table
        for k, (kind, flags, index) in enumerate(zip(table.kinds, table.flags, table.indices)):
            if kind != SYMTAB_FUNCTION or not flags & UNDEFINED or index >= nfi:
                continue
            sym = obj.resolved[k]
            if sym.file is None or sym.signature is None:
                continue
            wanted = obj.module.types[obj.imports.descs[FUNC_KIND][index]].comp
            signature = sym.signature
            # FuncType's equality without its (Python) __eq__: each object decodes its own types.
            if (wanted.params == signature.params and wanted.results == signature.results
                    if wanted.__class__ is FuncType is signature.__class__ else wanted == signature):
                continue
            if called is None:
                called = _called_directly(obj)
            if k not in called:
                continue
            key = (sym.name, wanted)
            stub = stubs.get(key)
            if stub is None:
                symtab.diag.warn(f"function signature mismatch: {sym.name}\n>>> defined as {_sig(wanted)} in "
                                 f"{obj.name}\n>>> defined as {_sig(sym.signature)} in {sym.file.name}")
                stub = stubs[key] = Symbol(f"signature_mismatch:{sym.name}", SYMTAB_FUNCTION, BINDING_LOCAL)
                stub.synthetic = "stub"
                stub.signature = wanted
            obj.resolved[k] = stub
    return list(stubs.values())


def _called_directly(obj) -> set[int]:
    """The symbol indices the object's code calls (R_WASM_FUNCTION_INDEX_LEB, type 0)."""
    called = set()
    for chunk in obj.functions:
        relocs = chunk.relocs
        if relocs:
            called.update(compress(relocs[2::4], map((0).__eq__, relocs[0::4])))
    return called


def _sig(functype) -> str:
    """As wasm-ld prints a signature: `(i32, i32) -> i32`, `() -> void`."""
    results = functype.results
    result = "void" if not results else str(results[0]) if len(results) == 1 else f"({', '.join(map(str, results))})"
    return f"({', '.join(map(str, functype.params))}) -> {result}"
