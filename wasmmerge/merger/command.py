"""`wasmmerge merge INPUT... -o OUTPUT` (also the default command: `wasmmerge INPUT... -o OUTPUT`)."""

import os
import sys
import tempfile

import click

from ..cliutil import fail, read_input
from ..errors import WasmError
from .load import input_name_from_path
from .options import MergeOptions
from .pipeline import merge
from .report import format_depfile, format_json, format_text


def parse_input_spec(spec: str) -> tuple[str, str]:
    """`NAME=PATH` or `PATH` (named by its file stem) -> (name, path)."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and "\\" not in name and path:
        return name, path
    return input_name_from_path(spec), spec


def _named_files(specs, option: str) -> list[tuple[str, str]]:
    """`NAME=FILE` values of a repeatable option."""
    named = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            fail(f"{option} takes NAME=FILE, not {spec!r}")
        named.append((name, path))
    return named


def _debug_file_path(output: str) -> str:
    """`out.wasm` -> `out.debug.wasm`, as emscripten names a separate DWARF file."""
    stem = output[:-len(".wasm")] if output.endswith(".wasm") else output
    return stem + ".debug.wasm"


def write_atomically(path: str, data: bytes) -> None:
    """Write via a temporary file in the same directory, renamed over `path` when complete."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".wasmmerge-", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); an output is an ordinary file, readable
        # as the umask allows (a web server must be able to serve it).
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@click.command("merge")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True, metavar="OUTPUT", help="Output file, or - for stdout.")
@click.option("--rename-export-conflicts", "rename", is_flag=True,
              help="On an export name clash, later modules' exports become MODULE.NAME.")
@click.option("--skip-export-conflicts", "skip", is_flag=True,
              help="On an export name clash, later modules' exports are dropped.")
@click.option("--export-from", "export_from", multiple=True, metavar="NAME",
              help="Keep only these modules' exports (repeatable).")
@click.option("--allow-import", "allow_import", multiple=True, metavar="PATTERN",
              help="Imports the output may keep, e.g. 'env.*' (repeatable); others are an error.")
@click.option("--map", "map_file", metavar="FILE", help="Write a link report.")
@click.option("--map-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--depfile", metavar="FILE", help="Write a Make dependency file.")
@click.option("--no-validate", is_flag=True, help="Do not validate the output.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes validating function bodies (default: one per core for large inputs).")
@click.option("--strip-debug", is_flag=True, help="Drop all debug info (DWARF, source map URL, external debug info).")
@click.option("--strict-debug", is_flag=True, help="DWARF that cannot be rewritten is an error, not a warning.")
@click.option("--input-source-map", "input_source_maps", multiple=True, metavar="NAME=FILE",
              help="The source map of input NAME (repeatable).")
@click.option("--output-source-map", metavar="FILE", help="Write the merged source map.")
@click.option("--output-source-map-url", metavar="URL", help="Write a sourceMappingURL section naming URL.")
@click.option("--input-debug-file", "input_debug_files", multiple=True, metavar="NAME=FILE",
              help="The external DWARF file of input NAME (repeatable); the merged one is written "
                   "as OUTPUT.debug.wasm.")
@click.option("-v", "--verbose", is_flag=True, help="Print each phase with its time.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print warnings.")
def merge_command(inputs, output, rename, skip, export_from, allow_import, map_file, map_format, depfile,
                  no_validate, jobs, strip_debug, strict_debug, input_source_maps, output_source_map,
                  output_source_map_url, input_debug_files, verbose, quiet):
    """Merge modules into one. INPUT is PATH (named by its file stem) or NAME=PATH,
    in instantiation order; an import from NAME binds to that input's export."""
    if rename and skip:
        fail("--rename-export-conflicts and --skip-export-conflicts exclude each other")
    conflicts = "rename" if rename else "skip" if skip else "error"
    specs = [parse_input_spec(spec) for spec in inputs]
    datas = [(name, read_input(path)) for name, path in specs]

    def phase(name, seconds):
        click.echo(f"wasmmerge: {name}: {seconds * 1000:.1f} ms", err=True)

    debug_files = {name: read_input(path) for name, path in _named_files(input_debug_files, "--input-debug-file")}
    debug_file = None
    if debug_files:
        if output == "-":
            fail("--input-debug-file needs an output file (the merged debug file is written beside it)")
        debug_file = _debug_file_path(output)
    options = MergeOptions(export_conflicts=conflicts,
                           export_from=list(export_from) or None,
                           allow_imports=list(allow_import) or None,
                           validate=not no_validate, jobs=jobs, on_phase=phase if verbose else None,
                           strip_debug=strip_debug, strict_debug=strict_debug,
                           input_source_maps={name: read_input(path) for name, path
                                              in _named_files(input_source_maps, "--input-source-map")},
                           output_source_map=bool(output_source_map),
                           source_map_file=None if output == "-" else os.path.basename(output),
                           source_map_url=output_source_map_url,
                           input_debug_files=debug_files,
                           debug_file_url=os.path.basename(debug_file) if debug_file else None)
    try:
        result = merge(datas, options, files=[path for _, path in specs])
    except WasmError as err:
        fail(str(err))
    if not quiet:
        for warning in result.warnings:
            click.echo(f"wasmmerge: warning: {warning}", err=True)
    try:
        if output == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(result.data)
            sys.stdout.buffer.flush()
        else:
            write_atomically(output, result.data)
        if output_source_map and result.source_map is not None:
            write_atomically(output_source_map, result.source_map.encode())
        if debug_file and result.debug_file is not None:
            write_atomically(debug_file, result.debug_file)
        if map_file:
            text = format_json(result.report) if map_format == "json" else format_text(result.report)
            write_atomically(map_file, text.encode())
        if depfile:
            target = "-" if output == "-" else output
            write_atomically(depfile, format_depfile(target, [path for _, path in specs]).encode())
    except OSError as err:
        fail(f"{err.filename or output}: {err.strerror or err}")
    if verbose:
        total = sum(len(d) for _, d in datas)
        click.echo(f"wasmmerge: {len(datas)} inputs, {total} bytes -> {len(result.data)} bytes", err=True)
    sys.stdout.flush()
