"""Archives in every form (symbol index or none, --whole-archive, -l:file), and the
reports a build asks for (--trace, --trace-symbol, --why-extract, --build-id, strip)."""

import subprocess

from wasmmerge.binary.reader import decode_module
from wasmmerge.linker.archive import read_archive

from .harness import (call_exports, compile_sources, driver_link_args, link_both, make_archive, run_command,
                      run_wasm_ld, run_wasmmerge_link)

ARCHIVE_SOURCES = ["archive/main.c", "archive/used.c", "archive/helper.c", "archive/unused.c"]


def _parts(tmp_path):
    main, used, helper, unused = compile_sources(ARCHIVE_SOURCES, tmp_path)
    return main, [unused, used, helper]


def test_archive_without_symbol_index(tmp_path):
    # wasm-ld 14 refuses such an archive ("run ranlib"); we read the members' symbol
    # tables instead, so the reference links the indexed twin.
    main, members = _parts(tmp_path)
    bare = tmp_path / "bare" / "libparts.a"
    bare.parent.mkdir()
    subprocess.run(["llvm-ar", "rcS", str(bare), *map(str, members)], check=True)  # S: no index
    indexed = make_archive(tmp_path / "libparts.a", members)
    ref = tmp_path / "ref.wasm"
    assert run_wasm_ld(driver_link_args([main, indexed]), ref).returncode == 0
    ours = tmp_path / "ours.wasm"
    done = run_wasmmerge_link(driver_link_args([main, bare]), ours)
    assert done.returncode == 0, done.stderr
    assert run_command(ours, tmp_path) == run_command(ref, tmp_path)


def test_thin_archive(tmp_path):
    """`ar --thin`: index and headers only, each member the file its name gives relative
    to the archive; linked, traced and mapped as wasm-ld does, the members named by their
    paths; a member whose file is gone is an error naming it when it is needed."""
    main, members = _parts(tmp_path)
    lib = tmp_path / "libthin.a"
    subprocess.run(["llvm-ar", "rc", "--thin", str(lib), *(m.name for m in members)], check=True, cwd=tmp_path)
    assert lib.read_bytes()[:8] == b"!<thin>\n"
    for extra in ([], ["-Wl,--whole-archive"], ["-Wl,--trace", f"-Wl,-Map={tmp_path / 'out.map'}"]):
        args = driver_link_args([main], [*extra, str(lib)])
        ref = run_wasm_ld(args, tmp_path / "ref.wasm")
        ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
        assert ref.returncode == ours.returncode == 0, ours.stderr
        assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()
        assert ours.stdout == ref.stdout
    assert f"libthin.a({members[1].name})" in ours.stdout  # the used member, by its path
    members[1].unlink()
    done = run_wasmmerge_link(driver_link_args([main], [str(lib)]), tmp_path / "gone.wasm")
    assert done.returncode == 1 and not (tmp_path / "gone.wasm").exists()
    assert f"cannot open member {members[1].name} of a thin archive" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_whole_archive_links_every_member(tmp_path):
    main, members = _parts(tmp_path)
    lib = make_archive(tmp_path / "libparts.a", members)
    args = driver_link_args([main], ["-Wl,--whole-archive", str(lib), "-Wl,--no-whole-archive"])
    ref, ours = link_both(args, tmp_path)
    output = run_command(ours, tmp_path)
    assert output == run_command(ref, tmp_path)
    assert "unused member was linked!" in output[0]


