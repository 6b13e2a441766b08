"""`wasmmerge link ARGS...`: wasm-ld's command line, parsed by options.py, not by click.

click only hands over the raw arguments (it cannot express `-Map=FILE`, `-z
stack-size=N` or `@rsp`); errors are one line and exit status 1, and the output file
is written atomically only when the link succeeded.
"""

import os
import sys
import tempfile

import click

from ..errors import WasmError
from .driver import link
from .mapfile import write_map
from .options import VERSION_LINE, parse_args

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
        if opts.show_version:
            click.echo(VERSION_LINE)
            return
        if opts.show_help:
            click.echo(HELP)
            return
        result = link(opts)
        _write_atomically(opts.output, result.data)
        if opts.map_file:
            write_map(opts.map_file, result)
        if opts.why_extract:
            _write_why_extract(opts.why_extract, result.symtab.extractions)
    except WasmError as err:
        for k, line in enumerate(str(err).splitlines()):
            click.echo(f"wasmmerge link: error: {line}" if k == 0 else line, err=True)
        sys.exit(1)


def _write_why_extract(path: str, extractions):
    """--why-extract: which reference pulled each archive member in (wasm-ld's TSV)."""
    text = "reference\textracted\tsymbol\n" + "".join(f"{r}\t{m}\t{s}\n" for r, m, s in extractions)
    if path == "-":
        sys.stdout.write(text)
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _write_atomically(path: str, data: bytes):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".wasmmerge-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
