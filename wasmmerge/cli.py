"""The process's entry point: which command runs, and how the process ends.

Each subcommand lives beside what it drives and is named by "module:attribute" in
`COMMANDS` (kept in the leaf `cliutil.py`, which the click group imports too); its module
is imported only when the command runs (or `--help` lists it), so a merge never loads
the interpreter or the spec runner, and `wasmmerge --version` is answered without click.

The command line is parsed by click (`cligroup.py`: `merge` is the default command),
except for a command that parses its own (`SELF_PARSING`: `link`, wasm-ld's
conventions): `wasmmerge link ARGS...` goes straight to it and click is not even
imported, which is most of a small link's start-up (a build runs the linker once per
target). It behaves as it does under click: the same diagnostics and exit statuses
(a user error 1, a usage error 2), a first `--` dropped as click's parser drops it.
"""

import atexit
import errno
import gc
import os
import sys

from . import __version__, collector
# COMMANDS is named here too: the command table, as docs/cli.md and the tests know it.
from .cliutil import COMMANDS, PROG, SELF_PARSING, echo, fail, load_command  # noqa: F401 (COMMANDS)
from .errors import WasmError

# The variable that asks click for shell completion (docs/cli.md): click answers it.
COMPLETE_VAR = f"_{PROG.upper()}_COMPLETE"


def __getattr__(name):
    """`cli`, the click group, for callers that embed it (tests run it under click's
    CliRunner): loaded on first use, as `main` loads it only for a command that needs it."""
    if name == "cli":
        from .cligroup import cli  # lazy: click, a third of a small link's start-up, only when asked for
        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    """The console entry point: the command line parsed (by click, or by the command that
    parses its own), every error as one diagnostic line; ends by raising SystemExit."""
    atexit.register(_end_quickly)
    args = sys.argv[1:] if args is None else list(args)
    if args and args[0] in SELF_PARSING and COMPLETE_VAR not in os.environ:
        _run_self_parsing(args[0], args[1:])
    if args in (["--version"], ["-V"]):  # what build systems ask first: click's answer, without click
        echo(f"{PROG} {__version__}")
        raise SystemExit(0)
    from .cligroup import click_main  # lazy: click only for the commands it parses
    click_main(args, freeze_imports=True)


def _run_self_parsing(name: str, args: list[str]):
    """Run a command of `SELF_PARSING` as click would run it, without click: its errors
    and interruptions end the process as they do under `cligroup.click_main`."""
    try:
        function = load_command(name, freeze=True)
        if "--" in args:
            args.remove("--")  # click's parser ends options at the first `--` and drops it
        function(args)
    except (EOFError, KeyboardInterrupt):
        echo("", err=True)  # click's blank line, which closes the terminal's ^C echo
        fail("aborted")
    except OSError as err:
        if err.errno != errno.EPIPE:
            raise
        raise SystemExit(1) from None  # a closed pipe: status 1, as click ends it
    except WasmError as err:
        fail(err)
    raise SystemExit(0)


def run():
    """The process's entry point (the console script, `python -m wasmmerge`): `main`, then
    an exit that skips the interpreter's teardown. After a large link or merge that
    teardown frees a million objects one at a time: a fifth of a whole link's time
    (bench_link.py). Exit handlers still run and buffered output is flushed, so nothing
    a normal exit would do is lost; in-process callers (tests) call `main`."""
    collector.end_with_command()
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
