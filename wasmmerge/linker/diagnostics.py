"""Warnings, errors and traces of one link, printed as wasm-ld prints them.

Errors are collected rather than raised where wasm-ld reports them all at once
(duplicate and undefined symbols); `check()` then stops the link with every one of them.
Like wasm-ld (unless --no-demangle), messages name C++ symbols demangled: every word of a
message that is an Itanium-mangled name (`_Z…`) is printed as the demangler reads it, so
the passes that report problems need not know about demangling. `__main_argc_argv` (what
clang calls `main(argc, argv)`) is printed `main` either way, as wasm-ld does.
"""

import sys

from ..errors import LinkError
from .demangle_lazy import MAIN_WITH_ARGUMENTS, demangle  # the grammar loads at the first C++ name

_patterns = {}  # compiled at the first message that needs one: a clean link prints none


def _pattern(name: str):
    pattern = _patterns.get(name)
    if pattern is None:
        import re  # lazy: only a message with a C++ or `main` name in it (re and enum are 10% of a small link's start)
        pattern = _patterns[name] = re.compile(r"(?<![\w.])_Z[0-9A-Za-z_$.]+" if name == "mangled"
                                               else rf"(?<![\w.]){MAIN_WITH_ARGUMENTS}(?![\w.])")
    return pattern


def main_named(message: str) -> str:
    return _pattern("main").sub("main", message) if MAIN_WITH_ARGUMENTS in message else message


def demangle_words(message: str) -> str:
    return _pattern("mangled").sub(lambda m: demangle(m.group(0)), message) if "_Z" in message else message


def separator_after(message: str) -> str:
    """What comes before the next diagnostic: lld's blank line after one of several lines
    (a message with `>>>` details), nothing after a one-line one."""
    return "\n" if "\n" in message else ""


def problems_error(problems: list[str]) -> LinkError:
    """One error for several problems, which the command prints each as its own
    diagnostic line (`command._report`)."""
    err = LinkError("\n".join(problems))
    err.problems = problems
    return err


class Diagnostics:
    def __init__(self, fatal_warnings=False, error_limit=20, trace=False, trace_symbols=(), stream=None,
                 demangle=True):
        self.demangle = demangle
        self.fatal_warnings = fatal_warnings
        self.error_limit = error_limit
        self.trace = trace
        self.trace_symbols = set(trace_symbols)
        self.stream = stream or sys.stderr
        self.errors: list[str] = []
        self.warnings: list[str] = []
        # lld's separator: a blank line before any diagnostic that follows one of several
        # lines (a signature mismatch's `>>>` details), warnings and errors alike
        self.separator = ""

    def named(self, name: str) -> str:
        """A symbol's name as messages print it (demangled unless --no-demangle; `main` for
        `__main_argc_argv`), for a message that also names files, which is then given
        `verbatim` (wasm-ld demangles its symbols, never a file: `_Z4main.o` stays so)."""
        name = main_named(name)
        return demangle_words(name) if self.demangle else name

    def warn(self, message: str, verbatim: bool = False):
        """`verbatim`: the message names what the command line gave (an --export or entry
        name that no symbol answers), printed as given: wasm-ld demangles symbols, and
        such a name is none (`--export=_Z3barv` not found is `_Z3barv`, not `bar()`)."""
        if not verbatim:
            message = self.named(message)
        if self.fatal_warnings:
            self.errors.append(message)
        else:
            self.warnings.append(message)
            print(f"{self.separator}wasmmerge: warning: {message}", file=self.stream)  # cliutil's form
            self.separator = separator_after(message)

    def error(self, message: str, verbatim: bool = False):
        """`verbatim`: as for `warn`."""
        self.errors.append(message if verbatim else self.named(message))

    def check(self):
        """Stop the link if anything went wrong so far (all errors in one message)."""
        if not self.errors:
            return
        shown = self.errors if not self.error_limit else self.errors[:self.error_limit]
        if len(shown) < len(self.errors):
            shown = [*shown, "too many errors emitted, stopping now (use -error-limit=0 to see all errors)"]
        err = problems_error(shown)
        err.separator = self.separator  # (after the warnings printed so far)
        raise err

    def trace_file(self, name: str):
        if self.trace:
            print(name, file=sys.stdout)

    def trace_symbol(self, name: str, where: str, what: str, shown: str | None = None):
        """--trace-symbol: `OBJECT: reference to NAME` (or `definition of`; an archive's
        index: `ARCHIVE: lazy definition of NAME`; the linker's stub for it:
        `<internal>: definition of SHOWN`). Called for every symbol of every object: the
        line is made only for a traced name."""
        if self.trace_symbols and name in self.trace_symbols:
            print(f"{where}: {what} {shown or name}", file=sys.stdout)
