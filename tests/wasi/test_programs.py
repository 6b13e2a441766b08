"""Our C programs under fixtures/wasi/, run in both our engines and in wasmtime with the
same arguments, environment and preopens: stdout and exit status must be identical."""

import pytest

from wasmmerge.runtime.wasi import Preopen, WasiConfig
from wasmmerge.runtime.wasi.session import Limits, run_program

from .helpers import build, fresh_dir, run_wasmtime

ENGINES = ["compiled", "reference"]
ENV = {"GREETING": "hello there", "LANG": "C"}


def ours(wasm, argv, env, preopens, engine, stdin=b""):
    config = WasiConfig(argv=argv, env=env, preopens=[Preopen(str(h), g) for h, g in preopens],
                        stdin=stdin)
    outcome = run_program([(None, wasm.read_bytes())], config, Limits(engine=engine))
    assert outcome.trap is None, outcome.trap
    return outcome.stdout, outcome.stderr, outcome.status


def compare(tmp_path, name, argv, engine, setup=None, preopen_guest="/sandbox", stdin=b""):
    wasm = build(name, tmp_path)
    results = []
    for who in ("wasmtime", "ours"):
        box = fresh_dir(tmp_path, f"box-{who}")
        if setup:
            setup(box)
        preopens = [(box, preopen_guest)]
        if who == "wasmtime":
            results.append(run_wasmtime(wasm, argv, ENV, preopens, tmp_path, stdin))
        else:
            results.append(ours(wasm, argv, ENV, preopens, engine, stdin))
    (w_out, w_err, w_status), (o_out, o_err, o_status) = results
    assert o_out.decode() == w_out.decode()
    assert o_err == w_err
    assert o_status == w_status
    return o_out.decode(), o_status


@pytest.mark.parametrize("engine", ENGINES)
def test_hello_argv_env_status(tmp_path, engine):
    out, status = compare(tmp_path, "hello", ["hello", "one", "two words", "42"], engine)
    assert "argv[2]=two words" in out and "GREETING=hello there" in out
    assert status == 42


@pytest.mark.parametrize("engine", ENGINES)
def test_file_io_in_preopen(tmp_path, engine):
    out, status = compare(tmp_path, "files", ["files", "/sandbox"], engine)
    assert status == 0
    assert "line 42 reads: line 042" in out and "listing: . .. renamed.txt sub" in out


def test_file_io_with_dot_preopen(tmp_path):
    out, status = compare(tmp_path, "files", ["files", "."], "compiled", preopen_guest=".")
    assert status == 0 and "first line now: LINE X00" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_clocks_sleep_random(tmp_path, engine):
    out, _ = compare(tmp_path, "clocks", ["clocks"], engine)
    assert out.count(": 1") == 7


@pytest.mark.parametrize("engine", ENGINES)
def test_printf_floats(tmp_path, engine):
    out, _ = compare(tmp_path, "floats", ["floats"], engine)
    assert "0x1.999999999999ap-4" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_qsort_and_malloc(tmp_path, engine):
    out, _ = compare(tmp_path, "sortheap", ["sortheap"], engine)
    assert out.startswith("sorted 1:")


def escape_setup(box):
    """A preopen with a secret beside it, and symlinks inside pointing out of it."""
    (box.parent / "secret.txt").write_text("secret\n")
    (box / "inside.txt").write_text("inside\n")
    (box / "sub").mkdir()
    (box / "outside").symlink_to("../secret.txt")
    (box / "outside_dir").symlink_to("..")
    (box / "inside_link").symlink_to("inside.txt")


@pytest.mark.parametrize("engine", ENGINES)
def test_sandbox_escapes_refused(tmp_path, engine):
    out, _ = compare(tmp_path, "escape", ["escape", "/sandbox"], engine, setup=escape_setup)
    assert "OPENED" not in out.replace("inside_link                  OPENED", "")
    assert "open inside_link                  OPENED" in out
    assert "ALLOWED" not in out and "inside still works: inside" in out
    assert not (tmp_path / "made_outside").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_links_times_and_big_directories(tmp_path, engine):
    out, status = compare(tmp_path, "links", ["links", "/sandbox"], engine)
    assert status == 0
    assert "readdir: 150 entries and 2 dot entries" in out and "readlink: 10 target.txt" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_stdin_poll_and_read(tmp_path, engine):
    out, status = compare(tmp_path, "echo", ["echo"], engine, stdin=b"one\ntwo\nthree\n")
    assert "ONE\nTWO\nTHREE\n" in out and status == 3
