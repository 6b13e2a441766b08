"""wasm-ld's command line as `wasmmerge link` parses it: lld's spellings, response files,
and every option we do not implement refused by name."""

import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from wasmmerge.cli import cli
from wasmmerge.errors import LinkError
from wasmmerge.linker.options import OPTIONS, REFUSED, VERSION_LINE, parse_args

from .harness import require_tools, run_wasm_ld, run_wasmmerge_link
from .objdsl import caller_and_callee


def test_spellings_of_one_option_agree():
    for argv in (["-Map=a.map"], ["--Map=a.map"], ["-Map", "a.map"], ["--Map", "a.map"]):
        assert parse_args([*argv, "x.o"]).map_file == "a.map"


def test_values_and_flags():
    opts = parse_args(["-flavor", "wasm", "-m", "wasm32", "-z", "stack-size=1048576", "-lc", "-L", "/lib",
                       "-L/usr/lib", "--export=a", "--export", "b", "-O2", "--no-entry", "--stack-first",
                       "--initial-memory=131072", "--import-memory=mod,mem", "-E", "x.o", "-o", "out.wasm"])
    assert opts.stack_size == 1048576 and opts.search_dirs == ["/lib", "/usr/lib"]
    assert opts.exports == ["a", "b"] and opts.optimize == 2 and opts.entry is None
    assert opts.stack_first and opts.initial_memory == 131072 and opts.import_memory == ("mod", "mem")
    assert opts.export_dynamic and opts.output == "out.wasm"
    assert [(i.value, i.is_library) for i in opts.inputs] == [("c", True), ("x.o", False)]


def test_whole_archive_applies_to_inputs_between_the_flags():
    opts = parse_args(["a.a", "--whole-archive", "b.a", "--no-whole-archive", "c.a"])
    assert [i.whole_archive for i in opts.inputs] == [False, True, False]


def test_response_files_nest_and_quote(tmp_path):
    inner = tmp_path / "inner.rsp"
    inner.write_text("--export=from_inner 'spaced name.o'\n")
    outer = tmp_path / "outer.rsp"
    outer.write_text(f"--no-entry @{inner} -o out.wasm\n")
    opts = parse_args([f"@{outer}"])
    assert opts.exports == ["from_inner"] and opts.output == "out.wasm"
    assert [i.value for i in opts.inputs] == ["spaced name.o"]


@pytest.mark.parametrize("argv,named", [
    (["--lto-O2"], "--lto-O2"),
    (["--thinlto-jobs=4"], "--thinlto-jobs"),
    (["-shared"], "-shared"),
    (["--pie"], "--pie"),
    (["-z", "now"], "-z now"),
    (["-flavor", "gnu"], "-flavor gnu"),
])
def test_unimplemented_options_are_refused_by_name(argv, named):
    with pytest.raises(LinkError) as err:
        parse_args([*argv, "x.o"])
    assert err.value.message == f"unsupported option: {named}"


def test_threads_takes_a_positive_count():
    assert parse_args(["--threads=2", "x.o"]).threads == 2
    assert parse_args(["x.o"]).threads is None  # one process per core for a large link
    with pytest.raises(LinkError, match="^--threads: expected a positive integer, but got '0'$"):
        parse_args(["--threads=0", "x.o"])


def test_importing_and_exporting_the_table_is_refused_as_wasm_ld_refuses_it():
    runner = CliRunner()
    result = runner.invoke(cli, ["link", "--import-table", "--export-table", "x.o", "-o", "y.wasm"])
    assert result.exit_code == 1  # wasm-ld's status for it
    assert result.stderr.strip() == "wasmmerge: error: --import-table and --export-table may not be used together"


@pytest.mark.parametrize("flags", [
    ["-r", "--export-table", "--growable-table", "-u", "x", "--entry=main", "--shared-memory"],
    ["-r", "--export-table"],  # -r imports the table: exporting it is refused twice
    ["-r", "--growable-table", "--entry=main"],
    ["-r", "-u", "x", "--shared-memory"],
    ["-r", "--entry="],  # an empty entry names none: linked
])
def test_options_refused_together_are_all_reported_as_wasm_ld_reports_them(flags, tmp_path):
    """Every combination wasm-ld 14 refuses is its own error line, all of them, in its
    order (we stopped at the first, and refused an empty --entry= with -r)."""
    require_tools()
    caller_and_callee(tmp_path)
    args = [*flags, str(tmp_path / "a.o"), str(tmp_path / "b.o"), "-o", "x"]
    ref, ours = run_wasm_ld(args, tmp_path / "ref.o"), run_wasmmerge_link(args, tmp_path / "ours.o")
    assert ours.returncode == ref.returncode
    assert ours.stderr.replace("wasmmerge: ", "") == ref.stderr.replace("wasm-ld: ", "")


