"""wasm-ld's command line, parsed by hand: one table row per option.

click cannot express lld's conventions (`-Map=FILE` and `--Map FILE` alike, `-z
stack-size=N`, `-lNAME`, `@response` files, a leading `-flavor wasm`), so this module
reads them itself. Each row names the spellings, whether the option takes a value, and
what it sets. An option without a row is refused by name ("unsupported option: X"),
never ignored: a build that relies on it must not get a silently different module.
"""

import os

from .. import __version__
from ..binary.record import Record
from ..custom.linking import SYMTAB_FUNCTION as _FUNCTION_SYMBOL
from ..errors import LinkError
from .diagnostics import problems_error

# The same version as `wasmmerge --version`; "LLD" is what build systems look for in a
# wasm-ld's version line.
VERSION_LINE = f"wasmmerge link {__version__} (compatible with LLD 14 wasm-ld)"


class UsageError(LinkError):
    """The command line itself is wrong (an unknown option, a missing value): status 2."""


class InputSpec(Record):
    """One positional input in command-line order: a path, or `-l NAME` to search for."""

    __slots__ = ("value", "is_library", "whole_archive")

    def __init__(self, value: str, is_library: bool = False, whole_archive: bool = False):
        self.value = value
        self.is_library = is_library
        self.whole_archive = whole_archive


class LinkOptions:
    """What the command line asks for: each field's default is the class attribute below
    (wasm-ld's default), and `__init__` gives each instance its own lists and sets.

    Not a dataclass: the `__init__` and `__repr__` it would generate for 50 fields were
    compiled at every start-up (2 ms, a twentieth of a small link's whole process)."""

    inputs: list[InputSpec]
    search_dirs: list[str]
    output: str | None = None  # -o (required: wasm-ld 14 has no default)
    wasm64: bool = False
    machine: str | None = None  # -m as given (None: not given)
    entry: str | None = "_start"  # None: --no-entry
    entry_given: bool = False
    exports: list[str]
    exports_if_defined: list[str]
    undefined: list[str]  # -u: extract these archive members
    export_all: bool = False
    export_dynamic: bool = False
    export_table: bool = False
    export_memory: str | None = "memory"  # None: not exported
    import_memory: tuple[str, str] | None = None
    import_table: bool = False
    growable_table: bool = False  # the table's maximum is left open
    import_undefined: bool = False
    # What undefined symbols become, decided by `_settle_unresolved` once every option is
    # read: report-all | ignore-all | import-dynamic, and whether each is a warning.
    unresolved: str = "report-all"
    warn_unresolved: bool = False  # --warn-unresolved-symbols: as ignore-all, each one a warning
    # The options it is decided from (wasm-ld 14's getUnresolvedSymbolPolicy): the last
    # --unresolved-symbols value, the last of --error-/--warn-unresolved-symbols, and
    # --allow-undefined, which wins in any order.
    unresolved_value: str | None = None
    warn_not_error: bool = False
    allow_undefined: bool = False
    # Input data segments made one output segment by prefix (.data.x -> .data), as wasm-ld
    # does unless --no-merge-data-segments; -r keeps each name its own (and refuses the merge).
    merge_data_segments: bool = True
    allow_undefined_symbols: set[str]
    allow_undefined_file: str | None = None  # the last --allow-undefined-file (wasm-ld 14 reads that one)
    initial_memory: int | None = None
    max_memory: int | None = None
    growable_memory: bool = True
    stack_size: int = 64 * 1024
    stack_first: bool = False
    global_base: int | None = None
    table_base: int = 1
    shared_memory: bool = False
    gc_sections: bool = True
    print_gc_sections: bool = False
    strip_debug: bool = False
    strip_all: bool = False
    keep_sections: list[str]
    relocatable: bool = False
    emit_relocs: bool = False
    build_id: str | None = None  # None: no build_id section
    map_file: str | None = None  # "-" : --print-map (stdout)
    trace: bool = False
    trace_symbols: set[str]
    why_extract: str | None = None
    fatal_warnings: bool = False
    verbose: bool = False
    error_limit: int = 20
    optimize: int = 1  # wasm-ld's default: string segments are merged
    demangle: bool = True  # C++ names in the name section, the map and messages
    features: list[str] | None = None  # --features=LIST; None: inferred from the objects
    check_features: bool = True
    threads: int | None = None  # --threads=N; None: one per core for a large link
    show_version: bool = False
    show_help: bool = False
    whole_archive_now: bool = False  # parser state: inside --whole-archive ... --no-whole-archive

    def __init__(self):
        # The fields without a default above: lists and sets, each instance its own.
        self.inputs = []
        self.search_dirs = []
        self.exports = []
        self.exports_if_defined = []
        self.undefined = []
        self.allow_undefined_symbols = set()
        self.keep_sections = []
        self.trace_symbols = set()
        self.wraps = []  # --wrap=NAME, in order

    def allows_import(self, sym) -> bool:
        """An undefined symbol named by --allow-undefined-file, or a function under
        --import-undefined: an import whatever the unresolved-symbol policy (wasm-ld 14's
        allowUndefined; the driver's reports and the layout's stubs ask the same)."""
        return sym.name in self.allow_undefined_symbols or (self.import_undefined and sym.kind == _FUNCTION_SYMBOL)