def test_an_archive_is_read_as_far_as_the_link_needs(tmp_path):
    """As wasm-ld: a damaged member that nothing extracts is no error (an archive is read
    as far as its index; a member's header when the member is extracted), and an index
    entry naming no member is an error only when its symbol is needed, naming it."""
    main, (unused, used, helper) = _parts(tmp_path)
    lib = make_archive(tmp_path / "libparts.a", [used, helper, unused])
    data = bytearray(lib.read_bytes())
    at = next(m.offset for m in read_archive(str(lib), bytes(data)).members if m.name == unused.name)
    data[at + 58:at + 60] = b"XX"  # its header no longer ends in "`\n"
    damaged = tmp_path / "damaged" / "libparts.a"
    damaged.parent.mkdir()
    damaged.write_bytes(bytes(data))
    args = driver_link_args([main, damaged])
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()
    # The index entry of `used` pointed into the index itself.
    data = bytearray(lib.read_bytes())
    count = int.from_bytes(data[68:72], "big")
    names = bytes(data[72 + 4 * count:]).split(b"\0")[:count]
    k = names.index(b"used")
    data[72 + 4 * k:76 + 4 * k] = (9).to_bytes(4, "big")
    wrong = tmp_path / "wrong" / "libparts.a"
    wrong.parent.mkdir()
    wrong.write_bytes(bytes(data))
    out = tmp_path / "wrong.wasm"
    done = run_wasmmerge_link(driver_link_args([main, wrong]), out)
    assert done.returncode == 1 and not out.exists()
    assert done.stderr.strip().splitlines() == [
        f"wasmmerge: error: {wrong}:0x8: bad archive: symbol index entry for 'used' points at offset 0x9, "
        "which starts no member"]


def test_library_by_file_name(tmp_path):
    # `-l:FILE` (GNU ld's spelling; wasm-ld 14 lacks it) names the archive file itself.
    main, members = _parts(tmp_path)
    make_archive(tmp_path / "parts.lib", members)
    ours = tmp_path / "ours.wasm"
    done = run_wasmmerge_link(driver_link_args([main], [f"-L{tmp_path}", "-l:parts.lib"]), ours)
    assert done.returncode == 0, done.stderr
    assert run_command(ours, tmp_path) == ("used(4)=41\n", None)


