"""Issue 15, items 1-3 and 5: outputs never clobber inputs or each other, are written all
or nothing, errors name the user's path, and the depfile keeps `make` working."""

import os
import shutil
import subprocess

import pytest

from wasmmerge.errors import WasmError
from wasmmerge.outputs import Deferred, OutputSet, joined

from .clirun import APP, LIB, snapshot, wasmmerge, write_modules


@pytest.fixture
def work(tmp_path):
    write_modules(tmp_path, lib=LIB, app=APP)
    return tmp_path


@pytest.mark.parametrize("args,words", [
    (["-o", "app.wasm"], ["-o app.wasm", "input app.wasm"]),
    (["-o", "./lib.wasm"], ["-o ./lib.wasm", "input lib.wasm"]),
    (["-o", "sub/../app.wasm"], ["-o sub/../app.wasm", "input app.wasm"]),
    (["-o", "link.wasm"], ["-o link.wasm", "input lib.wasm"]),
    (["-o", "hard.wasm"], ["-o hard.wasm", "input app.wasm"]),
    (["-o", "out.wasm", "--map", "out.wasm"], ["--map out.wasm", "-o out.wasm"]),
    (["-o", "out.wasm", "--depfile", "lib.wasm"], ["--depfile lib.wasm", "input lib.wasm"]),
    (["-o", "out.wasm", "--map", "m.txt", "--depfile", "./m.txt"], ["--depfile ./m.txt", "--map m.txt"]),
], ids=["output-is-input", "dot-slash", "dot-dot", "symlink", "hardlink", "map-is-output",
        "depfile-is-input", "depfile-is-map"])
def test_an_output_that_is_an_input_or_another_output_is_refused(work, args, words):
    (work / "sub").mkdir()
    os.symlink("lib.wasm", work / "link.wasm")
    os.link(work / "app.wasm", work / "hard.wasm")
    before = snapshot(work)
    proc = wasmmerge("lib.wasm", "app.wasm", *args, cwd=work)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wasmmerge: error: "), proc.stderr
    assert "same file" in lines[0] and all(w in lines[0] for w in words), lines[0]
    assert snapshot(work) == before


def test_a_failing_map_leaves_no_module_and_keeps_the_old_one(work):
    (work / "out.wasm").write_bytes(b"previous")
    before = snapshot(work)
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", "--map", "nowhere/out.map",
                     "--depfile", "out.d", cwd=work)
    assert proc.returncode == 1
    assert proc.stderr == "wasmmerge: error: nowhere/out.map: cannot write: nowhere does not exist (--map)\n"
    assert snapshot(work) == before


def test_a_map_whose_directory_is_a_file(work):
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", "--map", "lib.wasm/out.map", cwd=work)
    assert proc.returncode == 1 and "lib.wasm is not a directory" in proc.stderr
    assert not (work / "out.wasm").exists()


@pytest.mark.parametrize("target", ["./", ".", "sub"])
def test_output_that_is_a_directory_names_it(work, target):
    (work / "sub").mkdir()
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", target, cwd=work)
    assert proc.returncode == 1
    assert proc.stderr == f"wasmmerge: error: {target}: is a directory (-o names the file to write)\n"
    assert "busy" not in proc.stderr and ".tmp" not in proc.stderr


def test_write_failure_after_the_first_output_removes_everything(tmp_path):
    """The commit itself: the module's temporary is written, the map's cannot be (its
    directory vanished after the paths were checked): neither target appears, no temporary
    is left, and the error names the user's path."""
    outputs = OutputSet()
    outputs.add(str(tmp_path / "out.wasm"), b"\0asm\1\0\0\0")
    outputs.add(str(tmp_path / "gone" / "out.map"), b"map")
    with pytest.raises(WasmError) as caught:
        outputs.commit()
    assert caught.value.file == str(tmp_path / "gone" / "out.map")
    assert "No such file or directory" in caught.value.message and ".wasmmerge-" not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_all_outputs_are_written_with_no_temporaries_left(work):
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", "--map", "out.map", "--depfile", "out.d",
                     cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert {"out.wasm", "out.map", "out.d"} <= set(os.listdir(work))
    assert not [n for n in os.listdir(work) if n.startswith(".wasmmerge-")]


def test_depfile_has_a_phony_target_per_input(work):
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", "--depfile", "out.d", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert (work / "out.d").read_text() == "out.wasm: lib.wasm app.wasm\n\nlib.wasm:\n\napp.wasm:\n"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make (apt-get install make)")
def test_make_survives_an_input_leaving_the_build(work):
    """With the phony targets, a build that no longer has app.wasm reruns its rule instead
    of stopping with "No rule to make target 'app.wasm'"."""
    (work / "Makefile").write_text("-include out.d\n"
                                   "out.wasm:\n"
                                   "\techo rebuilt > out.wasm\n")
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "out.wasm", "--depfile", "out.d", cwd=work)
    assert proc.returncode == 0, proc.stderr
    (work / "app.wasm").unlink()
    make = subprocess.run(["make", "out.wasm"], cwd=work, capture_output=True, text=True)
    assert make.returncode == 0, make.stderr
    assert (work / "out.wasm").read_text() == "rebuilt\n"


def test_depfile_with_stdout_output_is_refused(work):
    proc = wasmmerge("lib.wasm", "app.wasm", "-o", "-", "--depfile", "out.d", cwd=work)
    assert proc.returncode == 2
    assert proc.stderr.startswith("wasmmerge: error: --depfile needs an output file") and proc.stdout == ""
    assert not (work / "out.d").exists()


class _Windows(Deferred):
    """A piece made a window at a time, reusing one buffer (as the linker's code is)."""

    def __init__(self, windows, fail_after=None):
        self.windows, self.fail_after = windows, fail_after

    def write_to(self, write):
        buffer = bytearray(max(map(len, self.windows)))
        for k, window in enumerate(self.windows):
            if k == self.fail_after:
                raise WasmError("made up failure while making the piece")
            buffer[:len(window)] = window
            write(memoryview(buffer)[:len(window)])


def test_a_deferred_piece_is_written_in_place_window_by_window(tmp_path):
    target = tmp_path / "out.wasm"
    outputs = OutputSet()
    outputs.add(str(target), [b"head:", _Windows([b"one,", b"two,", b"three"]), b":tail"])
    outputs.commit()
    assert target.read_bytes() == b"head:one,two,three:tail"
    # Joined (the module whole, as -Map reads it): each window copied before the next.
    assert joined([b"<", _Windows([b"ab", b"c", b"de"]), b">"]) == b"<abcde>"
    assert joined([b"plain", b" pieces"]) == b"plain pieces"


def test_a_deferred_piece_that_fails_leaves_nothing(tmp_path):
    """A piece that fails while it is made (after some of it was written): no target
    appears, an older one stays as it was, no temporary is left, the error goes on."""
    target = tmp_path / "out.wasm"
    target.write_bytes(b"old")
    outputs = OutputSet()
    outputs.add(str(target), [b"head", _Windows([b"one", b"two"], fail_after=1)])
    outputs.add(str(tmp_path / "out.map"), b"map")
    with pytest.raises(WasmError, match="made up failure"):
        outputs.commit()
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.wasm"]