def _integer(text: str, option: str) -> int:
    """A decimal number, as lld's getInteger reads --initial-memory, -O and the others
    (`0x100` and `010` are refused and read as ten; a sign is allowed). `option`: the
    argument as written, which wasm-ld's message names."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise UsageError(f"{option}: number expected, but got '{text}'")
    return int(text)


def _auto_radix(text: str) -> int | None:
    """An unsigned number in LLVM's auto-sensed radix (`to_integer` with base 0, as
    `-z stack-size` is read): `0x`/`0X` hex, `0b`/`0B` binary, `0o` or a leading 0 octal,
    else decimal; None when it is not one."""
    for prefixes, base in ((("0x", "0X"), 16), (("0b", "0B"), 2), (("0o",), 8)):
        if text.startswith(prefixes):
            text = text[2:]
            break
    else:
        base = 8 if len(text) > 1 and text[0] == "0" and text[1].isdigit() else 10
    digits = "0123456789abcdef"[:base]
    if not text or any(c not in digits for c in text.lower()):
        return None
    return int(text, base)


def _set(attr, value=None, convert=None):
    """A row action: set `attr` to the fixed `value`, or to the option's argument."""
    def act(opts, arg, option):
        if value is not None:
            setattr(opts, attr, value)
        else:
            setattr(opts, attr, convert(arg, option) if convert else arg)
    return act


def _append(attr):
    def act(opts, arg, option):
        getattr(opts, attr).append(arg)
    return act


def _input(opts, arg, option, library=False):
    opts.inputs.append(InputSpec(arg, library, opts.whole_archive_now))


def _whole_archive(flag):
    def act(opts, arg, option):
        opts.whole_archive_now = flag
    return act


def _machine(opts, arg, option):
    if arg not in ("wasm32", "wasm64"):
        raise UsageError(f"unknown emulation: {arg} (expected wasm32 or wasm64)")
    opts.wasm64 = arg == "wasm64"
    opts.machine = arg


def _entry(opts, arg, option):
    opts.entry, opts.entry_given = arg, True


def _no_entry(opts, arg, option):
    opts.entry, opts.entry_given = None, True


def _export_memory(opts, arg, option):
    opts.export_memory = arg or "memory"


def _import_memory(opts, arg, option):
    module, _, name = (arg or "env,memory").partition(",")
    if not name:
        raise UsageError(f"{option}: expected MODULE,NAME, got '{arg}'")
    opts.import_memory = (module, name)


def _unresolved(opts, arg, option):
    opts.unresolved_value = arg  # (an unknown value is refused once all are read, as wasm-ld does)


def _settle_unresolved(opts):
    """wasm-ld 14's rule: --allow-undefined, in any order, makes undefined functions
    imports (data 0); else the last --unresolved-symbols value decides, `report-all` (the
    default) reporting each as an error, or as a warning when --warn-unresolved-symbols
    came after the last --error-unresolved-symbols (then, as wasm-ld 15 does, the symbols
    are left as with ignore-all: wasm-ld 14 crashes)."""
    value = opts.unresolved_value
    if value not in (None, "report-all", "ignore-all", "import-dynamic"):
        raise LinkError(f"unknown --unresolved-symbols value: {value}")
    if opts.allow_undefined or value == "import-dynamic":
        opts.unresolved, opts.warn_unresolved = "import-dynamic", False
    elif value == "ignore-all":
        opts.unresolved, opts.warn_unresolved = "ignore-all", False
    elif opts.warn_not_error:
        opts.unresolved, opts.warn_unresolved = "ignore-all", True
    else:
        opts.unresolved, opts.warn_unresolved = "report-all", False


def _read_allow_undefined_file(opts):
    """--allow-undefined-file: the last one given, as wasm-ld 14 reads only that (the names
    of an earlier one stay errors), read once every option is."""
    path = opts.allow_undefined_file
    if path is None:
        return
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as err:
        raise LinkError(err.strerror or str(err), file=path) from None
    opts.allow_undefined_symbols.update(symbol_lines(text))


