"""Issue 15, item 10: the sdist holds everything its tests need, and they pass from it;
the package metadata (license, version, authors) is what pyproject.toml promises."""

import email.parser
import os
import subprocess
import sys
import tarfile

import pytest

from conftest import ROOT
from wasmmerge import __version__

SHIPPED_TREES = ("tests", "fixtures", "docs", "benchmarks")


def _setuptools_version():
    proc = subprocess.run([sys.executable, "-c", "import setuptools; print(setuptools.__version__)"],
                          capture_output=True, text=True)
    return tuple(int(p) for p in proc.stdout.strip().split(".")[:2]) if proc.returncode == 0 else None


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """Build the sdist offline with the installed setuptools (the PEP 517 backend, as pip
    or `python -m build` would call it) and unpack it."""
    version = _setuptools_version()
    if version is None or version < (77, 0):
        pytest.skip("building the sdist needs setuptools >= 77 (`make test` installs the test extra)")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-c",
                           "import sys\nfrom setuptools import build_meta\n"
                           "print(build_meta.build_sdist(sys.argv[1]))", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    name = proc.stdout.strip().splitlines()[-1]
    assert name == f"wasmmerge-{__version__}.tar.gz"
    with tarfile.open(out / name) as archive:
        # (the "data" filter, refusing links and paths outside `out`, is in 3.11.4 and
        # later; before it, our own sdist is extracted as it is)
        archive.extractall(out, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return out / f"wasmmerge-{__version__}"


def test_sdist_holds_every_tracked_test_fixture_doc_and_benchmark(sdist):
    proc = subprocess.run(["git", "ls-files", *SHIPPED_TREES], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        pytest.skip("not a git checkout: cannot list the tracked files")
    tracked = proc.stdout.split()
    assert len(tracked) > 50
    missing = [path for path in tracked if not (sdist / path).is_file()]
    assert not missing, missing
    for path in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "wasmmerge/cli.py"):
        assert (sdist / path).is_file(), path
    assert not list(sdist.rglob("__pycache__"))


def test_sdist_metadata(sdist):
    info = email.parser.Parser().parsestr((sdist / "PKG-INFO").read_text())
    assert info["Version"] == __version__
    assert info["License-Expression"] == "MIT"
    assert info["Author"] == "the wasmmerge authors"
    assert "LICENSE" in info.get_all("License-File")
    assert "Programming Language :: Python :: 3" in info.get_all("Classifier")
    assert sorted(info.get_all("Requires-Dist"))[:2] == ["click>=8", "construct<2.11,>=2.10"]


@pytest.mark.slow  # about 20 s: a second pytest, running CLI subprocesses
def test_tests_pass_from_the_unpacked_sdist(sdist):
    """A part of the suite, run in the unpacked directory against its own package."""
    env = {**os.environ, "PYTHONPATH": str(sdist)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "tests/test_cli_inspect.py", "tests/cli/test_outputs.py"],
                          capture_output=True, text=True, cwd=sdist, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
    assert str(sdist / "wasmmerge") in subprocess.run(
        [sys.executable, "-c", "import wasmmerge; print(wasmmerge.__file__)"],
        capture_output=True, text=True, cwd=sdist, env=env).stdout
