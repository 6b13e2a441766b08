"""`wasmmerge merge INPUT... -o OUTPUT` (also the default command: `wasmmerge INPUT... -o OUTPUT`)."""

import click

from .. import collector
from ..cliutil import STDIN, USAGE_ERROR, Progress, diagnostic, fail, label, read_input, wasm_to_wat, warn
from ..errors import ValidationError, WasmError
from ..outputs import STDOUT, OutputSet, check_paths
from .hints import unresolved_import_hints
from .load import input_name_from_path
from .options import TARGETS, MergeOptions
from .pipeline import merge
from .report import format_depfile, format_json, format_text


def parse_input_spec(spec: str) -> tuple[str, str]:
    """`NAME=PATH` or `PATH` (named by its file stem) -> (name, path)."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name and "\\" not in name and path:
        return name, path
    if spec == STDIN:
        return "stdin", spec
    return input_name_from_path(spec), spec


def _named_files(specs, option: str) -> list[tuple[str, str]]:
    """`NAME=FILE` values of a repeatable option."""
    named = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            fail(f"{option} takes NAME=FILE, not {spec!r}", USAGE_ERROR)
        named.append((name, path))
    return named


def _debug_file_path(output: str) -> str:
    """`out.wasm` -> `out.debug.wasm`, as emscripten names a separate DWARF file."""
    stem = output[:-len(".wasm")] if output.endswith(".wasm") else output
    return stem + ".debug.wasm"


def _base_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


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
@click.option("--target", type=click.Choice(TARGETS), metavar="|".join(TARGETS),
              help="Fail if the output needs a feature this target lacks (naming the inputs responsible).")
@click.option("--map", "map_file", metavar="FILE", help="Write a link report.")
@click.option("--map-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--depfile", metavar="FILE", help="Write a Make dependency file.")
@click.option("--no-validate", is_flag=True, help="Do not validate the output.")
@click.option("--single-memory", is_flag=True,
              help="One memory: relocate inputs linked with wasm-ld --emit-relocs, lower the others.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes validating function bodies (default: one per core for large inputs).")
@click.option("-S", "--emit-text", is_flag=True, help="Write the output in the text format (through wabt's wasm2wat).")
@click.option("--fatal-warnings", is_flag=True, help="Treat warnings as errors: print them as errors, write nothing.")
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
def merge_command(inputs, output, rename, skip, export_from, allow_import, target, map_file, map_format,
                  depfile, no_validate, jobs, emit_text, fatal_warnings, strip_debug, strict_debug,
                  input_source_maps, output_source_map, output_source_map_url, input_debug_files, verbose, quiet,
                  single_memory):
    """Merge modules into one. INPUT is PATH (named by its file stem), NAME=PATH, or - (stdin),
    in instantiation order; an import from NAME binds to that input's export."""
    if rename and skip:
        fail("--rename-export-conflicts and --skip-export-conflicts exclude each other", USAGE_ERROR)
    if depfile and output == STDOUT:
        fail("--depfile needs an output file to name as its target, not -o -", USAGE_ERROR)
    conflicts = "rename" if rename else "skip" if skip else "error"
    specs = [parse_input_spec(spec) for spec in inputs]
    paths = [path for _, path in specs]
    if paths.count(STDIN) > 1:
        fail("standard input (-) can be read only once", USAGE_ERROR)
    source_map_files = _named_files(input_source_maps, "--input-source-map")
    debug_file_inputs = _named_files(input_debug_files, "--input-debug-file")
    debug_file = None
    if debug_file_inputs:
        if output == STDOUT:
            fail("--input-debug-file needs an output file (the merged debug file is written beside it)",
                 USAGE_ERROR)
        debug_file = _debug_file_path(output)
    try:
        check_paths(paths + [p for _, p in source_map_files + debug_file_inputs],
                    [("-o", output), ("--map", map_file), ("--depfile", depfile),
                     ("--output-source-map", output_source_map), ("--input-debug-file", debug_file)])
    except WasmError as err:
        fail(err)
    # On a terminal, a merge that takes more than a second shows which phase it is past.
    progress = Progress(f"merging {len(specs)} input{'s' if len(specs) != 1 else ''}", "reading",
                        enabled=not verbose)
    datas = [(name, read_input(path)) for name, path in specs]

    def phase(name, seconds):
        if verbose:
            click.echo(f"wasmmerge: {name}: {seconds * 1000:.1f} ms", err=True)
        else:
            progress.update(f"{name} done")

    options = MergeOptions(export_conflicts=conflicts,
                           export_from=list(export_from) or None,
                           allow_imports=list(allow_import) or None,
                           validate=not no_validate, jobs=jobs, single_memory=single_memory, on_phase=phase,
                           target=target,
                           strip_debug=strip_debug, strict_debug=strict_debug,
                           input_source_maps={name: read_input(path) for name, path in source_map_files},
                           output_source_map=bool(output_source_map),
                           source_map_file=None if output == STDOUT else _base_name(output),
                           source_map_url=output_source_map_url,
                           input_debug_files={name: read_input(path) for name, path in debug_file_inputs},
                           debug_file_url=_base_name(debug_file) if debug_file else None)
    outputs = OutputSet()
    try:
        # The collector paused for the merge stays so to the process's end (collector.py):
        # what follows writes the outputs.
        with collector.paused(to_the_end=True):
            if output == STDOUT or emit_text:
                result = merge(datas, options, files=[label(p) for p in paths])
                outputs.add(output, wasm_to_wat(result.data, output) if emit_text else result.data)
            else:
                # Streamed: the merged code goes to the file as it is made (docs/merge.md).
                with outputs.stream(output) as options.output:
                    result = merge(datas, options, files=[label(p) for p in paths])
        progress.close()
        warnings = result.warnings + unresolved_import_hints(result.module.imports, specs)
        if warnings and fatal_warnings:
            for warning in warnings[:-1]:
                click.echo(diagnostic(warning), err=True)
            fail(f"{warnings[-1]} (--fatal-warnings)")
        if not quiet:
            for warning in warnings:
                warn(warning)
        if output_source_map and result.source_map is not None:
            outputs.add(output_source_map, result.source_map.encode())
        if debug_file and result.debug_file is not None:
            outputs.add(debug_file, result.debug_file)
        if map_file:
            text = format_json(result.report) if map_format == "json" else format_text(result.report)
            outputs.add(map_file, text.encode())
        if depfile:
            outputs.add(depfile, format_depfile(output, paths).encode())
        outputs.commit()
    except ValidationError as err:
        fail(_input_error(datas, paths) or err)
    except WasmError as err:
        fail(err)
    finally:
        outputs.discard()  # a streamed output the command failed after
    if verbose:
        total = sum(len(d) for _, d in datas)
        click.echo(f"wasmmerge: {len(datas)} inputs, {total} bytes -> {result.size} bytes", err=True)


def _input_error(datas, paths) -> WasmError | None:
    """The first invalid input's own error, as `wasmmerge validate` reports it (offsets in
    that input's file, not in the merged module), when an input is why the merge failed."""
    # lazy: the validator runs here only on a failed merge; `--no-validate` never loads it.
    from ..features import ALL
    from ..validator import validate_module
    from ..binary.reader import decode_module
    for (_, data), path in zip(datas, paths):
        try:
            validate_module(decode_module(data, lazy=True, features=ALL), ALL)
        except WasmError as err:
            return err.with_file(label(path))
        except RecursionError:
            return WasmError("unsupported: nesting too deep to check", file=label(path))
    return None