def test_unresolved_symbol_options_decide_as_wasm_ld_14s():
    assert (parse_args(["x.o"]).unresolved, parse_args(["x.o"]).warn_unresolved) == ("report-all", False)
    warn = parse_args(["--warn-unresolved-symbols", "x.o"])
    assert (warn.unresolved, warn.warn_unresolved) == ("ignore-all", True)
    back = parse_args(["--warn-unresolved-symbols", "--error-unresolved-symbols", "x.o"])
    assert (back.unresolved, back.warn_unresolved) == ("report-all", False)
    again = parse_args(["--warn-unresolved-symbols", "--unresolved-symbols=import-dynamic", "x.o"])
    assert (again.unresolved, again.warn_unresolved) == ("import-dynamic", False)
    # --allow-undefined wins in any order (test_link_options runs the combinations against wasm-ld)
    allowed = parse_args(["--allow-undefined", "--unresolved-symbols=ignore-all", "--error-unresolved-symbols", "x.o"])
    assert (allowed.unresolved, allowed.warn_unresolved) == ("import-dynamic", False)
    assert parse_args(["--no-pie", "x.o"]).inputs[0].value == "x.o"  # the default, accepted


def test_missing_value():
    with pytest.raises(LinkError, match="missing value for option -o"):
        parse_args(["x.o", "-o"])


def test_every_documented_option_is_in_the_table():
    for name in ("export-if-defined", "allow-undefined-file", "unresolved-symbols", "keep-section",
                 "why-extract", "error-limit", "trace-symbol", "print-map", "build-id"):
        assert name in OPTIONS


def test_cli_version_and_refusal():
    runner = CliRunner()
    result = runner.invoke(cli, ["link", "--version"])
    assert result.exit_code == 0 and result.output.strip() == VERSION_LINE
    # One version for the whole program, as `wasmmerge --version` prints it.
    assert VERSION_LINE.split()[2] == runner.invoke(cli, ["--version"]).output.split()[-1]
    result = runner.invoke(cli, ["link", "--lto-O2", "x.o", "-o", "y.wasm"])
    assert result.exit_code == 2  # a usage error, as for every command
    assert result.stderr.strip() == "wasmmerge: error: unsupported option: --lto-O2"


@pytest.mark.parametrize("name", REFUSED)
def test_known_wasm_ld_options_we_do_not_implement_are_refused(name):
    spelling = f"-{name}" if len(name) == 1 else f"--{name}"
    with pytest.raises(LinkError, match=f"^unsupported option: {re.escape(spelling)}$"):
        parse_args([spelling, "x.o"])
    assert name not in OPTIONS


@pytest.mark.parametrize("argv", [
    ["--version"], ["-v"], ["--help"], [], ["-flavor", "wasm", "--version"], ["-flavor", "gnu", "a.o"],
    ["--lto-O2", "a.o"], ["a.o", "-o"], ["@missing.rsp"], ["--no-entry", "nope.o", "-o", "out.wasm"],
    ["--no-entry", "--export=main", "a.o", "-o", "out.wasm"],  # callee undefined
    ["--no-entry", "--export=main", "a.o", "b.o", "-o", "out.wasm"],
    # click's parser drops the first `--` (only that one); the command line without click does too
    ["--no-entry", "--export=main", "a.o", "--", "b.o", "-o", "out.wasm"],
    ["--", "--no-entry", "--", "a.o"],
    ["--no-entry", "--export=main", "a.o", "b.o", "--print-map", "-o", "out.wasm"],
    ["--no-entry", "--export=main", "a.o", "b.o", "-o", "a.o"],
])
def test_link_runs_alike_with_and_without_click(tmp_path, argv):
    """`wasmmerge link` as a process (dispatched without click) and under click's CliRunner
    (the group handing the arguments over): the same status, output and files."""
    caller_and_callee(tmp_path)
    results = []
    for how in ("process", "click"):
        if how == "process":
            proc = subprocess.run([sys.executable, "-m", "wasmmerge", "link", *argv], capture_output=True,
                                  text=True, cwd=tmp_path)
            result = (proc.returncode, proc.stdout, proc.stderr)
        else:
            cwd = os.getcwd()
            os.chdir(tmp_path)
            try:
                run = CliRunner().invoke(cli, ["link", *argv])
            finally:
                os.chdir(cwd)
            result = (run.exit_code, run.stdout, run.stderr)
        out = tmp_path / "out.wasm"
        results.append((*result, out.read_bytes() if out.exists() else None))
        if out.exists():
            out.unlink()
    assert results[0] == results[1]
    assert results[0][0] in (0, 1, 2)
