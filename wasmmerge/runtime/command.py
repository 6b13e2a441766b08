"""`wasmmerge run`: a WASI command, or a call of an export, in one module or several linked by name.

    wasmmerge run prog.wasm [--dir HOST[::GUEST]] [--env K=V] [--inherit-env] [-- ARGS...]
    wasmmerge run lib=lib.wasm app=app.wasm -- ARGS       (or lib.wasm app.wasm: named by stem)
    wasmmerge run FILE --invoke NAME [ARG...]
    wasmmerge run a=a.wasm b=b.wasm --invoke b.add2 11

A command's stdout and stderr are written as it runs and its exit status is ours.
Arguments of --invoke are parsed by the export's parameter types; results print one per
line (integers signed, floats as Python's repr, v128 as 32 hex digits). A trap, an
exhausted limit or a timeout prints `wasmmerge: error: trap: MESSAGE` and exits with status 3. The running
itself is `wasi.session.run_program`, shared with `wasmmerge verify`.
"""

import re
import sys

import click

from ..binary.types import F32, F64, I32, I64, V128, RefType
from ..cliutil import diagnostic, fail, read_input
from ..errors import WasmError
from .api import load_module
from .compiled import dump_module
from .host import define_log_stubs, define_spectest
from .values import HostRef, bits_f32, bits_f64, f32_bits, f64_bits, to_signed
from .wasi import WasiSetupError
from .wasi.options import GuestArgsCommand, guest_args, make_config, make_limits, wasi_options
from .wasi.session import TRAP_STATUS, run_program
from .wasi.streams import ConsoleStream


def parse_arg(t, text: str):
    """A command-line argument as a run-time value of type `t`."""
    try:
        if t is I32 or t is I64:
            value = int(text, 0)
            bits = 32 if t is I32 else 64
            if not -(1 << (bits - 1)) <= value < (1 << bits):
                raise ValueError(f"out of range for {t}")
            return value & ((1 << bits) - 1)
        if t is F32:
            return f32_bits(float(text))
        if t is F64:
            return f64_bits(float(text))
        if t is V128:
            return int(text, 0) & ((1 << 128) - 1)
        if isinstance(t, RefType):
            return None if text == "null" else HostRef(int(text, 0))
    except (ValueError, OverflowError) as err:
        raise click.BadParameter(f"{text!r} is not a valid {t}: {err}") from None
    raise click.BadParameter(f"cannot pass a {t} on the command line")


def format_result(t, value) -> str:
    if t is I32:
        return str(to_signed(value, 32))
    if t is I64:
        return str(to_signed(value, 64))
    if t is F32:
        return repr(bits_f32(value))
    if t is F64:
        return repr(bits_f64(value))
    if t is V128:
        return f"{value:032x}"
    if value is None:
        return "null"
    if isinstance(value, HostRef):
        return f"externref {value.value}"
    return repr(value)


def module_spec(spec: str) -> tuple:
    """`NAME=PATH`, or `PATH` named by its file stem: merge's rule (merger/command.py's
    parse_input_spec), restated because the runtime does not import the merger."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and "\\" not in name and path:
        return name, path
    base = re.split(r"[\\/]", spec)[-1]
    return (base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base), spec


def split_items(items):
    """Leading `name=path` items, or `.wasm`/`.wat` paths (named by their stems when there are
    several, as in merge), are the modules; the first item is a module in any case. The
    rest are --invoke arguments (or, without --invoke, the guest's arguments)."""
    rest = list(items)
    if not rest:
        raise click.UsageError("no module given")
    specs = [rest.pop(0)]
    while rest and ("=" in rest[0] or rest[0].endswith((".wasm", ".wat"))):
        specs.append(rest.pop(0))
    if len(specs) == 1 and "=" not in specs[0]:
        return [(None, specs[0])], rest
    return [module_spec(spec) for spec in specs], rest


@click.command("run", cls=GuestArgsCommand, context_settings={"ignore_unknown_options": True})
@click.argument("items", nargs=-1, required=True)
@click.option("--invoke", "export", metavar="NAME",
              help="Export to call (MODULE.NAME in linked mode); without it, run the WASI command (_start).")
@click.option("--host", "hosts", multiple=True, type=click.Choice(["log", "spectest"]),
              help="log: printing stubs for unresolved function imports; spectest: the spec tests' host module.")
@wasi_options
@click.option("--dump-python", is_flag=True, help="Print each function's generated Python to stderr.")
def run_command(items, export, hosts, dirs, envs, inherit_env, fuel, timeout, max_memory, max_depth,
                engine, dump_python):
    """Run FILE (or NAME=FILE ... linked in order): its WASI command `_start` with the
    guest's arguments after --, or one export with --invoke NAME ARG..."""
    modules, rest = split_items(items)
    args = [*rest, *guest_args()]
    datas = [(name, read_input(path)) for name, path in modules]
    program = modules[-1][1]
    config = make_config([program, *args] if export is None else [program], dirs, envs, inherit_env,
                         stdin=getattr(sys.stdin, "buffer", b""), stdout=ConsoleStream(sys.stdout),
                         stderr=ConsoleStream(sys.stderr))
    limits = make_limits(fuel, timeout, max_memory, max_depth, engine)

    def on_store(linker, store):
        if "spectest" in hosts:
            define_spectest(linker, store, out=sys.stdout)

    def on_module(linker, store, name, module):
        if dump_python:
            click.echo(dump_module(module, dict(modules).get(name, name)), err=True)
        if "log" in hosts:
            define_log_stubs(linker, store, module)

    def call_args(func):
        if len(args) != len(func.type.params):
            raise click.UsageError(f"{export} takes {len(func.type.params)} arguments "
                                   f"({' '.join(map(str, func.type.params))}), got {len(args)}")
        return [parse_arg(t, a) for t, a in zip(func.type.params, args)]

    calls = None if export is None else [(export, call_args)]
    try:
        decoded = [(name, load_module(data, name=path)) for (name, data), (_, path) in zip(datas, modules)]
        outcome = run_program(decoded, config, limits, calls=calls, on_store=on_store,
                              on_module=on_module)
    except WasmError as err:
        fail(err)
    except WasiSetupError as err:
        fail(str(err))
    except KeyboardInterrupt:
        fail("interrupted", status=130)
    sys.stdout.flush()
    if outcome.trap is not None:
        click.echo(diagnostic(f"trap: {outcome.trap}"), err=True)
        sys.exit(TRAP_STATUS)
    if export is None or outcome.status is not None:
        sys.exit(outcome.status or 0)
    for call in outcome.calls:
        for t, value in zip(call.func.type.results, call.values):
            click.echo(format_result(t, value))
