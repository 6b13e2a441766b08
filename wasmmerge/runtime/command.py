"""`wasmmerge run`: instantiate one module, or several linked by name, and call an export.

    wasmmerge run FILE --invoke NAME [ARG...]
    wasmmerge run a=a.wasm b=b.wasm --invoke b.add2 11

Arguments are parsed by the export's parameter types; results print one per line
(integers signed, floats as Python's repr, v128 as 32 hex digits). A trap or exhausted
resource prints its message and exits with status 3.
"""

import sys

import click

from ..binary.types import F32, F64, I32, I64, V128, RefType
from ..cliutil import fail, read_input
from ..errors import Exhaustion, LinkError, Trap, WasmError
from .api import load_module
from .compiled import dump_module
from .engine import WasmException
from .engines import invoke
from .host import define_log_stubs, define_spectest
from .linker import Linker
from .store import FuncInstance, Store
from .values import HostRef, bits_f32, bits_f64, f32_bits, f64_bits, to_signed

TRAP_STATUS = 3


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


def split_items(items):
    """Leading `name=path` items are linked modules; otherwise the first item is the file."""
    modules = []
    rest = list(items)
    while rest and "=" in rest[0]:
        name, path = rest.pop(0).split("=", 1)
        modules.append((name, path))
    if not modules:
        if not rest:
            raise click.UsageError("no module given")
        modules.append((None, rest.pop(0)))
    return modules, rest


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("items", nargs=-1, required=True)
@click.option("--invoke", "export", required=True, metavar="NAME",
              help="Export to call; MODULE.NAME in linked mode.")
@click.option("--host", "hosts", multiple=True, type=click.Choice(["log", "spectest"]),
              help="log: printing stubs for unresolved function imports; spectest: the spec tests' host module.")
@click.option("--fuel", type=int, default=None, help="Stop with 'out of fuel' after about this many instructions.")
@click.option("--max-depth", type=int, default=10_000, show_default=True, help="Call depth limit.")
@click.option("--engine", type=click.Choice(["reference", "compiled"]), default="compiled",
              show_default=True, help="compiled: functions translated to Python (docs/compiled.md).")
@click.option("--dump-python", is_flag=True, help="Print each function's generated Python to stderr.")
def run_command(items, export, hosts, fuel, max_depth, engine, dump_python):
    """Instantiate FILE (or NAME=FILE ... linked in order) and call an export."""
    modules, args = split_items(items)
    store = Store(max_call_depth=max_depth, fuel=fuel, engine=engine)
    linker = Linker()
    if "spectest" in hosts:
        define_spectest(linker, store, out=sys.stdout)
    instances = {}
    try:
        for name, path in modules:
            module = load_module(read_input(path), name=path)
            if dump_python:
                click.echo(dump_module(module, path), err=True)
            if "log" in hosts:
                define_log_stubs(linker, store, module)
            instances[name] = linker.instantiate(store, module, name=name)
        func = find_export(instances, modules, export)
        values = [parse_arg(t, a) for t, a in zip(func.type.params, args)]
        if len(args) != len(func.type.params):
            raise click.UsageError(f"{export} takes {len(func.type.params)} arguments "
                                   f"({' '.join(map(str, func.type.params))}), got {len(args)}")
        results = invoke(store, func, values)
    except (Trap, Exhaustion, WasmException) as err:
        click.echo(f"trap: {err}", err=True)
        sys.exit(TRAP_STATUS)
    except WasmError as err:
        fail(err)
    for t, value in zip(func.type.results, results):
        click.echo(format_result(t, value))


def find_export(instances, modules, export: str) -> FuncInstance:
    if len(modules) == 1 and modules[0][0] is None:
        inst, field = instances[None], export
    else:
        name, dot, field = export.partition(".")
        if not dot or name not in instances:
            names = ", ".join(n for n, _ in modules)
            raise LinkError(f"--invoke {export}: expected MODULE.NAME with MODULE one of {names}")
        inst = instances[name]
    func = inst.exports.get(field)
    if not isinstance(func, FuncInstance):
        raise LinkError(f"no exported function {field!r}")
    return func
