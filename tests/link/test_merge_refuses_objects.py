"""`wasmmerge a.o b.wasm -o out.wasm` refuses a relocatable object, naming `wasmmerge link`;
a linked module (even with --emit-relocs sections) merges as before."""

import subprocess

from click.testing import CliRunner

from wasmmerge.cli import cli

from .harness import compile_sources, require_tools

SOURCE = "freestanding/data.c"


def _merge(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_object_is_refused_with_one_line(tmp_path):
    (obj,) = compile_sources([SOURCE], tmp_path)
    out = tmp_path / "out.wasm"
    result = _merge(obj, "-o", out)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "relocatable object" in lines[0] and "wasmmerge link" in lines[0] and str(obj) in lines[0]
    assert not out.exists()


def test_emit_relocs_output_still_merges(tmp_path):
    require_tools()
    (obj,) = compile_sources([SOURCE], tmp_path)
    linked = tmp_path / "linked.wasm"
    subprocess.run(["wasm-ld", "--no-entry", "--export=scale", "--emit-relocs", str(obj), "-o", str(linked)],
                   check=True)
    out = tmp_path / "out.wasm"
    result = _merge(linked, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.exists()
