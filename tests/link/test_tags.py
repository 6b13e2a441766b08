"""Exception-handling tags: objects that define, throw and catch tags (R_WASM_TAG_INDEX_LEB)
link to wasm-ld's module byte for byte, validate (wasm-tools, wabt, our validator) and
run under node as wasm-ld's output does; gc removes unused tags, -r keeps and relocates them."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wasmmerge.binary.reader import iter_sections

from .harness import LINK_FIXTURES, compile_sources, link_both, run_wasm_ld, run_wasmmerge_link
from .test_relocatable import _reloc_counts

EH_FLAGS = ["-mexception-handling"]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return compile_sources(["tags/thrower.s", "tags/catcher.s"], tmp_path_factory.mktemp("objs"), EH_FLAGS)


def _tag_count(path) -> int:
    data = path.read_bytes()
    info = next((i for i in iter_sections(data) if i.id == 13), None)
    return 0 if info is None else data[info.start]


def _run_node(path):
    if shutil.which("node") is None:
        pytest.skip("node not found (apt-get install nodejs)")
    done = subprocess.run(["node", str(LINK_FIXTURES / "tags/run_tags.js"), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _validate(path):
    wasm_tools = shutil.which("wasm-tools") or str(Path(sys.executable).parent / "wasm-tools")
    if shutil.which(wasm_tools):
        subprocess.run([wasm_tools, "validate", "--features", "all", str(path)], check=True)
    if shutil.which("wasm-validate"):
        subprocess.run(["wasm-validate", "--enable-exceptions", str(path)], check=True)
    done = subprocess.run([sys.executable, "-m", "wasmmerge", "validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("extra, tags", [([], 2), (["--no-gc-sections"], 3), (["--export=other_error"], 2)])
def test_tags_link_as_wasm_ld_links_them(extra, tags, objects, tmp_path):
    args = ["--no-entry", "--export=run", "--export=boom", *extra, *map(str, objects), "-o", "out.wasm"]
    ref, ours = link_both(args, tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert _tag_count(ours) == tags  # unused_error is gone unless nothing is collected
    _validate(ours)
    assert _run_node(ours) == _run_node(ref) == [10, 997, "exception"]


def test_relocatable_link_keeps_tags_and_their_relocations(objects, tmp_path):
    combined = tmp_path / "combined.o"
    done = run_wasmmerge_link(["-r", *map(str, objects), "-o", "x"], combined)
    assert done.returncode == 0, done.stderr
    relocs, symbols = _reloc_counts(combined)
    tag_sites = [e for e in relocs["reloc.CODE"] if e[0] == 10]  # R_WASM_TAG_INDEX_LEB
    assert len(tag_sites) == 3 and {symbols[e[2]].name for e in tag_sites} == {"my_error", "other_error"}
    assert _tag_count(combined) == 3
    # linked again (by wasm-ld), the object behaves as the two objects linked directly
    again = tmp_path / "again.wasm"
    assert run_wasm_ld(["--no-entry", "--export=run", "--export=boom", str(combined), "-o", "x"], again).returncode == 0
    assert _run_node(again) == [10, 997, "exception"]


def test_a_tag_alone_is_imported_by_a_relocatable_link(objects, tmp_path):
    out = tmp_path / "catcher.o"
    done = run_wasmmerge_link(["-r", str(objects[1]), "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    if shutil.which("wasm-objdump") is None:
        pytest.skip("wasm-objdump not found (apt-get install wabt; `make test` installs it)")
    listing = subprocess.run(["wasm-objdump", "-x", str(out)], capture_output=True, text=True).stdout
    assert "<env.my_error> <- env.my_error" in listing


@pytest.mark.parametrize("extra, tags", [([], 1), (["--no-gc-sections"], 2), (["-r"], 2)])
def test_a_weak_tag_two_objects_define(extra, tags, tmp_path):
    """Each object's copy of a weak tag (C++'s __cpp_exception): one wins and every throw
    names it; with --no-gc-sections or -r, wasm-ld keeps the other copy too (we kept one)."""
    objects = compile_sources(["tags/weak_a.s", "tags/weak_b.s"], tmp_path, EH_FLAGS)
    entry = [] if "-r" in extra else ["--no-entry", "--export=raise_a", "--export=raise_b"]
    ref, ours = link_both([*entry, *extra, *map(str, objects), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
    assert _tag_count(ours) == tags



@pytest.mark.parametrize("exports", [["--export=raise_a", "--export=raise_b"], ["--export=raise_b"],
                                     ["--export=raise_b", "--no-gc-sections"]])
def test_print_gc_sections_lists_removed_tags(exports, objects, tmp_path):
    """--print-gc-sections names each tag gc removed, after the object's functions and data,
    as wasm-ld does: the copy of a weak tag that lost to an earlier object's (every C++
    object's __cpp_exception), and a tag nothing throws or catches (we listed no tag)."""
    weak = compile_sources(["tags/weak_a.s", "tags/weak_b.s"], tmp_path, EH_FLAGS)
    args = ["--no-entry", "--print-gc-sections", "--export=run", *exports, *map(str, objects), *map(str, weak),
            "-o", "out.wasm"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    if "--no-gc-sections" not in exports:  # (then none is removed: nothing is printed)
        assert f"{weak[1]}:(shared_error)" in ours.stdout and ":(unused_error)" in ours.stdout
