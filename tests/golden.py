"""Golden files: a test's text output compared with a checked-in expected text.

`check_golden(path, text, request)` fails with a unified diff when the file under
tests/golden/ is missing or differs; run `pytest --bless` (the option is declared in
conftest.py) to write the new texts instead, then review them with `git diff`. Blessing
never passes silently on its own: the files change on disk, and the diff is the review.
"""

import difflib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "tests" / "golden"
BLESS_HINT = "run `pytest --bless` to accept the new output, then review `git diff tests/golden`"


def blessing(request) -> bool:
    """Whether this run writes golden files instead of checking them."""
    return bool(request.config.getoption("bless"))


def check_golden(path: Path, text: str, request) -> None:
    """Compare `text` with the golden file at `path`, or (with --bless) write it there."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if blessing(request):
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return
    if not path.exists():
        pytest.fail(f"golden file {shown} is missing; {BLESS_HINT}", pytrace=False)
    expected = path.read_text()
    if text != expected:
        diff = difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                    f"{shown} (golden)", f"{shown} (this run)")
        pytest.fail(f"output differs from {shown}; {BLESS_HINT}\n{''.join(diff)}", pytrace=False)


def check_no_stale_golden(directory: Path, wanted: set[str], request) -> None:
    """Every golden file in `directory` belongs to a test that still exists; with --bless,
    files no test writes any more (a scenario renamed or removed) are deleted."""
    stale = sorted(p.name for p in directory.glob("*.txt") if p.name not in wanted)
    if blessing(request):
        for name in stale:
            (directory / name).unlink()
        return
    if stale:
        pytest.fail(f"golden files no test checks: {stale}; {BLESS_HINT}", pytrace=False)
