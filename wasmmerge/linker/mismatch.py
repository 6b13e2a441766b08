"""Calls whose signature differs from the definition's: wasm-ld's trapping stubs.

A program whose objects disagree on a function's type still links: wasm-ld warns and
sends each call made with the other type to a stub of the caller's type whose body is
`unreachable`, so the module validates and the bad call traps when reached.
"""

from itertools import compress

from ..binary.types import FUNC_KIND, FuncType
from .symbols import BINDING_LOCAL, SYMTAB_FUNCTION, UNDEFINED, Symbol


def replace_mismatched_calls(symtab, pending=None) -> list:
    """A call whose signature differs from the definition's goes to a trapping stub.

    wasm-ld warns and links such a call to `signature_mismatch:NAME`, a function of the
    caller's signature whose body is `unreachable`, so the module still validates and
    the bad call traps when reached. Only a symbol the object calls (names in a
    R_WASM_FUNCTION_INDEX_LEB relocation) is checked, as wasm-ld checks: one whose
    address is only taken (a vtable slot, declared with another or no prototype) gets
    the definition. Returns the stub symbols made. `pending`: the objects whose
    relocations are still to be taken (prefetch.LaterRelocations), or None.
    """
    stubs = {}  # (name, the signature called with) -> its stub, in the order met
    warnings = {}
    for obj in symtab.objects:
        nfi = obj.num_imported[0]
        if not nfi:
            continue
        called = None
        table, resolved = obj.symbol_table, obj.resolved
        types, import_types = obj.module.types, obj.imports.descs[FUNC_KIND]
        for k, (kind, flags, index) in enumerate(zip(table.kinds, table.flags, table.indices)):
            if kind != SYMTAB_FUNCTION or not flags & UNDEFINED or index >= nfi:
                continue
            sym = resolved[k]
            signature = sym.signature
            if sym.file is None or signature is None:
                continue
            wanted = types[import_types[index]].comp
            # FuncType's equality without its (Python) __eq__: each object decodes its own types.
            if (wanted.params == signature.params and wanted.results == signature.results
                    if wanted.__class__ is FuncType is signature.__class__ else wanted == signature):
                continue
            if called is None:
                if pending is not None:
                    pending.finish()  # (this needs the object's relocations: all are taken now)
                called = _called_directly(obj)
            if k not in called:
                continue
            key = (sym.name, wanted)
            stub = stubs.get(key)
            if stub is None:
                stub = stubs[key] = Symbol(f"signature_mismatch:{sym.name}", SYMTAB_FUNCTION, BINDING_LOCAL)
                stub.synthetic = "stub"
                stub.signature = wanted
                warnings[key] = (f"function signature mismatch: {symtab.diag.named(sym.name)}\n"
                                 f">>> defined as {_sig(wanted)} in "
                                 f"{obj.name}\n>>> defined as {_sig(sym.signature)} in {sym.file.name}")
            obj.resolved[k] = stub
    if not stubs:
        return []
    # wasm-ld warns and makes the stubs walking its table of names with variants, an
    # LLVM DenseMap: in that map's order (densemap.py), each name's in the order met.
    from .densemap import densemap_order  # lazy: only a link with mismatched calls has them to order
    by_name = {}
    for key in stubs:
        by_name.setdefault(key[0], []).append(key)
    ordered = [key for name in densemap_order(by_name) for key in by_name[name]]
    for key in ordered:
        symtab.diag.warn(warnings[key], verbatim=True)  # (the name made as messages print it)
    return [stubs[key] for key in ordered]


def _called_directly(obj) -> set[int]:
    """The symbol indices the object's code calls (R_WASM_FUNCTION_INDEX_LEB, type 0)."""
    called = set()
    columns = obj.code_relocs
    if columns is not None:
        called.update(compress(columns.indices, map((0).__eq__, columns.kinds)))
    return called


def _sig(functype) -> str:
    """As wasm-ld prints a signature: `(i32, i32) -> i32`, `() -> void`."""
    results = functype.results
    result = "void" if not results else str(results[0]) if len(results) == 1 else f"({', '.join(map(str, results))})"
    return f"({', '.join(map(str, functype.params))}) -> {result}"
