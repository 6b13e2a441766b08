"""`wasmmerge link ARGS...`: wasm-ld's command line, parsed by options.py, not by click.

click only hands over the raw arguments (it cannot express `-Map=FILE`, `-z
stack-size=N` or `@rsp`). Diagnostics have the project's one form
(`wasmmerge: error: FILE:0xOFFSET: message`), one line per problem (a duplicate symbol
adds wasm-ld's `>>> defined in` lines); an unknown option is a usage error (status 2),
a bad input a user error (status 1). Outputs (the module, -Map, --why-extract) are
checked against the inputs first and written all together only when the link succeeded.
"""

import click

from ..cliutil import USAGE_ERROR, USER_ERROR, diagnostic, fail
from ..errors import WasmError
from ..outputs import OutputSet, check_paths
from .driver import link
from .mapfile import render_map
from .options import VERSION_LINE, UsageError, parse_args

HELP = """Usage: wasmmerge link [options] INPUT... -o OUTPUT

Link relocatable WebAssembly objects and archives into a module, accepting the
command lines given to wasm-ld. See docs/link.md for every option."""


@click.command("link", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                         "help_option_names": []}, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def link_command(args):
    """Link relocatable objects and archives (a drop-in for wasm-ld)."""
    try:
        opts = parse_args(args)
    except UsageError as err:
        fail(err, USAGE_ERROR)
    except WasmError as err:
        fail(err)
    if opts.show_version:
        click.echo(VERSION_LINE)
        return
    if opts.show_help:
        click.echo(HELP)
        return
    try:
        inputs = [spec.value for spec in opts.inputs if not spec.is_library]
        check_paths(inputs, [("-o", opts.output),
                             ("-Map", opts.map_file if opts.map_file != "-" else None),
                             ("--why-extract", opts.why_extract if opts.why_extract != "-" else None)])
        result = link(opts)
        outputs = OutputSet()
        outputs.add(opts.output, result.data)
        if opts.map_file:
            outputs.add(opts.map_file, render_map(result).encode("utf-8"))
        if opts.why_extract:
            outputs.add(opts.why_extract, _why_extract(result.symtab.extractions).encode("utf-8"))
        outputs.commit()
    except WasmError as err:
        _report(err)
        raise SystemExit(USER_ERROR) from None


def _report(err: WasmError):
    """Each problem on its own diagnostic line; wasm-ld's `>>>` detail lines follow as they are."""
    # A message's later lines (wasm-ld's `>>>` details) follow its diagnostic line as they are.
    for problem in getattr(err, "problems", None) or [err]:
        click.echo(diagnostic(problem), err=True)


def _why_extract(extractions) -> str:
    """--why-extract: which reference pulled each archive member in (wasm-ld's TSV)."""
    return "reference\textracted\tsymbol\n" + "".join(f"{r}\t{m}\t{s}\n" for r, m, s in extractions)