def symbol_lines(text: str) -> list[str]:
    """The names a file of symbols lists, as lld's getLines reads it (--allow-undefined-file,
    an archive's `.imports`): each line trimmed, blank lines and lines starting with `#`
    skipped; a `#` later in a line is part of the name, as it is for wasm-ld."""
    names = (line.strip(" \t\n\v\f\r") for line in text.split("\n"))
    return [name for name in names if name and not name.startswith("#")]


def _z(opts, arg, option):
    key, _, value = arg.partition("=")
    if key == "stack-size":
        size = _auto_radix(value)
        if size is None:
            raise UsageError(f"invalid stack-size: {value}")  # wasm-ld's words
        opts.stack_size = size
    else:
        raise UsageError(f"unsupported option: -z {arg}")


def _build_id(opts, arg, option):
    style = arg or "fast"
    if style == "tree":
        style = "sha1"  # lld's synonym (its sha1 is a tree hash anyway)
    if style.startswith("0x"):
        try:
            bytes.fromhex(style[2:])
        except ValueError:
            raise UsageError(f"--build-id: not a hex string: {style}") from None
    elif style not in ("fast", "sha1", "uuid", "none"):
        raise UsageError(f"unknown --build-id style: {style}")
    opts.build_id = None if style == "none" else style


def _optimize(opts, arg, option):
    opts.optimize = _integer(arg, option)


def _threads(opts, arg, option):
    count = _auto_radix(arg)  # (LLVM's to_integer, as wasm-ld 14 reads it)
    if not count:
        raise UsageError(f"--threads: expected a positive integer, but got '{arg}'")
    opts.threads = count


def _color_diagnostics(opts, arg, option):
    if arg not in (None, "always", "never", "auto"):
        raise UsageError(f"unknown option: --color-diagnostics={arg}")  # wasm-ld's words


def _flag(attr, value=True):
    return _set(attr, value)


# (spellings, takes a value: None no / "required" / "optional" (only as =VALUE), action)
_ROWS = [
    (("o",), "required", _set("output")),
    (("m",), "required", _machine),
    (("L", "library-path"), "required", _append("search_dirs")),
    (("l", "library"), "required", lambda o, a, n: _input(o, a, n, library=True)),
    (("whole-archive",), None, _whole_archive(True)),
    (("no-whole-archive",), None, _whole_archive(False)),
    (("entry", "e"), "required", _entry),
    (("no-entry",), None, _no_entry),
    (("undefined", "u"), "required", _append("undefined")),
    (("export",), "required", _append("exports")),
    (("export-if-defined",), "required", _append("exports_if_defined")),
    (("export-all",), None, _flag("export_all")),
    (("export-dynamic", "E"), None, _flag("export_dynamic")),
    (("no-export-dynamic",), None, _flag("export_dynamic", False)),
    (("export-table",), None, _flag("export_table")),
    (("export-memory",), "optional", _export_memory),
    (("import-memory",), "optional", _import_memory),
    (("import-table",), None, _flag("import_table")),
    (("growable-table",), None, _flag("growable_table")),
    (("import-undefined",), None, _flag("import_undefined")),
    (("allow-undefined",), None, _flag("allow_undefined")),
    (("error-unresolved-symbols",), None, _flag("warn_not_error", False)),
    # Undefined symbols are warnings and handled as with ignore-all, as wasm-ld 15+ does
    # (wasm-ld 14 crashes on an undefined function with it).
    (("warn-unresolved-symbols",), None, _flag("warn_not_error")),
    (("no-pie",), None, lambda o, a, n: None),  # the default: the output is never position independent
    (("merge-data-segments",), None, _flag("merge_data_segments")),
    (("no-merge-data-segments",), None, _flag("merge_data_segments", False)),
    (("wrap",), "required", lambda o, a, n: o.wraps.append(a)),
    (("allow-undefined-file",), "required", _set("allow_undefined_file")),
    (("unresolved-symbols",), "required", _unresolved),
    (("initial-memory",), "required", _set("initial_memory", convert=_integer)),
    (("max-memory",), "required", _set("max_memory", convert=_integer)),
    (("no-growable-memory",), None, _flag("growable_memory", False)),
    (("z",), "required", _z),
    (("stack-first",), None, _flag("stack_first")),
    (("global-base",), "required", _set("global_base", convert=_integer)),
    (("table-base",), "required", _set("table_base", convert=_integer)),
    (("shared-memory",), None, _flag("shared_memory")),
    (("no-shared-memory",), None, _flag("shared_memory", False)),
    (("gc-sections",), None, _flag("gc_sections")),
    (("no-gc-sections",), None, _flag("gc_sections", False)),
    (("print-gc-sections",), None, _flag("print_gc_sections")),
    (("no-print-gc-sections",), None, _flag("print_gc_sections", False)),
    (("strip-debug", "S"), None, _flag("strip_debug")),
    (("strip-all", "s"), None, _flag("strip_all")),
    (("keep-section",), "required", _append("keep_sections")),
    (("relocatable", "r"), None, _flag("relocatable")),
    (("emit-relocs", "q"), None, _flag("emit_relocs")),
    (("build-id",), "optional", _build_id),
    (("Map",), "required", _set("map_file")),
    (("print-map", "M"), None, _flag("map_file", "-")),
    (("trace", "t"), None, _flag("trace")),
    (("trace-symbol", "y"), "required", lambda o, a, n: o.trace_symbols.add(a)),
    (("why-extract",), "required", _set("why_extract")),
    (("fatal-warnings",), None, _flag("fatal_warnings")),
    (("no-fatal-warnings",), None, _flag("fatal_warnings", False)),
    (("verbose",), None, _flag("verbose")),
    (("error-limit",), "required", _set("error_limit", convert=_integer)),
    (("O",), "required", _optimize),
    (("version", "v"), None, _flag("show_version")),
    (("help", "h"), None, _flag("show_help")),
    (("features",), "required", lambda o, a, n: setattr(o, "features", [f for f in a.split(",") if f])),
    (("check-features",), None, _flag("check_features")),
    (("no-check-features",), None, _flag("check_features", False)),
    (("threads",), "required", _threads),
    (("demangle",), None, _flag("demangle")),
    (("no-demangle",), None, _flag("demangle", False)),
    # Accepted because they change nothing for us: our messages have no colours.
    (("color-diagnostics",), "optional", _color_diagnostics),
    (("no-color-diagnostics",), None, lambda o, a, n: None),
]

