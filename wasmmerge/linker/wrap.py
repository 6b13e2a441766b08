"""`--wrap=NAME`: references to NAME go to `__wrap_NAME`, references to `__real_NAME` to NAME.

As wasm-ld does it (its addWrappedSymbols and wrapSymbols): once every input is read, for
each name given that the symbol table has, `__real_NAME` and `__wrap_NAME` are referenced
(an archive member defining either is extracted); then every object's references are
redirected, and the names the command line gives (`--export`, the entry) look up what
they now stand for. The symbols keep their own names: the wrapped function is still NAME
in the name section, and an exported wrapper is exported as `__wrap_NAME`.
"""

from .relocations import TYPE_KINDS
from ..errors import LinkError
from .symbols import KIND_NAMES, SYMTAB_FUNCTION, UNDEFINED, Symbol


def wrap_symbols(symtab, opts) -> None:
    wrapped = []  # (name, its symbol, __real_NAME's, __wrap_NAME's)
    for name in dict.fromkeys(opts.wraps):
        sym = symtab.symbols.get(name)
        if sym is not None and sym.kind is not None and sym.kind != SYMTAB_FUNCTION:
            # (wasm-ld references __real_ and __wrap_ as functions: it fails on any other kind)
            raise LinkError(f"--wrap={name}: {name} is a {KIND_NAMES[sym.kind]} symbol; only functions can be wrapped")
        if sym is not None:
            wrapped.append((name, sym, _referenced(symtab, f"__real_{name}", sym),
                            _referenced(symtab, f"__wrap_{name}", sym)))
    redirect = {}
    looked_up = {}  # a name the command line gives -> the name of the symbol it now finds
    for name, sym, real, wrap in wrapped:
        symtab.wrapped.add(id(sym))
        redirect[id(sym)] = wrap
        redirect[id(real)] = sym
        looked_up[name] = wrap.name
        looked_up[real.name] = name
    if not redirect:
        return
    for obj in symtab.objects:
        resolved = obj.resolved
        moved = {}  # entry defining a wrapped symbol -> the entry added for its redirection
        for k, sym in enumerate(resolved):
            target = redirect.get(id(sym))
            if target is None:
                continue
            if sym.file is obj:
                # The object defines it: the entry stays (the passes that find an
                # object's definitions among its symbols, for output indices, names and
                # the map, still find it there), and its own relocations naming it, like
                # everyone's, go to the redirection, a new entry past the table's own.
                moved[k] = len(resolved) + len(moved)
            else:
                resolved[k] = target
        if moved:
            resolved += [redirect[id(resolved[k])] for k in moved]
            _renumber(obj, moved)
    opts.exports = [looked_up.get(name, name) for name in opts.exports]
    opts.exports_if_defined = [looked_up.get(name, name) for name in opts.exports_if_defined]
    if opts.entry in looked_up:
        opts.entry = looked_up[opts.entry]


def _referenced(symtab, name: str, like: Symbol) -> Symbol:
    """The symbol of `name`, referenced as wasm-ld's addUndefined references it: an
    archive member defining it is extracted; a name nothing has is a new undefined function
    with the signature of the function it stands in for, `like` (an import, or an
    undefined symbol, if nothing defines it; wasm-ld 14 crashes there)."""
    sym = symtab.require(name)
    if sym is None:
        sym = symtab.symbols[name] = Symbol(name, SYMTAB_FUNCTION, UNDEFINED)
        sym.signature = like.signature
        sym.referenced_by = like.referenced_by or like.file
    elif sym.kind is not None and sym.kind != SYMTAB_FUNCTION:  # wasm-ld's symbol type mismatch
        raise LinkError(f"--wrap: {name} is a {KIND_NAMES[sym.kind]} symbol; it must be a function")
    return sym


def _renumber(obj, moved: dict):
    """Point the object's relocations naming the entries of `moved` at their new ones
    (a type relocation's index is a type's: left alone)."""
    for columns in (obj.code_relocs, obj.data_relocs, *(chunk.relocs for chunk in obj.customs)):
        if columns is None:
            continue
        columns.widen_indices()  # a new entry's index may not fit the narrow column
        indices = columns.indices
        for at, (kind, index) in enumerate(zip(columns.kinds, indices)):
            if index in moved and kind not in TYPE_KINDS:
                indices[at] = moved[index]
