"""`wasmmerge spec PATH...`: run spec test scripts, one line per file, totals last."""

import json
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from ..cliutil import fail
from ..errors import WasmError
from ..features import ALL, WASM2, WASM3
from .runner import ScriptResult, run_script

FEATURE_SETS = {"2.0": WASM2, "3.0": WASM3, "all": ALL}


WAST2JSON_HINT = "convert them with wabt's wast2json (`wast2json x.wast -o x.json`; `apt-get install wabt`)"


def expand(paths) -> list[Path]:
    """Scripts named directly, or every `*.json` under a directory (one level or two);
    a directory of `.wast` scripts only is run through wast2json when it is installed."""
    scripts = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(path.glob("*.json")) or sorted(path.glob("*/*.json"))
            if not found:
                found = sorted(path.glob("*.wast")) or sorted(path.glob("*/*.wast"))
                if found and shutil.which("wast2json") is None:
                    fail(WasmError(f"holds .wast scripts, which wast2json is needed to run: {WAST2JSON_HINT}",
                                   file=str(path)))
            if not found:
                fail(WasmError("no .json scripts found", file=str(path)))
            scripts.extend(found)
        elif path.exists():
            if path.suffix == ".wast" and shutil.which("wast2json") is None:
                fail(WasmError(f".wast scripts need wabt's wast2json: {WAST2JSON_HINT}", file=str(path)))
            scripts.append(path)
        else:
            fail(WasmError("No such file or directory", file=str(path)))
    return scripts


def check_script(path: Path) -> None:
    """Fail with one line if a `.json` script is not wast2json's form (an object whose
    `commands` is a list of objects), before any worker starts on it."""
    if path.suffix == ".wast":
        return
    try:
        with open(path, "rb") as f:
            script = json.load(f)
    except OSError as err:
        fail(WasmError(err.strerror or str(err), file=str(path)))
    except ValueError as err:
        fail(WasmError(f"malformed script: not JSON: {err}", file=str(path)))
    if not isinstance(script, dict) or not isinstance(script.get("commands"), list) \
            or not all(isinstance(c, dict) for c in script["commands"]):
        fail(WasmError("malformed script: expected wast2json's form, an object whose "
                       "\"commands\" is a list of objects", file=str(path)))
    for n, command in enumerate(script["commands"]):
        if not isinstance(command.get("type"), str):
            where = f"line {command['line']}" if isinstance(command.get("line"), int) else f"command {n + 1}"
            fail(WasmError(f"malformed script: {where} has no \"type\"", file=str(path)))


def _run_one(args) -> ScriptResult:
    path, features, engine = args
    try:
        return run_script(path, features, engine)
    except WasmError as err:
        result = ScriptResult(str(path))
        result.failures.append((None, "script", str(err)))
        return result


@click.command("spec")
@click.argument("paths", nargs=-1, required=True)
@click.option("--features", type=click.Choice(sorted(FEATURE_SETS)), default=None,
              help="Feature set to decode with (default: 2.0 under a wasm-2.0 directory, else all).")
@click.option("-j", "--jobs", type=int, default=1, show_default=True, help="Scripts run in parallel.")
@click.option("-v", "--verbose", is_flag=True, help="List each failed command.")
@click.option("--engine", type=click.Choice(["reference", "compiled"]), default="compiled",
              show_default=True, help="compiled: functions translated to Python (docs/compiled.md).")
def spec_command(paths, features, jobs, verbose, engine):
    """Run spec test scripts (wast2json .json, or .wast when wast2json is installed)."""
    scripts = expand(paths)
    for script in scripts:
        check_script(script)
    feature_set = FEATURE_SETS[features] if features else None
    work = [(p, feature_set, engine) for p in scripts]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = pool.map(_run_one, work)
    else:
        results = map(_run_one, work)
    passed = failed = 0
    for result in results:
        passed += result.passed
        failed += result.failed
        skipped = f", {result.skipped} skipped (text format)" if result.skipped else ""
        click.echo(f"{result.path}: {result.passed} passed, {result.failed} failed{skipped}")
        if verbose:
            for line, kind, reason in result.failures:
                click.echo(f"  line {line}: {kind}: {reason}")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