OPTIONS = {name: (takes, act) for names, takes, act in _ROWS for name in names}

# wasm-ld options we know and refuse (with "unsupported option: X", like any unknown one):
# listed so that docs/link.md can say so, and so a reader sees they are not forgotten.
REFUSED = ("shared", "pie", "experimental-pic",
           "lto-O0", "lto-O1", "lto-O2", "lto-O3", "thinlto-jobs", "compress-relocations",
           "strip-debug-sections", "extra-features", "save-temps", "print-archive-stats", "stack-size", "Bsymbolic",
           "no-type-check", "reproduce", "mllvm", "rsp-quoting")
# One-letter options that may be glued to their value, as in `-lc`, `-L/lib`, `-O2`.
_GLUED = ("l", "L", "o", "O", "y", "z", "e", "m", "u")


def expand_response_files(args, stack: tuple = ()) -> list[str]:
    """Replace each `@FILE` by the arguments it holds, nested files too, as LLVM 14's
    ExpandResponseFiles does for wasm-ld: a FILE that cannot be read, or that includes
    itself, stays an argument as it is (so it is reported as an input that cannot be
    opened); a nested FILE is relative to the working directory, not to the file naming it."""
    out = []
    for arg in args:
        path = arg[1:]
        if arg.startswith("@") and path not in stack:
            try:
                with open(path, "rb") as f:
                    raw = f.read()
            except OSError:
                out.append(arg)
                continue
            text = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")  # a UTF-8 byte-order mark
            out.extend(expand_response_files(_split_gnu(text), (*stack, path)))
        else:
            out.append(arg)
    return out


_GNU_SPACES = str.maketrans("\t\r\n", "   ")  # the tokenizer's whitespace, as spaces


def _split_gnu(text: str) -> list[str]:
    """A response file's arguments, split as LLVM 14's TokenizeGNUCommandLine splits them
    (not as a POSIX shell: `shlex` kept the backslash of `"a\\b"`, kept `""` as an empty
    argument, and refused an unclosed quote): whitespace separates, a backslash takes the
    next character as it is, inside quotes of either kind too, a quote runs to the same
    quote (an unclosed one to the end), and an empty argument is dropped."""
    if '"' not in text and "'" not in text and "\\" not in text:
        # (most files: the arguments are the runs between whitespace, split at C level
        # rather than a character at a time: a build's file lists thousands of objects)
        return [arg for arg in text.translate(_GNU_SPACES).split(" ") if arg]
    return _tokenize_gnu(text)


