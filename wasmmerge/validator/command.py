"""`wasmmerge validate FILE...`: one diagnostic line per problem, exit status 1 if any file is not valid."""

import click

from .. import decode
from ..cliutil import Progress, diagnostic, label, load_input
from ..errors import WasmError
from ..features import ALL, WASM2, WASM3
from .module import validate_module

PROFILES = {"2.0": WASM2, "3.0": WASM3, "all": ALL}


def check_file(path: str, features) -> WasmError | None:
    """The problem with the module in `path` (a file, `-` for stdin, or `.wat` text), or
    None when it is valid."""
    try:
        data = load_input(path)
        validate_module(decode(data, lazy=True, features=features), features)
    except WasmError as err:
        return err.with_file(label(path))
    except RecursionError:
        return WasmError("unsupported: nesting too deep to check", file=label(path))
    return None


@click.command("validate")
@click.argument("files", nargs=-1, required=True)
@click.option("--features", "profile", type=click.Choice(sorted(PROFILES)), default="all", show_default=True,
              help="Which proposals to accept: the 2.0 or 3.0 profile, or everything we read "
                   "(3.0 plus threads and legacy exceptions).")
@click.option("-v", "--verbose", is_flag=True, help="Also print a line for every valid file.")
def validate_command(files, profile, verbose):
    """Check that each FILE is a valid WebAssembly module.

    Prints one line per invalid or malformed file on stderr (`wasmmerge: error:
    FILE:0xOFFSET: message [in function N]`, as merge reports it) and exits with
    status 1 if there was any. FILE may be `-` (stdin) or a `.wat` text file.
    """
    features = PROFILES[profile]
    failed = False
    # On a terminal, validation that takes more than a second shows which file it is on.
    with Progress("validating") as progress:
        for n, path in enumerate(files, 1):
            progress.update(f"{n}/{len(files)} {path}")
            problem = check_file(path, features)
            Progress.erase()
            if problem is not None:
                failed = True
                click.echo(diagnostic(problem), err=True)
            elif verbose:
                click.echo(f"{path}: valid")
    raise SystemExit(1 if failed else 0)
