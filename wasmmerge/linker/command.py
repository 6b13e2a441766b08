"""`wasmmerge link ARGS...`: wasm-ld's command line, parsed by options.py, not by click.

click cannot express `-Map=FILE`, `-z stack-size=N` or `@rsp`, so `link_main` takes the
raw arguments: `cli.main` calls it without loading click at all (a build runs the linker
once per target, and click was a third of a small link's time), and the click group
only hands them over when it is the one parsing (`cligroup`). Diagnostics have the
project's one form (`wasmmerge: error: FILE:0xOFFSET: message`), one line per problem (a
duplicate symbol adds wasm-ld's `>>> defined in` lines); an unknown option is a usage
error (status 2), a bad input a user error (status 1). Outputs (the module, -Map, --why-extract) are
checked against the inputs first and written all together only when the link succeeded.
"""

from .. import collector
from ..cliutil import USAGE_ERROR, USER_ERROR, diagnostic, echo, fail
from ..errors import WasmError
from ..outputs import OutputSet, check_paths
from .diagnostics import separator_after
from .driver import link
from .options import VERSION_LINE, UsageError, parse_args

HELP = """Usage: wasmmerge link [options] INPUT... -o OUTPUT

Link relocatable WebAssembly objects and archives into a module, accepting the
command lines given to wasm-ld. See docs/link.md for every option."""


def link_main(args: list[str]) -> None:
    """Link relocatable objects and archives (a drop-in for wasm-ld).

    `args`: the command line after `link`. Returns when the link succeeded (or printed
    --help/--version); a failure is printed and ends in SystemExit (status 1, or 2 for a
    usage error)."""
    try:
        opts = parse_args(args)
    except UsageError as err:
        fail(err, USAGE_ERROR)
    except WasmError as err:  # (options wasm-ld refuses together: each its own line)
        _report(err)
        raise SystemExit(USER_ERROR) from None
    if opts.show_version:
        echo(VERSION_LINE)
        return
    if opts.show_help:
        echo(HELP)
        return
    try:
        # The collector paused for the link stays so while the outputs are written, and
        # to the process's end (collector.py): nothing runs after.
        with collector.paused(to_the_end=True):
            _link_and_write(opts)
    except WasmError as err:
        _report(err)
        raise SystemExit(USER_ERROR) from None


def _link_and_write(opts):
    """The link, and its outputs written all together."""
    inputs = [spec.value for spec in opts.inputs if not spec.is_library]
    check_paths(inputs, [("-o", opts.output),
                         ("-Map", opts.map_file if opts.map_file != "-" else None),
                         ("--why-extract", opts.why_extract if opts.why_extract != "-" else None)])
    result = link(opts)
    outputs = OutputSet()
    # The map first: it reads the module whole (`result.data`), which is then the
    # output's one piece; without it, the code section is made as it is written.
    if opts.map_file:
        from .mapfile import render_map  # lazy: only for -Map/--print-map
        map_text = render_map(result).encode("utf-8")
    outputs.add(opts.output, result.pieces)
    if opts.map_file:
        outputs.add(opts.map_file, map_text)
    if opts.why_extract:
        outputs.add(opts.why_extract, _why_extract(result.symtab.extractions).encode("utf-8"))
    outputs.commit()


def _report(err: WasmError):
    """Each problem on its own diagnostic line; wasm-ld's `>>>` detail lines follow as they are."""
    # A message's later lines (wasm-ld's `>>>` details) follow its diagnostic line as they
    # are, and, as lld does, a blank line separates such a message from the next one
    # (a warning printed before included: Diagnostics.separator).
    separator = getattr(err, "separator", "")
    for problem in getattr(err, "problems", None) or [err]:
        echo(separator + diagnostic(problem), err=True)
        separator = separator_after(str(problem))


def _why_extract(extractions) -> str:
    """--why-extract: which reference pulled each archive member in (wasm-ld's TSV)."""
    return "reference\textracted\tsymbol\n" + "".join(f"{r}\t{m}\t{s}\n" for r, m, s in extractions)