def test_every_missing_input_is_reported_before_any_is_read(tmp_path):
    """As wasm-ld does: each input it cannot find or open, in command-line order (the
    first no longer stops the link alone), before any input is read. Our wording puts the
    file first, as every message does. A file named like a C++ symbol is named as it is
    (we printed `_Z4lost.o` demangled, `lost (.o)`)."""
    main, _ = _parts(tmp_path)
    gone, lost = tmp_path / "gone.o", tmp_path / "_Z4lost.o"
    args = ["--no-entry", str(gone), "-lnosuch", str(main), str(lost), f"-L{tmp_path}", "-o", "x"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 1
    assert ref.stderr.splitlines() == [f"wasm-ld: error: cannot open {gone}: No such file or directory",
                                       "wasm-ld: error: unable to find library -lnosuch",
                                       f"wasm-ld: error: cannot open {lost}: No such file or directory"]
    assert ours.stderr.splitlines() == [f"wasmmerge: error: {gone}: cannot open: No such file or directory",
                                        "wasmmerge: error: unable to find library -lnosuch",
                                        f"wasmmerge: error: {lost}: cannot open: No such file or directory"]


def test_trace_and_why_extract(tmp_path):
    main, members = _parts(tmp_path)
    lib = make_archive(tmp_path / "libparts.a", members)
    why = tmp_path / "why.txt"
    args = ["--no-entry", "--export=main", "--allow-undefined", "--trace", "--trace-symbol=helper",
            f"--why-extract={why}", str(main), str(lib), "-o", "x"]
    done = run_wasmmerge_link(args, tmp_path / "out.wasm")
    assert done.returncode == 0, done.stderr
    used, helper = f"{lib}(archive_used.o)", f"{lib}(archive_helper.o)"
    assert used in done.stdout and f"{lib}(archive_unused.o)" not in done.stdout
    assert f"{used}: reference to helper" in done.stdout
    assert f"{helper}: definition of helper" in done.stdout
    lines = why.read_text().splitlines()
    assert lines[0] == "reference\textracted\tsymbol"
    assert f"{main}\t{used}\tused" in lines
    assert f"{used}\t{helper}\thelper" in lines


def test_trace_symbol_prints_wasm_ld_s_lines(tmp_path):
    """-y: references and definitions, an archive index's lazy definitions (helper, and
    unused, which nothing extracts), and the stub a weak function nobody defines gets."""
    main, members = _parts(tmp_path)
    lib = make_archive(tmp_path / "libparts.a", members)
    (weak,) = compile_sources(["order/weak_calls.c"], tmp_path)
    args = ["--no-entry", "--export=main", "--export=call_first", "--allow-undefined", "--trace",
            "-y", "helper", "-y", "unused", "-y", "weak_first", str(main), str(weak), str(lib), "-o", "x"]
    ref = run_wasm_ld(args, tmp_path / "ref.wasm")
    ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
    assert ref.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == ref.stdout
    assert f"{lib}: lazy definition of unused\n" in ours.stdout
    assert "<internal>: definition of undefined_weak:weak_first\n" in ours.stdout


def test_build_id_strip_and_keep(tmp_path):
    objects = compile_sources(["freestanding/lib.c", "freestanding/data.c"], tmp_path, ["-g"])
    base = ["--no-entry", "--export=fib", *map(str, objects), "-o", "x"]

    def customs(*extra):
        out = tmp_path / "out.wasm"
        done = run_wasmmerge_link([*base, *extra], out)
        assert done.returncode == 0, done.stderr
        module = decode_module(out.read_bytes(), lazy=True)
        return {c.name: c.data for c in module.customs}, out

    plain, _ = customs()
    assert ".debug_info" in plain and "name" in plain and "build_id" not in plain
    with_id, out = customs("--build-id=sha1")
    assert len(with_id["build_id"]) == 21 and with_id["build_id"][0] == 20
    assert customs("--build-id=sha1")[0]["build_id"] == with_id["build_id"]  # deterministic
    assert customs("--build-id=0xabcdef")[0]["build_id"] == b"\x03\xab\xcd\xef"
    stripped, _ = customs("--strip-debug")
    assert not any(n.startswith(".debug") for n in stripped) and "name" in stripped
    bare, out = customs("--strip-all", "--keep-section=.debug_line")
    assert set(bare) == {".debug_line"}
    assert call_exports(out, [("fib", (10,))]) == [55]


def test_an_empty_archive_linked_whole_is_no_input(tmp_path):
    """As wasm-ld: `--whole-archive empty.a` alone is "no input files"; `empty.a` alone
    (an archive is an input) links an empty module."""
    subprocess.run(["llvm-ar", "rcs", str(tmp_path / "empty.a")], check=True)
    for whole in (["--whole-archive"], ["-r", "--whole-archive"]):
        args = ["--no-entry", *whole, str(tmp_path / "empty.a"), "-o", "x"]
        assert run_wasm_ld(args, tmp_path / "ref.wasm").returncode == 1
        done = run_wasmmerge_link(args, tmp_path / "ours.wasm")
        assert (done.returncode, done.stderr) == (1, "wasmmerge: error: no input files\n")
    args = ["--no-entry", str(tmp_path / "empty.a"), "-o", "x"]
    assert run_wasm_ld(args, tmp_path / "ref.wasm").returncode == 0
    assert run_wasmmerge_link(args, tmp_path / "ours.wasm").returncode == 0
    assert (tmp_path / "ours.wasm").read_bytes() == (tmp_path / "ref.wasm").read_bytes()


def test_trace_symbol_skips_a_weak_definition_that_loses(tmp_path):
    """-y traces a definition where it is placed: a weak one after a strong one, which
    loses, has no line (as wasm-ld), whichever order the objects come in."""
    strong, weak = compile_sources(["weak/strong.c", "weak/main.c"], tmp_path)
    traced = "overridden"  # weak in main.c, strong in strong.c
    for order in ([strong, weak], [weak, strong]):
        args = ["--no-entry", "--allow-undefined", f"--trace-symbol={traced}", *map(str, order), "-o", "x"]
        ref = run_wasm_ld(args, tmp_path / "ref.wasm")
        ours = run_wasmmerge_link(args, tmp_path / "ours.wasm")
        assert ref.returncode == ours.returncode == 0, ours.stderr
        assert ours.stdout == ref.stdout

