"""Shared test helpers: where the spec suite is, and assembling WAT fixtures."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTSUITE = ROOT.parent / "shared" / "testsuite"
FIXTURES = ROOT / "fixtures"
MISSING_SUITE = (f"spec test suite not found at {TESTSUITE}: clone https://github.com/WebAssembly/testsuite "
                 "and convert it with wast2json (see ../shared/testsuite/README.md) to run these tests")


def pytest_addoption(parser, pluginmanager):
    # Golden-file tests (tests/golden.py) write their expected texts instead of checking them.
    parser.addoption("--bless", action="store_true", default=False,
                     help="rewrite the golden files under tests/golden/ from this run's output")
    if not pluginmanager.has_plugin("timeout"):
        # pyproject.toml's `timeout` is pytest-timeout's (the test extra installs it);
        # without the plugin the same limit is applied below, by SIGALRM.
        parser.addini("timeout", "seconds a test may take (pytest-timeout's option)", default="0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Without pytest-timeout, fail a test that runs past `timeout` seconds (a looping
    engine must fail with the test's name, not eat CI's time)."""
    seconds = 0 if item.config.pluginmanager.has_plugin("timeout") else int(item.config.getini("timeout") or 0)
    if not seconds or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum, frame):
        pytest.fail(f"timed out after {seconds} s (pyproject.toml's timeout)", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def suite_dir(version: str) -> Path:
    """`wasm-2.0` or `wasm-3.0`; skips the test when the suite is absent."""
    path = TESTSUITE / version
    if not path.is_dir():
        pytest.skip(MISSING_SUITE)
    return path


def suite_scripts(version: str) -> list[Path]:
    """Every converted JSON script of a suite (empty when it is absent)."""
    path = TESTSUITE / version
    return sorted(path.glob("*/*.json")) if path.is_dir() else []


def or_missing_suite(params: list, argcount: int = 1) -> list:
    """Parameters drawn from the suite, or, where it is absent, one that skips saying how
    to get it (pytest's own "empty parameter set" skip tells a user nothing)."""
    if params:
        return params
    return [pytest.param(*([None] * argcount), id="suite-absent", marks=pytest.mark.skip(reason=MISSING_SUITE))]


def wat2wasm(source: str | Path, *flags: str) -> bytes:
    """Assemble WAT text (or a .wat file) with wabt's wat2wasm (`flags`: default --enable-all)."""
    exe = shutil.which("wat2wasm")
    if exe is None:
        pytest.fail("wat2wasm not found: run `make test`, which installs wabt")
    if isinstance(source, Path):
        text = source.read_text()
    else:
        text = source
    proc = subprocess.run([exe, *(flags or ("--enable-all",)), "-", "--output=-"], input=text.encode(),
                          capture_output=True)
    if proc.returncode != 0:
        raise AssertionError(f"wat2wasm failed:\n{proc.stderr.decode()}")
    return proc.stdout


def wasm_validate(data: bytes, *flags: str) -> None:
    """Check a binary with wabt's wasm-validate (an independent validator)."""
    exe = shutil.which("wasm-validate")
    if exe is None:
        pytest.fail("wasm-validate not found: run `make test`, which installs wabt")
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        proc = subprocess.run([exe, *flags, path], capture_output=True)
    finally:
        os.unlink(path)
    assert proc.returncode == 0, f"wasm-validate rejected the module:\n{proc.stderr.decode()}"
