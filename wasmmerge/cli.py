"""The command line: `merge` is the default command, so `wasmmerge a.wasm b.wasm -o out.wasm` works.

Each subcommand lives beside what it drives and is named here by "module:attribute";
its module is imported only when the command runs (or `--help` lists it), so
`wasmmerge --version` and a merge never load the interpreter or the spec runner. Every
user error (a WasmError, a missing file) is printed as one line and exits non-zero,
never a traceback.
"""

import importlib

import click

from .cliutil import fail
from .errors import WasmError

COMMANDS = {
    "inspect": "wasmmerge.inspect_cmd:inspect_command",
    "validate": "wasmmerge.validator.command:validate_command",
    "merge": "wasmmerge.merger.command:merge_command",
    "run": "wasmmerge.runtime.command:run_command",
    "spec": "wasmmerge.spectest.command:spec_command",
}


class CommandGroup(click.Group):
    """Commands loaded on first use from `COMMANDS`; `default_command` runs when the
    first argument names no command."""

    default_command = "merge"

    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        command = self.commands.get(name)
        if command is None and name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            # lazy: only the command being run (or listed by --help) is imported.
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, name)
        return command

    def parse_args(self, ctx, args):
        if args and args[0] not in COMMANDS and args[0] not in self.commands \
                and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def main():
    try:
        cli(standalone_mode=True)
    except WasmError as err:
        fail(str(err))
