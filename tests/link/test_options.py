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
from wasmmerge.linker import options
from wasmmerge.linker.options import OPTIONS, REFUSED, VERSION_LINE, parse_args

from .harness import ROOT, require_tools, run_wasm_ld, run_wasmmerge_link
from .objdsl import caller_and_callee


def test_spellings_of_one_option_agree():
    for argv in (["-Map=a.map"], ["--Map=a.map"], ["-Map", "a.map"], ["--Map", "a.map"]):
        assert parse_args([*argv, "x.o", "-o", "y.wasm"]).map_file == "a.map"


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
    opts = parse_args(["a.a", "--whole-archive", "b.a", "--no-whole-archive", "c.a", "-o", "y.wasm"])
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
    assert _refusal(argv) == f"unsupported option: {named}"


def _refusal(argv) -> str:
    """The one-line message `argv` (with an input and an output) is refused with."""
    with pytest.raises(LinkError) as err:
        parse_args([*argv, "x.o", "-o", "y.wasm"])
    return err.value.message


def test_threads_takes_a_positive_count():
    assert parse_args(["--threads=2", "x.o", "-o", "y.wasm"]).threads == 2
    assert parse_args(["x.o", "-o", "y.wasm"]).threads is None  # one process per core for a large link
    with pytest.raises(LinkError, match="^--threads: expected a positive integer, but got '0'$"):
        parse_args(["--threads=0", "x.o", "-o", "y.wasm"])
    with pytest.raises(LinkError, match="^--threads: expected a positive integer, but got 'two'$"):
        parse_args(["--threads=two", "x.o", "-o", "y.wasm"])  # wasm-ld's words (they were -O's)


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
    assert (parse_args(["x.o", "-o", "y.wasm"]).unresolved, parse_args(["x.o", "-o", "y.wasm"]).warn_unresolved) == ("report-all", False)
    warn = parse_args(["--warn-unresolved-symbols", "x.o", "-o", "y.wasm"])
    assert (warn.unresolved, warn.warn_unresolved) == ("ignore-all", True)
    back = parse_args(["--warn-unresolved-symbols", "--error-unresolved-symbols", "x.o", "-o", "y.wasm"])
    assert (back.unresolved, back.warn_unresolved) == ("report-all", False)
    again = parse_args(["--warn-unresolved-symbols", "--unresolved-symbols=import-dynamic", "x.o", "-o", "y.wasm"])
    assert (again.unresolved, again.warn_unresolved) == ("import-dynamic", False)
    # --allow-undefined wins in any order (test_link_options runs the combinations against wasm-ld)
    allowed = parse_args(["--allow-undefined", "--unresolved-symbols=ignore-all", "--error-unresolved-symbols", "x.o", "-o", "y.wasm"])
    assert (allowed.unresolved, allowed.warn_unresolved) == ("import-dynamic", False)
    assert parse_args(["--no-pie", "x.o", "-o", "y.wasm"]).inputs[0].value == "x.o"  # the default, accepted


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
        parse_args([spelling, "x.o", "-o", "y.wasm"])
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


