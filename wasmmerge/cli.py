"""The command line: `merge` is the default command, so `wasmmerge a.wasm b.wasm -o out.wasm` works.

Each subcommand lives beside what it drives and is registered here; every user error
(a WasmError, a missing file) is printed as one line and exits non-zero, never a traceback.
"""

import sys

import click

from .errors import WasmError


class DefaultGroup(click.Group):
    """A group that runs `default_command` when the first argument names no command."""

    default_command = "merge"

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wasmmerge")
def cli():
    """Merge WebAssembly modules into one; inspect, validate and run modules.

    \b
    wasmmerge a.wasm b.wasm -o out.wasm     merge (the default command)
    wasmmerge inspect FILE                  sections, index spaces, imports, exports
    wasmmerge validate FILE...              type-check modules
    wasmmerge run FILE --invoke NAME ARG... call an export (a=a.wasm b=b.wasm: linked)
    wasmmerge spec PATH...                  run spec test scripts
    """


def fail(message: str, status: int = 1):
    click.echo(f"wasmmerge: error: {message}", err=True)
    sys.exit(status)


def read_input(path: str) -> bytes:
    """Read an input file, turning OS errors into one-line user errors."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        fail(f"{path}: {err.strerror or err}")


def main():
    try:
        cli(standalone_mode=True)
    except WasmError as err:
        fail(str(err))


from .inspect_cmd import inspect_command  # noqa: E402

cli.add_command(inspect_command)

from .validator.command import validate_command  # noqa: E402

cli.add_command(validate_command)

from .merger.command import merge_command  # noqa: E402

cli.add_command(merge_command)

from .runtime.command import run_command  # noqa: E402
from .spectest.command import spec_command  # noqa: E402

cli.add_command(run_command)
cli.add_command(spec_command)

from .linker.command import link_command  # noqa: E402

cli.add_command(link_command)
