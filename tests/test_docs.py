"""Issue 15, item 11: every code example in README.md and docs/*.md runs.

Each ```python block is executed (in a fresh namespace, in a directory holding what
`make demo` builds: out/demo/mathlib.wasm and out/demo/app.wasm). Each block with
`$ wasmmerge ...` lines runs those commands there, and the lines after a command, up to
the next `$` line, must be exactly what it prints. A block that only illustrates (a
synopsis with [OPTIONS], output of a module we do not ship) says so on the line before
its fence:

    <!-- illustration: why it does not run -->

and is then only checked for Python syntax. Other blocks (tables of numbers, directory
layouts, JSON schemas, make targets) are not code this package runs.
"""

import re
import shlex
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, wat2wasm

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ILLUSTRATION = re.compile(r"<!-- illustration: (.+?) -->")


def code_blocks():
    """(document, line, language, text, illustration reason or None) per fenced block."""
    blocks = []
    for path in DOCUMENTS:
        lines = path.read_text().splitlines()
        i = 0
        while i < len(lines):
            fence = re.match(r"^```(\w*)\s*$", lines[i])
            if not fence:
                i += 1
                continue
            start = i
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                i += 1
            previous = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
            marker = ILLUSTRATION.search(previous)
            blocks.append((path.relative_to(ROOT).as_posix(), start + 1, fence[1],
                           "\n".join(lines[start + 1:i]) + "\n", marker[1] if marker else None))
            i += 1
    return blocks


BLOCKS = code_blocks()
PYTHON = [b for b in BLOCKS if b[2] == "python"]
SHELL = [b for b in BLOCKS if re.search(r"^\$ wasmmerge", b[3], re.M)]


def block_id(block):
    return f"{block[0]}:{block[1]}"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A directory as `make demo` leaves the checkout: out/demo/{mathlib,app}.wasm."""
    root = tmp_path_factory.mktemp("docs")
    (root / "out" / "demo").mkdir(parents=True)
    for name in ("mathlib", "app"):
        (root / "out" / "demo" / f"{name}.wasm").write_bytes(wat2wasm(FIXTURES / "demo" / f"{name}.wat"))
    return root


def test_the_documents_have_examples_to_run():
    assert len([b for b in PYTHON if b[4] is None]) >= 5
    assert len([b for b in SHELL if b[4] is None]) >= 2
    assert any(b[0] == "README.md" for b in PYTHON)


@pytest.mark.parametrize("block", PYTHON, ids=block_id)
def test_python_example_runs(block, demo_dir, monkeypatch):
    document, line, _, text, illustration = block
    code = compile(text, f"{document}:{line}", "exec")
    if illustration:
        return  # an illustration must still be valid Python
    monkeypatch.chdir(demo_dir)
    exec(code, {"__name__": f"docs_example_{line}"})


@pytest.mark.parametrize("block", SHELL, ids=block_id)
def test_shell_example_runs(block, demo_dir):
    document, line, _, text, illustration = block
    if illustration:
        pytest.skip(f"{document}:{line} is marked as an illustration: {illustration}")
    commands = []  # (command line, expected output lines)
    for text_line in text.splitlines():
        if text_line.startswith("$ "):
            commands.append((text_line[2:], []))
        elif commands:
            commands[-1][1].append(text_line)
    for command, expected in commands:
        argv = shlex.split(command)
        assert argv[0] == "wasmmerge", f"{document}:{line}: only wasmmerge commands run here: {command}"
        proc = subprocess.run([sys.executable, "-m", "wasmmerge", *argv[1:]], cwd=demo_dir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout.splitlines() == expected, f"{document}:{line}: $ {command}\n{proc.stdout}"
        if not any("error:" in ln for ln in expected):
            assert proc.returncode == 0, f"{document}:{line}: $ {command}\n{proc.stdout}"


def test_an_illustration_marker_heads_a_block():
    """A marker that heads no fenced block (a typo, a moved block) would skip nothing."""
    for path in DOCUMENTS:
        lines = path.read_text().splitlines()
        for n, text in enumerate(lines):
            if "<!-- illustration" in text:
                assert ILLUSTRATION.search(text), f"{path.name}:{n + 1}: write <!-- illustration: WHY -->"
                following = next((ln for ln in lines[n + 1:] if ln.strip()), "")
                assert following.startswith("```"), f"{path.name}:{n + 1}: the marker heads no block"
