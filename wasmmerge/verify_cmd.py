"""`wasmmerge verify`: merge (or take a merged module), run both ways, report the first difference.

    wasmmerge verify lib.wasm app.wasm [--merged out.wasm] [--dir D] [--env K=V] [-- ARGS...]
    wasmmerge verify a=a.wasm b=b.wasm --invoke 'b.add2 11' --invoke 'a.counter'

Exit status 0 when no difference was found, 1 with the difference on stderr
(see runtime/equivalence.py for what is compared, docs/cli.md for the options).
"""

import shlex
import sys

import click

from .cliutil import fail, read_input
from .errors import WasmError
from .merger.command import parse_input_spec
from .merger.exports import check_export_from
from .merger.options import MergeOptions
from .merger.pipeline import merge
from .runtime.command import format_result, parse_arg
from .runtime.equivalence import Scenario, check_equivalence, describe_end
from .runtime.wasi.options import GuestArgsCommand, guest_args, make_config, make_limits, wasi_options


@click.command("verify", cls=GuestArgsCommand)
@click.argument("items", nargs=-1, required=True)
@click.option("--merged", metavar="FILE", help="The merged module to check (default: merge the inputs now).")
@click.option("--invoke", "invocations", multiple=True, metavar="'MODULE.NAME ARG...'",
              help="Call an export (repeatable, in order) instead of running _start.")
@click.option("--rename-export-conflicts", "rename", is_flag=True, help="Merge option, as for merge.")
@click.option("--skip-export-conflicts", "skip", is_flag=True, help="Merge option, as for merge.")
@click.option("--export-from", "export_from", multiple=True, metavar="NAME",
              help="Merge option, as for merge: only these inputs' exports are the merged module's "
                   "(repeatable; say it with --merged too, for a module merged so).")
@click.option("--stdin", "stdin_file", metavar="FILE", help="Feed this file to both runs' standard input.")
@wasi_options
def verify_command(items, merged, invocations, rename, skip, export_from, stdin_file, dirs, envs, inherit_env,
                   fuel, timeout, max_memory, max_depth, engine):
    """Check that the merged module behaves as INPUT... linked by name (INPUT: PATH or
    NAME=PATH, in instantiation order; guest arguments after --)."""
    specs = [parse_input_spec(spec) for spec in items]
    datas = [(name, read_input(path)) for name, path in specs]
    exported_from = list(export_from) or None
    try:
        check_export_from(exported_from, {name for name, _ in specs})
        if merged is not None:
            merged_data = read_input(merged)
        else:
            conflicts = "rename" if rename else "skip" if skip else "error"
            merged_data = merge(datas, MergeOptions(export_conflicts=conflicts, export_from=exported_from),
                                files=[path for _, path in specs]).data
        calls = None
        if invocations:
            calls = []
            for text in invocations:
                words = shlex.split(text)
                if not words:
                    raise click.BadParameter("empty invocation", param_hint="--invoke")
                calls.append((words[0], words[1:]))
        stdin = read_input(stdin_file) if stdin_file else b""
        argv = [specs[-1][1], *guest_args()]
        config = make_config(argv, dirs, envs, inherit_env)
        scenario = Scenario(argv=config.argv, env=config.env, preopens=config.preopens,
                            stdin=stdin, calls=calls,
                            limits=make_limits(fuel, timeout, max_memory, max_depth, engine))
        report = check_equivalence(datas, merged_data, scenario, parse_arg, format_result, exported_from)
    except WasmError as err:
        fail(err)
    except ValueError as err:  # an --invoke with the wrong number of arguments
        fail(str(err))
    if report.difference is not None:
        click.echo(f"wasmmerge: verify: difference: {report.difference}", err=True)
        if report.unexported and exported_from is None:
            click.echo(f"wasmmerge: verify: note: the merged module lacks exports of "
                       f"{', '.join(report.unexported)}: if it was merged with --export-from, give verify "
                       f"the same option", err=True)
        sys.exit(1)
    ending = describe_end(report.linked.outcome)
    click.echo(f"equivalent: {', '.join(report.compared)} ({ending} both ways)")

