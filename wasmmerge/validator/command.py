"""`wasmmerge validate FILE...`: one line per problem, exit status 1 if any file is not valid."""

import click

from .. import decode
from ..errors import WasmError
from ..features import ALL, WASM2, WASM3
from .module import validate_module

PROFILES = {"2.0": WASM2, "3.0": WASM3, "all": ALL}


def check_file(path: str, features) -> str | None:
    """The problem with the module in `path`, as one line, or None when it is valid."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        return f"{path}: {err.strerror or err}"
    try:
        validate_module(decode(data, lazy=True, features=features), features)
    except WasmError as err:
        return str(err.with_file(path))
    except RecursionError:
        return f"{path}: unsupported: nesting too deep to check"
    return None


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--features", "profile", type=click.Choice(sorted(PROFILES)), default="all", show_default=True,
              help="Which proposals to accept: the 2.0 or 3.0 profile, or everything we read "
                   "(3.0 plus threads and legacy exceptions).")
@click.option("-v", "--verbose", is_flag=True, help="Also print a line for every valid file.")
def validate_command(files, profile, verbose):
    """Check that each FILE is a valid WebAssembly module.

    Prints one line per invalid or malformed file (`file: message (at offset 0x..)
    [in function N]`) and exits with status 1 if there was any.
    """
    features = PROFILES[profile]
    failed = False
    for path in files:
        problem = check_file(path, features)
        if problem is not None:
            failed = True
            click.echo(problem)
        elif verbose:
            click.echo(f"{path}: valid")
    raise SystemExit(1 if failed else 0)
