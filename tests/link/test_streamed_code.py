"""The code section made as the module is written (patching._DeferredCode): on one
process its bodies are copied and patched a window at a time, straight to the output,
and what only reading and layout needed is let go on the way. Whatever the windows, the
module is wasm-ld's; what -r and --emit-relocs read after writing is kept for them."""

import pytest
from click.testing import CliRunner

from wasmmerge.cli import cli
from wasmmerge.linker import patching
from wasmmerge.linker.driver import link
from wasmmerge.linker.objects import FunctionChunk
from wasmmerge.linker.options import parse_args
from wasmmerge.outputs import OutputSet

from .harness import compile_sources, driver_link_args, run_wasm_ld, validate_output, with_output

SOURCES = ["calls/main.c", "calls/util.c", "cxx/globals.cc"]
FLAGS = ["-Wl,--no-entry", "-Wl,--export-all", "-nostartfiles"]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    """Code, data and debug sections, each with relocations."""
    return compile_sources(SOURCES, tmp_path_factory.mktemp("streamed"), ["-g"])


# A window of one byte puts every body in a window of its own; 300 bytes cuts runs of
# one object's bodies apart; the default holds this program whole.
@pytest.mark.parametrize("window", [1, 300, patching._DeferredCode.WINDOW])
def test_code_made_in_windows_is_wasm_ld_s(objects, window, tmp_path, monkeypatch):
    monkeypatch.setattr(patching._DeferredCode, "WINDOW", window)
    args = driver_link_args(objects, FLAGS)
    ref, ours = tmp_path / "ref.wasm", tmp_path / "ours.wasm"
    assert run_wasm_ld(args, ref).returncode == 0
    # In this process (the window set here), as `wasmmerge link` runs it: --threads=1 is
    # the one-process link a small program gets anyway.
    result = CliRunner().invoke(cli, ["link", "--threads=1", *with_output(args, ours)])
    assert result.exit_code == 0, result.output
    assert ours.read_bytes() == ref.read_bytes()
    validate_output(ours)


def _linked(args, output):
    """Link and write in this process; the link's objects, after the output is written."""
    opts = parse_args([*args, "--threads=1", "-o", str(output)])
    result = link(opts)
    outputs = OutputSet()
    outputs.add(opts.output, result.pieces)
    outputs.commit()
    return result.symtab.objects


def test_what_is_let_go_and_what_is_kept(objects, tmp_path):
    args = ["--no-entry", "--export-all", "--allow-undefined", *map(str, objects)]
    # A plain link: every object's code relocations and symbol table are gone once the
    # module is written (the debug sections' relocations stay: nothing lets them go).
    done = _linked(args, tmp_path / "plain.wasm")
    assert all(o.code_relocs is None and o.code_bounds is None and o.symbol_table is None for o in done)
    assert any(chunk.relocs is not None for o in done for chunk in o.customs)
    # --emit-relocs writes them after the module: all kept, and the output is wasm-ld's.
    done = _linked([*args, "--emit-relocs"], tmp_path / "emit.wasm")
    assert all(o.code_relocs is not None and o.symbol_table is not None for o in done)
    assert run_wasm_ld([*args, "--emit-relocs", "-o", "x"], tmp_path / "ref.wasm").returncode == 0
    assert (tmp_path / "emit.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()


def test_the_map_reads_the_module_the_output_then_holds(objects, tmp_path):
    # -Map reads the whole module first (its sections' offsets and sizes); the output is
    # then written from that one piece, not made a second time.
    out, ref = tmp_path / "ours.wasm", tmp_path / "ref.wasm"
    args = ["--no-entry", "--export-all", "--allow-undefined", *map(str, objects)]
    result = CliRunner().invoke(cli, ["link", "--threads=1", *args, f"-Map={tmp_path / 'ours.map'}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert run_wasm_ld([*args, f"-Map={tmp_path / 'ref.map'}", "-o", "x"], ref).returncode == 0
    assert out.read_bytes() == ref.read_bytes()
    assert (tmp_path / "ours.map").read_text() == (tmp_path / "ref.map").read_text().replace(str(ref), str(out))


class _Object:
    """What `_body_runs` reads of an object: its defined functions, after its imports."""

    def __init__(self, bodies: int, imported: int):
        self.num_imported = {0: imported}
        self.functions = [FunctionChunk(self, imported + k) for k in range(bodies)]


class _Made:
    chunk = None  # a function the linker makes


def test_runs_of_bodies_are_each_object_s_consecutive_kept_ones():
    a, b, c = _Object(3, 2), _Object(4, 0), _Object(1, 5)
    made = _Made()
    # the linker's function; a's bodies all kept; b's without its second (collected); c's one
    functions = [made, *a.functions, b.functions[0], *b.functions[2:], *c.functions]
    assert patching._body_runs(functions) == [(0, 1, None, 0), (1, 4, a, 0), (4, 5, b, 0), (5, 7, b, 2),
                                              (7, 8, c, 0)]
    # bodies of one object out of their file's order are runs of their own
    assert patching._body_runs([a.functions[1], a.functions[0], a.functions[2]]) == [(0, 1, a, 1), (1, 2, a, 0),
                                                                                     (2, 3, a, 2)]
    assert patching._body_runs([]) == []


def test_small_fields_are_padded_leb128s_of_their_values():
    from wasmmerge.linker.relocations import _padded_leb
    table = patching._SMALL_FIELDS
    assert len(table) == 5 * patching.SMALL_VALUES
    assert all(table[5 * v:5 * v + 5] == _padded_leb(v, 5) for v in range(patching.SMALL_VALUES))
