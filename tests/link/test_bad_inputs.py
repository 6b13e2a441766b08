"""Bad inputs: one clear error naming the file, the section, the offset and the fault;
exit status 1; no output file. Undefined symbols are listed all at once."""

import os
import resource
import subprocess
import sys
import threading

import pytest
from bytedsl import name, section, vec
from click.testing import CliRunner

from wasmmerge.cli import cli

from .objdsl import CALL_SITE, entry, linking, obj, reloc_code, sym_data_undefined, sym_function

MAIN = sym_function(1, "main")  # the defined function (index 1: after one imported function)
CALLEE = sym_function(0, None, flags=0x10)  # undefined `callee`, named by its import


def _link(tmp_path, files: dict, *extra):
    paths = []
    for file_name, data in files.items():
        path = tmp_path / file_name
        path.write_bytes(data)
        paths.append(str(path))
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--export=main", *paths, *extra, "-o", str(out)])
    return result, out


def _one_error(result, out, *fragments):
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert not out.exists()
    return lines[0]


def test_good_object_links(tmp_path):
    good = obj(linking(CALLEE, MAIN), reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    result, out = _link(tmp_path, {"a.o": good}, "--allow-undefined")
    assert result.exit_code == 0, result.stderr
    assert out.exists()


@pytest.mark.parametrize("bad_entry,fragments", [
    (entry(0, 40, 0), ["reloc.CODE", "relocation 0", "R_WASM_FUNCTION_INDEX_LEB", "offset 0x28", "outside"]),
    (entry(0, CALL_SITE, 7), ["reloc.CODE", "names symbol 7", "symbol table has 2"]),
    (entry(3, CALL_SITE, 1, b"\x00"), ["reloc.CODE", "R_WASM_MEMORY_ADDR_LEB", "function symbol main"]),
    (entry(99, CALL_SITE, 0), ["reloc.CODE", "unknown relocation type 99", ":0x"]),
    (entry(0, CALL_SITE, 0)[:-1], ["reloc.CODE", ":0x"]),
])
def test_bad_relocation(tmp_path, bad_entry, fragments):
    bad = obj(linking(CALLEE, MAIN), reloc_code(bad_entry), imported_funcs=["callee"])
    result, out = _link(tmp_path, {"bad.o": bad}, "--allow-undefined")
    line = _one_error(result, out, *fragments)
    assert "bad.o" in line


def test_relocation_for_missing_section(tmp_path):
    bad = obj(linking(CALLEE, MAIN), reloc_code(entry(0, CALL_SITE, 0), target=17), imported_funcs=["callee"])
    result, out = _link(tmp_path, {"bad.o": bad}, "--allow-undefined")
    _one_error(result, out, "bad.o", "reloc.CODE", "target section index 17")


def test_symbol_index_out_of_range(tmp_path):
    bad = obj(linking(sym_function(5, "main")))
    result, out = _link(tmp_path, {"bad.o": bad})
    _one_error(result, out, "bad.o", "linking section", "function index 5 out of range")


def test_defined_symbol_naming_an_import(tmp_path):
    # A defined function symbol whose index is an imported function's (a damaged object:
    # found by fuzzing, where it crashed the writer): refused as LLVM's reader refuses it.
    bad = obj(linking(sym_function(0, "main")), imported_funcs=["callee"])
    result, out = _link(tmp_path, {"bad.o": bad}, "--allow-undefined")
    _one_error(result, out, "bad.o", "linking section", "symbol 0 (main) is defined but names imported function 0")


def _with_subsection(linking_section: bytes, kind: int, body: bytes) -> bytes:
    """`linking_section` (objdsl.linking's) with a subsection `kind` (6 init functions,
    7 COMDAT groups) before its symbol table."""
    from bytedsl import section, u32
    payload = linking_section[linking_section.index(b"linking") + 7:]
    payload = payload[payload.index(b"\x08") - 1:]  # version byte, then the symbol table subsection
    return section(0, name("linking") + payload[:1] + bytes((kind,)) + u32(len(body)) + body + payload[1:])


def _with_comdat(linking_section: bytes, comdat: bytes) -> bytes:
    """`linking_section` with a COMDAT_INFO subsection of one group."""
    from bytedsl import vec
    return _with_subsection(linking_section, 7, vec(comdat))


@pytest.mark.parametrize("symbol,problem", [(7, "names symbol 7, which is not a function symbol (the table has 2"),
                                            (0, None)], ids=["out-of-range", "a-function"])
def test_init_function_naming_no_function_symbol(tmp_path, symbol, problem):
    # Found by fuzzing: one past the table crashed the marking (LLVM's reader refuses it).
    from bytedsl import u32, vec
    bad = obj(_with_subsection(linking(MAIN, CALLEE), 6, vec(u32(65535) + u32(symbol))),
              reloc_code(entry(0, CALL_SITE, 1)), imported_funcs=["callee"])
    result, out = _link(tmp_path, {"bad.o": bad}, "--allow-undefined")
    if problem is None:
        assert result.exit_code == 0, result.output
    else:
        _one_error(result, out, "bad.o", "linking section: init function 0 " + problem)


@pytest.mark.parametrize("member,problem", [
    (b"\x01\x00", "COMDAT grp: function index 0 out of range (defined functions are 1 to 1)"),
    (b"\x01\x02", "COMDAT grp: function index 2 out of range (defined functions are 1 to 1)"),
    (b"\x00\x00", "COMDAT grp: data segment index 0 out of range (the object has 0)"),
], ids=["an-import", "past-the-end", "no-such-segment"])
def test_comdat_member_out_of_range(tmp_path, member, problem):
    # Found by fuzzing: one past the end crashed -r, one naming an import discarded the
    # object's last function (a negative list index).
    from bytedsl import u32, vec
    bad = obj(_with_comdat(linking(CALLEE, MAIN), name("grp") + u32(0) + vec(member)),
              reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    for extra in ([], ["-r"]):
        result, out = _link(tmp_path, {"bad.o": bad}, "--allow-undefined", *extra)
        _one_error(result, out, "bad.o", "linking section: " + problem)


@pytest.mark.parametrize("symbol,problem", [
    (sym_function(1, "main", flags=0x3), "symbol 1 (main) has binding 3, which is none of global (0), weak (1) "
                                          "and local (2)"),
    (sym_function(0, None, flags=0x12), "symbol 1 (callee) is undefined and local: an undefined symbol is "
                                         "global or weak"),
    (b"\x03\x02\x05", "symbol 1 names section 5, which is not a custom section the output carries"),
    (b"\x03\x02\x04", "symbol 1 names section 4, which is not a custom section the output carries"),
], ids=["binding-3", "undefined-local", "no-such-section", "the-linking-section"])
def test_symbols_no_compiler_writes(tmp_path, symbol, problem):
    # Found by fuzzing (each crashed -r; the first two linked calls to nothing), and
    # what LLVM's reader or wasm-ld 14 itself (a crash) makes of them: refused, named.
    bad = obj(linking(CALLEE, symbol, MAIN), reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    for extra in ([], ["-r"]):
        result, out = _link(tmp_path, {"bad.o": bad}, "--allow-undefined", *extra)
        _one_error(result, out, "bad.o", "linking section: " + problem)


def test_truncated_linking_section(tmp_path):
    good = linking(MAIN)
    cut = good[:-3]
    cut = cut[:1] + bytes((cut[1] - 3,)) + cut[2:]  # the section size says so too
    result, out = _link(tmp_path, {"cut.o": obj(cut)})
    _one_error(result, out, "cut.o", "linking", ":0x")


def test_unsupported_linking_version(tmp_path):
    result, out = _link(tmp_path, {"v1.o": obj(linking(MAIN, version=1))})
    _one_error(result, out, "v1.o", "version 1")


def test_bad_archive_header(tmp_path):
    member = b"a.o/            0           0     0     644     4         `\n" + b"\0asm"
    broken = b"!<arch>\n" + member[:58] + b"XX" + member[60:]
    result, out = _link(tmp_path, {"libbad.a": broken, "main.o": obj(linking(MAIN))})
    _one_error(result, out, "libbad.a", "bad archive", ":0x8:")


def test_undefined_symbols_listed_together(tmp_path):
    first = obj(linking(CALLEE, MAIN), reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    other = obj(linking(sym_function(0, None, flags=0x10), sym_function(1, "helper", flags=0x20)),
                reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["missing_too"])
    result, out = _link(tmp_path, {"first.o": first, "other.o": other})
    assert result.exit_code == 1
    text = result.stderr
    assert "undefined symbol: callee (referenced by" in text and "first.o" in text
    assert "undefined symbol: missing_too (referenced by" in text and "other.o" in text
    assert not out.exists()


def test_undefined_data_is_an_error(tmp_path):
    data_ref = obj(linking(sym_function(0, "main"), sym_data_undefined("table")),
                   reloc_code(entry(3, CALL_SITE, 1, b"\x00")))
    result, out = _link(tmp_path, {"d.o": data_ref})
    assert result.exit_code == 1
    assert "undefined symbol: table (referenced by" in result.stderr
    assert not out.exists()


def test_duplicate_strong_definitions_name_both(tmp_path):
    one = obj(linking(sym_function(0, "main")))
    two = obj(linking(sym_function(0, "main")))
    result, out = _link(tmp_path, {"one.o": one, "two.o": two})
    assert result.exit_code == 1
    assert "duplicate symbol: main" in result.stderr
    assert "one.o" in result.stderr and "two.o" in result.stderr
    assert not out.exists()


def test_unknown_file_type(tmp_path):
    result, out = _link(tmp_path, {"notes.txt": b"hello"})
    _one_error(result, out, "notes.txt", "unknown file type")


def test_empty_input(tmp_path):
    """An empty file cannot be mapped: it is read, and refused for what it is."""
    result, out = _link(tmp_path, {"empty.o": b""})
    _one_error(result, out, "empty.o", "unknown file type")


def test_input_from_a_pipe(tmp_path):
    """Inputs are mapped where they can be; one that cannot (a pipe) is read instead."""
    good = obj(linking(CALLEE, MAIN), reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    fifo = tmp_path / "pipe.o"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(good,))
    writer.start()
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--export=main", "--allow-undefined", str(fifo),
                                      "-o", str(out)])
    writer.join()
    assert result.exit_code == 0, result.stderr
    from_pipe = out.read_bytes()
    result, out = _link(tmp_path, {"file.o": good}, "--allow-undefined")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == from_pipe


def test_more_inputs_than_descriptors_to_map_them(tmp_path):
    """A mapped input holds a file descriptor: a link of more inputs than the process may
    open maps what the limit leaves room for and reads the rest, and its output is the
    same as without a limit."""
    count = 400
    paths = []
    for k in range(count):
        last = k == count - 1
        defined = sym_function(0 if last else 1, f"f{k}")
        symbols = (defined,) if last else (sym_function(0, None, flags=0x10), defined)
        data = obj(linking(*symbols), reloc_code(entry(0, CALL_SITE, 0)),
                   imported_funcs=[] if last else [f"f{k + 1}"])
        path = tmp_path / f"o{k}.o"
        path.write_bytes(data)
        paths.append(str(path))
    outputs = []
    for limit in (None, 200):
        out = tmp_path / f"out-{limit}.wasm"
        # Three outputs to open at the end: the module, the map and --why-extract's table.
        cmd = [sys.executable, "-m", "wasmmerge", "link", "--no-entry", "--export=f0", *paths, "-o", str(out),
               f"-Map={tmp_path / f'out-{limit}.map'}", f"--why-extract={tmp_path / f'out-{limit}.tsv'}"]
        limited = None if limit is None else (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
        proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=limited)
        assert proc.returncode == 0, proc.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_bitcode_is_refused_saying_what_it_is(tmp_path):
    """An -flto object (LLVM bitcode: magic BC C0 DE), alone or in an archive: one line
    saying what it is and what to do instead."""
    bitcode = b"BC\xc0\xde" + bytes(60)
    result, out = _link(tmp_path, {"lto.o": bitcode})
    _one_error(result, out, "lto.o", "LLVM bitcode", "compile without -flto, or link with wasm-ld")
    member = tmp_path / "member" / "lto.o"
    member.parent.mkdir()
    member.write_bytes(bitcode)
    lib = tmp_path / "liblto.a"
    subprocess.run(["llvm-ar", "rcS", str(lib), str(member)], check=True)  # S: no index (ar would read it)
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", "--no-entry", "--whole-archive", str(lib), "-o", str(out)])
    _one_error(result, out, "liblto.a", "archive member lto.o: LLVM bitcode")


def test_missing_input(tmp_path):
    out = tmp_path / "out.wasm"
    result = CliRunner().invoke(cli, ["link", str(tmp_path / "nope.o"), "-o", str(out)])
    _one_error(result, out, "nope.o")


def _features(*entries: str) -> bytes:
    return section(0, name("target_features") + vec(*[e[0].encode() + name(e[1:]) for e in entries]))


def test_disallowed_feature_names_both_objects(tmp_path):
    uses = obj(linking(sym_function(0, "main")) + _features("+atomics"))
    forbids = obj(linking(sym_function(0, "other")) + _features("-atomics"))
    result, out = _link(tmp_path, {"uses.o": uses, "forbids.o": forbids})
    line = _one_error(result, out, "Target feature 'atomics'", "uses.o", "forbids.o")
    assert "disallowed" in line


def test_required_feature_missing_elsewhere(tmp_path):
    needs = obj(linking(sym_function(0, "main")) + _features("=bulk-memory"))
    lacks = obj(linking(sym_function(0, "other")) + _features("+mutable-globals"))
    result, out = _link(tmp_path, {"needs.o": needs, "lacks.o": lacks})
    _one_error(result, out, "Missing target feature 'bulk-memory' in", "lacks.o", "needs.o")


def test_segment_alignment_beyond_any_memory(tmp_path):
    # Found by fuzzing: a segment of alignment 2^64 crashed the layout (wasm-ld 14 links it).
    from .harness import compile_sources
    (obj_path,) = compile_sources(["freestanding/zeros.c"], tmp_path)
    data = obj_path.read_bytes()
    entry_at = data.index(name(".data.seven")) + len(name(".data.seven"))
    assert data[entry_at] == 2  # p2align of an int
    bad = data[:entry_at] + b"\x40" + data[entry_at + 1:]
    for extra in ([], ["-r"]):
        result, out = _link(tmp_path, {"bad.o": bad}, *extra)
        _one_error(result, out, "bad.o", "segment info: segment", "(.data.seven) has alignment 2^64 (at most 2^31")
