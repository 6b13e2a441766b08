"""Golden structure tests, lld style: for every merge variant of fixtures/merge that
succeeds, the `--map` link report and `wasmmerge inspect` of the merged output are
compared with tests/golden/merge/<scenario>-<variant>.txt.

The behavioural tests (test_scenarios.py) say whether a merged module still does the right
thing; these say what its structure is (index maps, bindings, kept imports, exports,
sections and their sizes), so a reviewer sees in a diff what a change did to the output.
`pytest --bless` rewrites the files (see tests/golden.py and docs/testing.md).

The real command line runs in-process (a subprocess per call would cost ~0.3 s of
imports each, ~100 calls), in a temporary directory with relative file names, so the
texts hold no temporary paths.
"""

import functools
import sys

import pytest

from golden import GOLDEN_DIR, check_golden, check_no_stale_golden
from wasmmerge.cli import main

from . import harness

GOLDEN_MERGE = GOLDEN_DIR / "merge"


def golden_variants():
    """(scenario, variant index) for every variant that merges (error variants make no output)."""
    for name in harness.scenario_names():
        for i, variant in enumerate(harness.load_scenario_spec(name).get("merges", [{"options": {}}])):
            if "error" not in variant:
                yield name, i


VARIANTS = list(golden_variants())


def golden_name(name: str, index: int) -> str:
    return f"{name}-{index}.txt"


@functools.cache
def scenario(name: str) -> harness.Scenario:
    """Assembled once per worker: a scenario's variants share its inputs."""
    return harness.load_scenario(name)


def cli_flags(options: dict) -> list[str]:
    """The command-line flags that ask for what a variant's MergeOptions say."""
    unknown = set(options) - {"export_conflicts", "export_from", "allow_imports"}
    if unknown or options.get("export_from") == [] or options.get("allow_imports") == []:
        # An empty list cannot be said with repeatable flags: the CLI would mean "no limit".
        pytest.fail(f"merge options {options} have no command-line form")
    flags = {"error": [], "rename": ["--rename-export-conflicts"],
             "skip": ["--skip-export-conflicts"]}[options.get("export_conflicts", "error")]
    for module in options.get("export_from") or []:
        flags += ["--export-from", module]
    for pattern in options.get("allow_imports") or []:
        flags += ["--allow-import", pattern]
    return flags


def run_cli(args: list[str], monkeypatch, capsys) -> str:
    """`wasmmerge ARGS` as `python -m wasmmerge` runs it: the command line as a shell
    transcript would show it, then what it printed (stdout, then stderr)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["wasmmerge", *args])
    with pytest.raises(SystemExit) as done:
        main()
    printed = capsys.readouterr()
    assert done.value.code in (0, None), f"wasmmerge {' '.join(args)} exited {done.value.code}:\n{printed.err}"
    return f"$ wasmmerge {' '.join(args)}\n{printed.out}{printed.err}"


@pytest.mark.parametrize("name,index", [pytest.param(n, i, id=f"{n}-{i}") for n, i in VARIANTS])
def test_merge_structure_matches_golden(name, index, tmp_path, monkeypatch, capsys, request):
    loaded = scenario(name)
    monkeypatch.chdir(tmp_path)
    inputs = []
    for module in loaded.modules:
        (tmp_path / f"{module}.wasm").write_bytes(loaded.wasm[module])
        inputs.append(f"{module}.wasm")
    variant = loaded.merges[index]
    try:
        merge = run_cli([*inputs, "-o", "merged.wasm", "--map", "merged.map", *cli_flags(variant.options)],
                        monkeypatch, capsys)
    except AssertionError:
        if variant.known_failure:  # the merger cannot do this one yet; the output, if any, still gets a golden
            pytest.xfail(variant.known_failure)
        raise
    link_map = (tmp_path / "merged.map").read_text()
    inspect = run_cli(["inspect", "merged.wasm"], monkeypatch, capsys)
    text = f"{merge}\n== merged.map\n{link_map}\n{inspect}"
    # A temporary path in the text would make the file differ on every run.
    assert str(tmp_path) not in text and tmp_path.name not in text, f"output names the temporary directory:\n{text}"
    check_golden(GOLDEN_MERGE / golden_name(name, index), text, request)


def test_every_golden_file_belongs_to_a_variant(request):
    check_no_stale_golden(GOLDEN_MERGE, {golden_name(n, i) for n, i in VARIANTS}, request)
