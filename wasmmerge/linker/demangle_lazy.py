"""`demangle` for the writer, the map and the messages: the demangler is loaded only when
the first Itanium-mangled name (`_Z…`) is met.

Every function name of a link passes through `demangle` (wasm-ld writes C++ names
demangled), but only a C++ program has mangled ones: a C program's link never imports
the demangler's grammar (demangle.py and the three modules it reads types, expressions
and nodes with), which is a few per cent of a small link's start-up.
"""

_demangle_cxx = None  # demangle.demangle, once a mangled name has been met


def demangle(name: str) -> str:
    """As `demangle.demangle`: the C++ name `name` encodes, or `name` itself."""
    global _demangle_cxx
    if not name.startswith("_Z"):
        return name
    if _demangle_cxx is None:
        from .demangle import demangle as _demangle_cxx  # lazy: only once a mangled (C++) name is met
    return _demangle_cxx(name)


# clang renames `main(int, char **)` to `__main_argc_argv` (a wasm caller must know the
# callee's exact signature); wasm-ld shows that symbol as `main` wherever it names a symbol
# (name section, map, messages), demangling or not: lld's maybeDemangleSymbol.
MAIN_WITH_ARGUMENTS = "__main_argc_argv"


def shown_symbol(name: str, demangle_cxx: bool = True) -> str:
    """A symbol's name as wasm-ld prints it."""
    if name == MAIN_WITH_ARGUMENTS:
        return "main"
    return demangle(name) if demangle_cxx else name
