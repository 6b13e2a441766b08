"""What garbage collection leaves the linker to report: the undefined symbols live code
refers to (`report_undefined`) and, with --print-gc-sections, what was removed
(`print_gc_sections`), each in wasm-ld 14's order and words."""

import sys

from ..binary.types import GLOBAL_KIND, TAG_KIND
from .marklive import first_references
from .symbols import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TAG, UNDEFINED
from .synthetic import SYNTHETIC_KINDS, TLS_SYMBOLS


def report_undefined(opts, symtab, marker, diag):
    """The undefined symbols live code refers to that the options do not let be imported
    (or given address 0): each an error, or a warning under --warn-unresolved-symbols,
    in wasm-ld 14's order and words."""
    reports = []  # (symbol, whether an error)
    for sym in marker.live_undefined:
        if sym.weak:
            continue  # address 0 / an unreachable stub
        named = opts.allows_import(sym)
        if opts.warn_unresolved and sym.import_name is None and not named:
            reports.append((sym, False))
        allowed = opts.unresolved != "report-all" or named
        if sym.kind == SYMTAB_FUNCTION and (sym.import_name is not None or allowed):
            continue  # becomes an import
        if sym.kind == SYMTAB_GLOBAL and (sym.import_name is not None or allowed):
            continue
        if sym.kind == SYMTAB_DATA and (opts.unresolved == "ignore-all" or allowed):
            continue  # address 0, as wasm-ld gives an allowed undefined data symbol
        reports.append((sym, True))
    if len(reports) > 1:  # in wasm-ld's order (of its relocation scan), warnings and errors alike
        # (those only the command line names, met by no relocation, first)
        first = first_references(symtab.objects, {sym for sym, _ in reports})
        order = dict(zip(first, range(len(first))))
        reports.sort(key=lambda report: order.get(report[0], -1))
    rank = {id(obj): k for k, obj in enumerate(symtab.objects)} if reports else None
    for sym, error in reports:
        # the objects referring to it in command-line order (marking met them in its own)
        referrers = sorted((r for r in marker.live_undefined[sym] if r is not None), key=lambda r: rank[id(r)])
        names = ", ".join(dict.fromkeys(r.name for r in referrers)) or "the command line"
        message = f"undefined symbol: {diag.named(sym.name)} (referenced by {names})"
        (diag.error if error else diag.warn)(message, verbatim=True)


def print_gc_sections(symtab, stubs, keep_all: bool, shared_memory: bool):
    """wasm-ld's lines, on stdout as its messages are: `removing unused section FILE:(NAME)`."""
    for obj in symtab.objects:
        for chunk in obj.functions:
            if not chunk.live:
                # named by the first of the object's symbols defining it (a COMDAT copy
                # that lost has its own name, though its symbols resolved elsewhere)
                name = next((s.name for s in obj.symbols if s.kind == SYMTAB_FUNCTION and s.index == chunk.index
                             and s.name and not s.flags & UNDEFINED), f"function {chunk.index}")
                print(f"removing unused section {obj.name}:({name})", file=sys.stdout)
        for chunk in obj.datas:
            if not chunk.live:
                print(f"removing unused section {obj.name}:({chunk.name})", file=sys.stdout)
        # then its globals (`address_space(1)` variables) and tags, as wasm-ld lists them
        for name in (*_removed(obj, SYMTAB_GLOBAL, GLOBAL_KIND, len(obj.module.globals), keep_all),
                     *_removed(obj, SYMTAB_TAG, TAG_KIND, len(obj.module.tags), keep_all)):
            print(f"removing unused section {obj.name}:({name})", file=sys.stdout)
    # wasm-ld makes __wasm_call_ctors before reading any input, so it is listed (last) when
    # nothing calls it, even where we never made it.
    ctors = symtab.symbols.get("__wasm_call_ctors")
    if ctors is None or (ctors.synthetic and not ctors.live):
        print("removing unused section <internal>:(__wasm_call_ctors)", file=sys.stdout)
    # With shared memory it makes the TLS symbols then too (we make them only where they are
    # kept): __wasm_init_tls among its functions, __tls_base, __tls_size and __tls_align
    # among its globals, listed after every function. Without, it makes __tls_base once an
    # object refers to it.
    made = TLS_SYMBOLS if shared_memory else [name for name in ("__tls_base",) if name in symtab.symbols]
    unused_tls = [name for name in made
                  if (sym := symtab.symbols.get(name)) is None or (sym.synthetic and not sym.live)]
    for name in unused_tls:
        if SYNTHETIC_KINDS[name] == SYMTAB_FUNCTION:
            print(f"removing unused section <internal>:({name})", file=sys.stdout)
    # Then the trapping stubs it makes before collecting, as it made them: those of calls
    # with a mismatched signature, then those of weak functions nobody defines.
    for stub in stubs:
        if not stub.live:
            print(f"removing unused section <internal>:({stub.name.partition(':')[2]})", file=sys.stdout)
    for sym in symtab.weak_undefined_functions():
        if not sym.live:
            print(f"removing unused section <internal>:({sym.name})", file=sys.stdout)
    for name in unused_tls:
        if SYNTHETIC_KINDS[name] == SYMTAB_GLOBAL:
            print(f"removing unused section <internal>:({name})", file=sys.stdout)


def _removed(obj, symbol_kind: int, import_kind: int, count: int, keep_all: bool) -> list[str]:
    """The names of `obj`'s `count` defined globals or tags that no live symbol of its own
    names (gc removed them: the losing copy of a weak tag, C++'s __cpp_exception, among
    them), each by the object's own symbol for it; none when nothing is collected."""
    if not count or keep_all:
        return []
    first = obj.num_imported[import_kind]
    live = obj.live_definitions(symbol_kind, import_kind)
    names = {}
    for sym in obj.symbols:
        if sym.kind == symbol_kind and not sym.flags & UNDEFINED and sym.index >= first:
            names.setdefault(sym.index, sym.name)
    what = "global" if symbol_kind == SYMTAB_GLOBAL else "tag"
    return [names.get(k, f"{what} {k}") for k in range(first, first + count) if k not in live]