def _tokenize_gnu(text: str) -> list[str]:
    """`_split_gnu`, a character at a time: quotes and backslashes."""
    args, token, i, end = [], [], 0, len(text)
    while i < end:
        c = text[i]
        if c == "\\" and i + 1 < end:
            token.append(text[i + 1])
            i += 2
        elif c in "\"'":
            close = i + 1
            while close < end and text[close] != c:
                if text[close] == "\\" and close + 1 < end:
                    close += 1
                token.append(text[close])
                close += 1
            i = close + 1
        elif c in " \t\r\n":
            if token:
                args.append("".join(token))
                token = []
            i += 1
        else:
            token.append(c)
            i += 1
    if token:
        args.append("".join(token))
    return args


def parse_args(argv) -> LinkOptions:
    args = list(argv)
    # `-flavor` is read first, before response files are expanded, as lld's driver reads it
    # (from a response file, or later on the line, it is an unknown option).
    if args[:1] == ["-flavor"]:
        if len(args) < 2 or args[1] != "wasm":
            raise UsageError(f"unsupported option: -flavor {args[1] if len(args) > 1 else ''}".rstrip())
        args = args[2:]
    args = expand_response_files(args)
    opts = LinkOptions()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg:
            continue  # as lld's OptTable: an empty argument (a build's empty variable) is none
        if arg == "-" or not arg.startswith("-"):
            _input(opts, arg, None)
            continue
        if arg == "--":
            for rest in args[i:]:
                _input(opts, rest, None)
            break
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name, eq, value = body.partition("=")
        row = OPTIONS.get(name)
        if row is not None and eq and name in _GLUED and not arg.startswith("--"):
            row = None  # `-o=x` is -o with the value `=x`, as in lld, whose one-letter options take no `=`
        if row is None and not arg.startswith("--") and body[:1] in _GLUED and len(body) > 1:
            name, eq, value = body[0], "=", body[1:]  # -lc, -L/dir, -O2, -ofile
            row = OPTIONS.get(name)
        if row is None:
            raise UsageError(f"unsupported option: {arg.split('=', 1)[0] if eq else arg}")
        takes, act = row
        if takes is None:
            if eq:
                raise UsageError(f"option {'-' * (2 if arg.startswith('--') else 1)}{name} takes no value")
            act(opts, None, arg)
        elif takes == "optional":
            act(opts, value if eq else None, arg)
        else:
            if not eq:
                if i >= len(args):
                    raise UsageError(f"missing value for option {arg}")
                value = args[i]
                i += 1
            act(opts, value, arg)  # (as written: wasm-ld's messages about a value name it so)
    _settle_unresolved(opts)
    _check_combinations(opts)
    _read_allow_undefined_file(opts)
    if opts.relocatable and "--merge-data-segments" in args:
        raise UsageError("unsupported option: --merge-data-segments with -r (each segment name stays its own)")
    return opts


def _check_combinations(opts: LinkOptions) -> None:
    """What wasm-ld 14 refuses together, each in its words, all reported (status 1), in
    its order: -r's table options, the table both imported and exported (-r imports it),
    then -r's entry point, -u and shared memory. (wasm-ld opens every input first: a
    missing one is its only error there.)"""
    problems = []
    if opts.relocatable:
        if opts.export_table:
            problems.append("--relocatable is incompatible with --export-table")
        if opts.growable_table:
            problems.append("--relocatable is incompatible with --growable-table")
    if not opts.output and opts.inputs and not (opts.show_version or opts.show_help):
        problems.append("no output file specified")  # (wasm-ld 14 has no default output)
    if (opts.import_table or opts.relocatable) and opts.export_table:
        problems.append("--import-table and --export-table may not be used together")
    if opts.relocatable:
        if opts.entry_given and opts.entry:  # (an empty --entry= names none)
            problems.append("entry point specified for relocatable output file")
        if opts.undefined:
            problems.append("-r -and --undefined may not be used together")
        if opts.shared_memory:
            problems.append("-r and --shared-memory may not be used together")
    if problems:
        raise problems_error(problems)


def find_library(opts: LinkOptions, name: str) -> str:
    """`-l NAME`: the first lib NAME.a in the -L directories (`-l:file` names a file). As
    lld's findFile, the first path that exists is taken, a directory too (then it cannot
    be opened: that is the error, as in wasm-ld, not a later directory's library)."""
    candidates = [name[1:]] if name.startswith(":") else [f"lib{name}.a"]
    for directory in opts.search_dirs:
        for candidate in candidates:
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                return path
    raise LinkError(f"unable to find library -l{name}")
