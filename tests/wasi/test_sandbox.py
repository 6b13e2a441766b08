"""Hostile guest paths against `sandbox.resolve` and the path functions, directly."""

import os

import pytest

from wasmmerge.runtime.wasi import ERRNO
from wasmmerge.runtime.wasi.errno import WasiError
from wasmmerge.runtime.wasi.sandbox import resolve


@pytest.fixture
def box(tmp_path):
    """tmp/box (the capability) with a file, a subdirectory and symlinks; tmp/secret beside it."""
    (tmp_path / "secret").write_text("secret")
    box = tmp_path / "box"
    (box / "sub" / "deeper").mkdir(parents=True)
    (box / "file").write_text("inside")
    (box / "up").symlink_to("..")
    (box / "sub" / "up2").symlink_to("../..")
    (box / "abs").symlink_to(str(tmp_path / "secret"))
    (box / "rel_ok").symlink_to("sub/deeper")
    (box / "loop").symlink_to("loop")
    (box / "chain").symlink_to("sub/up2")
    fd = os.open(box, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def errno_of(base, path, follow=True):
    try:
        with resolve(base, path, follow) as where:
            return where.name
    except WasiError as err:
        return ERRNO_NAMES[err.errno]
    except OSError as err:
        return os.strerror(err.errno)


ERRNO_NAMES = {v: k for k, v in ERRNO.items()}


@pytest.mark.parametrize("path", [
    "..", "../secret", "sub/../../secret", "sub/deeper/../../../secret", "./..", "sub/deeper/../../..",
    "/etc/passwd", "/", "up/secret", "up", "sub/up2/secret", "abs", "chain/secret", "chain",
    "sub/./../..//secret", "rel_ok/../../../secret",
])
def test_escapes_are_not_capable(box, path):
    assert errno_of(box, path) == "NOTCAPABLE"


def test_symlink_loop(box):
    assert errno_of(box, "loop") == "LOOP"


def test_last_component_not_followed_unless_asked(box):
    # lstat/unlink/readlink of a symlink that points out is fine: nothing outside is touched.
    assert errno_of(box, "abs", follow=False) == "abs"
    assert errno_of(box, "up", follow=False) == "up"
    assert errno_of(box, "sub/../up", follow=False) == "up"


@pytest.mark.parametrize("path,name", [
    ("file", "file"), ("sub/../file", "file"), ("./sub/deeper", "deeper"), ("rel_ok", "deeper"),
    ("sub/deeper/..", "."), (".", "."), ("sub//deeper", "deeper"),
])
def test_inside_paths_resolve(box, path, name):
    assert errno_of(box, path) == name


def test_empty_nul_and_trailing_slash(box):
    assert errno_of(box, "") == "NOENT"
    assert errno_of(box, "fi\0le") == "INVAL"
    assert errno_of(box, "file/") == "NOTDIR"
    assert errno_of(box, "sub/") == "sub"
    assert errno_of(box, "missing/") == "missing"


def test_walk_closes_its_descriptors(box):
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        errno_of(box, "sub/deeper/../deeper/x")
        errno_of(box, "sub/deeper/../../..")
    assert len(os.listdir("/proc/self/fd")) == before
