"""Command-line options shared by `wasmmerge run` and `wasmmerge verify`: the WASI setup
(`--dir`, `--env`, `--inherit-env`) and the limits (`--fuel`, `--timeout`, `--max-memory`,
`--max-depth`, `--engine`), turned into a `WasiConfig` and `Limits`."""

import os

import click

from ..store import DEFAULT_MAX_PAGES
from .config import Preopen, WasiConfig
from .session import Limits

OPTIONS = [
    click.option("--dir", "dirs", multiple=True, metavar="HOST[::GUEST]",
                 help="Preopen a host directory (as GUEST; default its host path). Nothing is preopened unless given."),
    click.option("--env", "envs", multiple=True, metavar="K=V", help="Set an environment variable for the guest."),
    click.option("--inherit-env", is_flag=True, help="Pass the host's environment to the guest (--env wins)."),
    click.option("--fuel", type=click.IntRange(min=0), default=None,
                 help="Stop with 'out of fuel' after about this many instructions [default: no limit]."),
    click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
                 help="Stop with 'timeout' after this much wall-clock time [default: no limit]."),
    click.option("--max-memory", default=None, metavar="PAGES|SIZE",
                 help=f"Largest a guest memory may be: pages, or bytes with KiB/MiB/GiB "
                      f"[default: {DEFAULT_MAX_PAGES} pages = 1GiB]."),
    click.option("--max-depth", type=click.IntRange(min=1), default=10_000, show_default=True,
                 help="Call depth limit (deeper recursion is 'call stack exhausted')."),
    click.option("--engine", type=click.Choice(["reference", "compiled"]), default="compiled",
                 show_default=True, help="compiled: functions translated to Python (docs/compiled.md)."),
]


def wasi_options(command):
    for option in reversed(OPTIONS):
        command = option(command)
    return command


def make_config(argv, dirs, envs, inherit_env, stdin=b"", stdout=None, stderr=None) -> WasiConfig:
    env = {}
    for item in envs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not K=V", param_hint="--env")
        env[key] = value
    config = WasiConfig(argv=list(argv), env=env, preopens=[Preopen.parse(d) for d in dirs],
                        stdin=stdin)
    if stdout is not None:
        config.stdout = stdout
    if stderr is not None:
        config.stderr = stderr
    if inherit_env:
        config.env = {**os.environ, **env}
    return config


def make_limits(fuel, timeout, max_memory, max_depth, engine) -> Limits:
    pages = DEFAULT_MAX_PAGES
    if max_memory is not None:
        try:
            pages = Limits.pages_for(max_memory)
        except ValueError:
            raise click.BadParameter(f"{max_memory!r} is not a number of pages or a size like 64MiB",
                                     param_hint="--max-memory") from None
    return Limits(fuel=fuel, timeout=timeout, max_memory_pages=pages, max_depth=max_depth,
                  engine=engine)


class GuestArgsCommand(click.Command):
    """A command whose arguments after the first `--` belong to the guest, untouched
    (click would otherwise mix them into the positional items): `ctx.meta["guest_args"]`."""

    def parse_args(self, ctx, args):
        args = list(args)
        if "--" in args:
            at = args.index("--")
            ctx.meta["guest_args"] = args[at + 1:]
            args = args[:at]
        else:
            ctx.meta["guest_args"] = []
        return super().parse_args(ctx, args)


def guest_args() -> list:
    return click.get_current_context().meta.get("guest_args", [])