def _both(argv, workdir):
    """wasm-ld and `wasmmerge link` run in `workdir` on `argv`: (status, stderr lines with
    the tool's prefix dropped and wasm-ld's `cannot open X: why` in our `X: cannot open: why`
    form, the files each wrote)."""
    results = []
    for tool in (["wasm-ld"], [sys.executable, "-m", "wasmmerge", "link"]):
        before = set(os.listdir(workdir))
        proc = subprocess.run([*tool, *argv], capture_output=True, text=True, cwd=workdir,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        made = {name: (workdir / name).read_bytes() for name in set(os.listdir(workdir)) - before}
        for name in made:
            (workdir / name).unlink()
        lines = [re.sub(r"^error: cannot open (.*): (.*)$", r"error: \1: cannot open: \2",
                        line.removeprefix("wasm-ld: ").removeprefix("wasmmerge: "))
                 for line in proc.stderr.splitlines()]
        results.append((proc.returncode, lines, made))
    return results


@pytest.mark.parametrize("text", [
    b'"b\\.o"\n',  # a backslash in double quotes takes the next character (shlex kept it)
    b"'b\\.o'",  # in single quotes too
    b'\xef\xbb\xbfb.o',  # a UTF-8 byte-order mark is skipped
    b'b.o "" \'\'',  # empty arguments are dropped
    b'"b.o',  # an unclosed quote runs to the end
    b'b.o\r\n--export=main\r\n',  # CRLF
    b'b.o\t-o\tout.wasm',  # the file's -o wins
    b'b.o \\',  # a backslash at the very end is itself
    b'b.o @missing.rsp',  # a nested file that cannot be read stays an argument (an input)
    b'b.o @args.rsp',  # a file including itself too
])
def test_response_files_are_split_as_llvm_splits_them(tmp_path, text):
    """Found by the command-line sweep: shlex split response files as a POSIX shell does,
    not as LLVM 14's TokenizeGNUCommandLine, and a missing or recursive nested file was an
    error of its own where wasm-ld leaves the argument as it is."""
    require_tools()
    caller_and_callee(tmp_path)
    (tmp_path / "args.rsp").write_bytes(text)
    (tmp_path / "empty.rsp").write_bytes(b"")
    ref, ours = _both(["--no-entry", "--export=main", "a.o", "@empty.rsp", "@args.rsp", "-o", "out.wasm"], tmp_path)
    assert ours == ref


@pytest.mark.parametrize("text", ["a.o  b.o\tc.o\r\nd.o\n", " x ", "", "\n\n", "a\vb c\fd", "/p/ä.o\t-Lx"])
def test_response_files_without_quotes_split_as_the_tokenizer_splits_them(text):
    """A file without quotes or backslashes (a build's list of objects) is split at C
    level; the arguments are the character-at-a-time tokenizer's."""
    assert options._split_gnu(text) == options._tokenize_gnu(text)
    assert options._split_gnu(text + '"y z"') == options._tokenize_gnu(text + '"y z"')


@pytest.mark.parametrize("argv", [
    ["--no-entry", "--export=main", "a.o", "b.o"],
    ["--no-entry", "--export=main", "a.o", "b.o", "-o", ""],
    ["-r", "--export-table", "--growable-table", "--entry=main", "-u", "x", "a.o"],  # among -r's refusals
    ["--version", "a.o"],  # (no output needed: nothing is linked)
    ["--no-entry"],  # no input: that is the error
    ["--no-entry", "--export=main", "a.o", "b.o", "-o=out.wasm"],  # one-letter options take no `=`: `=out.wasm`
    ["--no-entry", "--export=main", "a.o", "b.o", "-oout.wasm"],
    ["--no-entry", "", "--export=main", "a.o", "", "b.o", "-o", "out.wasm"],  # empty arguments are none
])
def test_output_is_required_and_one_letter_values_are_glued_as_in_lld(tmp_path, argv):
    """wasm-ld 14 has no default output (we wrote `a.out`), says so in its order among the
    option checks, reads `-o=x` as the file `=x` (we wrote `x`), and skips an empty
    argument, as LLVM's OptTable does (we could not open the input '')."""
    require_tools()
    caller_and_callee(tmp_path)
    ref, ours = _both(argv, tmp_path)
    if argv[0] == "--version":
        ref, ours = ref[0], ours[0]  # (the version lines differ)
    assert ours == ref


@pytest.mark.parametrize("flags", [
    ["-z", "stack-size=010000"],  # octal, as LLVM's auto-sensed radix reads it
    ["-zstack-size=0b1000000000000"], ["-z", "stack-size=0o10000"], ["-z", "stack-size=0X4000"],
    ["--initial-memory=0131072"],  # decimal: the leading zero is no radix
])
def test_numbers_are_read_in_wasm_ld_14s_radix(tmp_path, flags):
    """`-z stack-size` takes any radix LLVM senses (010000 is 4096: we refused it), the other
    numbers decimal only (`--initial-memory=0x20000` is refused, by its argument as written)."""
    require_tools()
    caller_and_callee(tmp_path)
    ref, ours = _both(["--no-entry", "--export=main", *flags, "a.o", "b.o", "-o", "out.wasm"], tmp_path)
    assert ours == ref and ref[0] == 0


@pytest.mark.parametrize("argv,message", [
    (["--initial-memory=0x20000"], "--initial-memory=0x20000: number expected, but got '0x20000'"),
    (["-O", "0x2"], "-O: number expected, but got '0x2'"),
    (["-O=2"], "-O=2: number expected, but got '=2'"),
    (["--error-limit=1_0"], "--error-limit=1_0: number expected, but got '1_0'"),
    (["-z", "stack-size=08"], "invalid stack-size: 08"),
    (["-z", "stack-size"], "invalid stack-size: "),
])
def test_bad_numbers_are_refused_in_wasm_ld_14s_words(argv, message):
    assert _refusal(argv) == message


def test_a_library_path_that_is_a_directory_is_taken_as_lld_takes_it(tmp_path):
    """lld's findFile takes the first `libNAME.a` that exists: a directory so named is the
    input (and cannot be opened), not a later -L directory's archive (we skipped it)."""
    require_tools()
    caller_and_callee(tmp_path)
    (tmp_path / "d1" / "libx.a").mkdir(parents=True)
    (tmp_path / "d2").mkdir()
    subprocess.run(["llvm-ar", "rc", "d2/libx.a", "b.o"], cwd=tmp_path, check=True)
    ref, ours = _both(["--no-entry", "--export=main", "a.o", "-Ld1", "-Ld2", "-lx", "-o", "out.wasm"], tmp_path)
    assert ours == ref and ref[0] == 1


@pytest.mark.parametrize("argv,message", [
    (["@flavor.rsp", "x.o"], "unsupported option: -flavor"),  # -flavor is read before response files
    (["x.o", "-flavor", "wasm"], "unsupported option: -flavor"),
    (["--color-diagnostics=sometimes", "x.o"], "unknown option: --color-diagnostics=sometimes"),
])
def test_what_lld_refuses_on_the_command_line_is_refused(argv, message, tmp_path, monkeypatch):
    """Found by the command-line sweep: `-flavor wasm` in a response file, and a
    --color-diagnostics value other than always/never/auto, were accepted."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flavor.rsp").write_text("-flavor wasm\n")
    with pytest.raises(LinkError) as err:
        parse_args([*argv, "-o", "y.wasm"])
    assert err.value.message == message
    assert parse_args(["-flavor", "wasm", "--color-diagnostics=never", "x.o", "-o", "y.wasm"]).inputs[0].value == "x.o"
