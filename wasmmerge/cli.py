"""The command line: `merge` is the default command, so `wasmmerge a.wasm b.wasm -o out.wasm` works.

Each subcommand lives beside what it drives and is named here by "module:attribute";
its module is imported only when the command runs (or `--help` lists it), so
`wasmmerge --version` and a merge never load the interpreter or the spec runner. Every
user error (a WasmError, a missing file) is printed as one line (`cliutil.diagnostic`)
and exits with status 1, every usage error (an unknown option or command, a missing
argument) likewise with status 2: never a traceback, never click's multi-line usage text.
"""

import atexit
import gc
import importlib
import os
import sys

import click

from . import __version__
from .cliutil import PROG, USAGE_ERROR, fail
from .errors import WasmError

COMMANDS = {
    "inspect": "wasmmerge.inspect_cmd:inspect_command",
    "validate": "wasmmerge.validator.command:validate_command",
    "merge": "wasmmerge.merger.command:merge_command",
    "run": "wasmmerge.runtime.command:run_command",
    "spec": "wasmmerge.spectest.command:spec_command",
    "verify": "wasmmerge.verify_cmd:verify_command",
    "link": "wasmmerge.linker.command:link_command",
}


class CommandGroup(click.Group):
    """Commands loaded on first use from `COMMANDS`; `default_command` runs when the
    first argument names no command."""

    default_command = "merge"
    # Set by `main`, the process's entry point (not by a caller embedding `cli`): a command's
    # modules then live until the process ends, so once imported they are frozen out of
    # every later collection (`gc.freeze`), the one at exit included.
    freeze_imports = False

    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        command = self.commands.get(name)
        if command is None and name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            # Imports make objects by the ten thousand and no garbage: the collections they
            # would trigger (a few ms of a small merge) find nothing to free.
            collecting = gc.isenabled()
            gc.disable()
            try:
                # lazy: only the command being run (or listed by --help) is imported.
                command = getattr(importlib.import_module(module_name), attribute)
            finally:
                if collecting:
                    gc.enable()
            if self.freeze_imports:
                gc.freeze()
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


def _end_quickly():
    """At exit: one collection, then no more.

    When the process ends, the interpreter collects garbage several times over, each time
    walking every object still alive (the imports made most: opcode table, types, modules;
    9 ms of a small merge) to free memory the OS takes back anyway. One collection here
    finalizes the run's own garbage as the first of those would (a file left open in a
    reference cycle is flushed), past the imports frozen already; frozen after it, the
    survivors are skipped by the rest.
    """
    gc.collect()
    gc.freeze()


def main(args=None):
    """The console entry point: click's parsing, with every error as one diagnostic line."""
    atexit.register(_end_quickly)
    cli.freeze_imports = True
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


def run():
    """The process's entry point (the console script, `python -m wasmmerge`): `main`, then
    an exit that skips the interpreter's teardown. After a large link or merge that
    teardown frees a million objects one at a time: a fifth of a whole link's time
    (bench_link.py). Exit handlers still run and buffered output is flushed, so nothing
    a normal exit would do is lost; in-process callers (tests) call `main`."""
    try:
        main()
        status = 0
    except SystemExit as err:
        if err.code is None or isinstance(err.code, int):
            status = err.code or 0
        else:  # SystemExit("message"): printed, status 1, as the interpreter does
            print(err.code, file=sys.stderr)
            status = 1
    # The interpreter's own exit runs these (Progress's timer, temporary files);
    # os._exit would not. `_end_quickly` is not needed: with no teardown there are no
    # final collections to spare, and its own collection would walk every object left.
    atexit.unregister(_end_quickly)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: the interpreter exits 120 then
            status = status or 120
    os._exit(status)

