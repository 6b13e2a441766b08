"""The click command group behind `wasmmerge`: `merge` is the default command, so
`wasmmerge a.wasm b.wasm -o out.wasm` works.

Each command is loaded on first use from `cliutil.COMMANDS` (or when `--help` lists it); a
command that parses its own command line (`cliutil.SELF_PARSING`: `link`, with wasm-ld's
conventions) is a plain function, which click here only hands the raw arguments. Every
user error is printed as one line (`cliutil.diagnostic`) and exits with status 1, every
usage error (an unknown option or command, a missing argument) likewise with status 2:
never a traceback, never click's multi-line usage text. `cli.main` loads this module
(and click) for every command line but `wasmmerge link ...`.
"""

import os

import click

from . import __version__
from .cliutil import COMMANDS, PROG, SELF_PARSING, USAGE_ERROR, fail, load_command
from .errors import WasmError


class CommandGroup(click.Group):
    """Commands loaded on first use from `COMMANDS`; `default_command` runs when the
    first argument names no command."""

    default_command = "merge"
    # Set by `cli.main`, the process's entry point (not by a caller embedding `cli`): a
    # command's modules then live until the process ends, so once imported they are
    # frozen out of every later collection (`gc.freeze`), the one at exit included.
    freeze_imports = False

    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        command = self.commands.get(name)
        if command is None and name in COMMANDS:
            command = load_command(name, self.freeze_imports)
            if name in SELF_PARSING:
                command = _raw_arguments_command(name, command)
            self.add_command(command, name)
        return command

    def parse_args(self, ctx, args):
        if args and args[0] not in COMMANDS and args[0] not in self.commands \
                and args[0] not in ("--help", "-h", "--version", "-V"):
            suggestion = _misspelt_command(args[0])
            if suggestion:
                raise click.UsageError(f"no such command {args[0]!r}; did you mean {suggestion!r}?", ctx)
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _raw_arguments_command(name: str, function) -> click.Command:
    """A click command that passes its arguments to `function` as given: no options of its
    own (not even --help), unknown options kept, in order. Only a first `--` is taken
    away (click's parser ends options there); `cli.main` does the same without click."""
    summary = (function.__doc__ or "").split("\n\n")[0]

    @click.command(name, help=summary, context_settings={"ignore_unknown_options": True,
                                                         "allow_extra_args": True, "help_option_names": []},
                   add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args):
        function(list(args))
    return command


def _misspelt_command(word: str) -> str | None:
    """The command `word` is a typo of, unless it could be an input of the default
    command (an existing file, a NAME=PATH, an option, stdin)."""
    if word.startswith("-") or "=" in word or os.path.exists(word):
        return None
    import difflib  # lazy: only for a first argument that is neither a command nor an input.
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
# The version is read from the package (its one home; pyproject.toml reads it too), not
# from installed metadata, which an uninstalled checkout does not have.
@click.version_option(__version__, "-V", "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli():
    """Merge WebAssembly modules into one; inspect, validate and run modules.

    \b
    wasmmerge a.wasm b.wasm -o out.wasm     merge (the default command)
    wasmmerge inspect FILE                  sections, index spaces, imports, exports
    wasmmerge validate FILE...              type-check modules
    wasmmerge run FILE --invoke NAME ARG... call an export (a=a.wasm b=b.wasm: linked)
    wasmmerge run PROG [--dir D] [-- ARGS]  run a WASI command
    wasmmerge verify A B [--merged M]       merged module vs inputs linked by name
    wasmmerge spec PATH...                  run spec test scripts
    wasmmerge link OBJ... -o out.wasm       link relocatable objects (a drop-in for wasm-ld)
    """


# click >= 8.2 raises this (a UsageError) for a group run with no arguments at all.
NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def click_main(args=None, freeze_imports=False):
    """click's parsing of the whole command line, with every error as one diagnostic line."""
    cli.freeze_imports = freeze_imports
    try:
        status = cli.main(args=args, prog_name=PROG, standalone_mode=False)
    except NO_ARGS_IS_HELP as err:
        err.show()  # `wasmmerge` alone: the help text, as click prints it (status 2)
        raise SystemExit(err.exit_code) from None
    except click.UsageError as err:
        command = err.ctx.command_path if err.ctx is not None else PROG
        fail(f"{err.format_message().rstrip('.')}; see '{command} --help'", USAGE_ERROR)
    except click.ClickException as err:
        fail(err.format_message(), err.exit_code)
    except click.Abort:
        fail("aborted")
    except WasmError as err:
        fail(err)
    raise SystemExit(status if isinstance(status, int) else 0)
