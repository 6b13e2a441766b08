"""The merge command's debug options, end to end through `python -m wasmmerge`:
source maps in and out, --strip-debug, --strict-debug, external debug files, build_id."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from wasmmerge.binary import leb
from wasmmerge.binary.reader import iter_sections
from wasmmerge.debuginfo.layout import custom_section_bytes
from wasmmerge.debuginfo.sourcemap import decode_mappings, encode_mappings

from .test_dwarf_moves import MODULES
from .tools import compile_module, debug_sections, line_rows, tool, verify


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tool("clang")
    out = tmp_path_factory.mktemp("cli-debug")
    paths = {}
    for name in ("mathlib", "app"):
        data = compile_module(out, MODULES[name][0], MODULES[name][1], ["-g"], name)
        paths[name] = out / f"{name}.wasm"
        paths[name].write_bytes(data)
    return paths


def wasmmerge(*args, cwd=None):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "wasmmerge", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)


def customs(data: bytes) -> dict[str, bytes]:
    out = {}
    for info in iter_sections(data):
        if info.name is not None:
            raw = data[info.start:info.start + info.size]
            length, pos = leb.read_u32(raw, 0)
            out[info.name] = bytes(raw[pos + length:])
    return out


def without_dwarf(data: bytes, extra: list[tuple[str, bytes]] = ()) -> bytes:
    parts = [data[:8]]
    for info in iter_sections(data):
        if not (info.name or "").startswith(".debug_"):
            parts.append(data[info.offset:info.start + info.size])
    return b"".join(parts) + b"".join(custom_section_bytes(n, p) for n, p in extra)


def test_source_map_options(built, tmp_path):
    app_map = tmp_path / "app.wasm.map"
    code_start = next(info.start for info in iter_sections(built["app"].read_bytes()) if info.id == 10)
    app_map.write_text(json.dumps({"version": 3, "sources": ["app.c"], "names": [],
                                   "mappings": encode_mappings([(code_start + 3, 0, 10, 0, None)])}))
    proc = wasmmerge(f"mathlib={built['mathlib']}", f"app={built['app']}", "-o", tmp_path / "out.wasm",
                     "--skip-export-conflicts", "--input-source-map", f"app={app_map}",
                     "--output-source-map", tmp_path / "out.wasm.map", "--output-source-map-url", "out.wasm.map")
    assert proc.returncode == 0, proc.stderr
    merged = json.loads((tmp_path / "out.wasm.map").read_text())
    assert merged["file"] == "out.wasm" and merged["sources"] == ["app.c"]
    [(column, source, line, _, _)] = decode_mappings(merged["mappings"])
    assert (source, line) == (0, 10) and column > code_start  # app's first function moved behind mathlib's
    url = customs((tmp_path / "out.wasm").read_bytes())["sourceMappingURL"]
    assert url == leb.write_unsigned(len("out.wasm.map")) + b"out.wasm.map"


def test_input_with_url_but_no_map_is_reported(built, tmp_path):
    app = tmp_path / "app.wasm"
    app.write_bytes(built["app"].read_bytes() + custom_section_bytes("sourceMappingURL", b"\x07app.map"))
    proc = wasmmerge(f"mathlib={built['mathlib']}", f"app={app}", "-o", tmp_path / "out.wasm",
                     "--skip-export-conflicts")
    assert proc.returncode == 0, proc.stderr
    assert f"app ({app}): has a sourceMappingURL but no --input-source-map was given" in proc.stderr
    assert "sourceMappingURL" not in customs((tmp_path / "out.wasm").read_bytes())


def test_strip_debug(built, tmp_path):
    proc = wasmmerge(built["mathlib"], built["app"], "-o", tmp_path / "out.wasm", "--skip-export-conflicts",
                     "--strip-debug")
    assert proc.returncode == 0, proc.stderr
    assert not [n for n in customs((tmp_path / "out.wasm").read_bytes()) if n.startswith(".debug")]
    assert "debug" not in proc.stderr


def test_strict_debug_names_file_section_and_offset(built, tmp_path):
    data = built["app"].read_bytes()
    abbrev = debug_sections(data)[".debug_abbrev"]
    at = data.index(abbrev)
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(data[:at + 4] + b"\x7f" + data[at + 5:])
    proc = wasmmerge(built["mathlib"], f"app={bad}", "-o", tmp_path / "out.wasm", "--skip-export-conflicts")
    assert proc.returncode == 0 and "this input's DWARF is dropped" in proc.stderr
    proc = wasmmerge(built["mathlib"], f"app={bad}", "-o", tmp_path / "out2.wasm", "--skip-export-conflicts",
                     "--strict-debug")
    assert proc.returncode == 1
    assert f"app ({bad}): .debug_info at offset 0x" in proc.stderr and "0x7f" in proc.stderr
    assert not (tmp_path / "out2.wasm").exists()


def test_external_debug_info_kept_with_a_warning(built, tmp_path):
    app = tmp_path / "app.wasm"
    app.write_bytes(without_dwarf(built["app"].read_bytes(), [("external_debug_info", b"\x0eapp.debug.wasm")]))
    proc = wasmmerge(f"mathlib={built['mathlib']}", f"app={app}", "-o", tmp_path / "out.wasm",
                     "--skip-export-conflicts")
    assert proc.returncode == 0, proc.stderr
    assert "its external_debug_info is kept, but the offsets in that file are stale" in proc.stderr
    assert customs((tmp_path / "out.wasm").read_bytes())["external_debug_info"] == b"\x0eapp.debug.wasm"


def test_input_debug_file_is_rewritten_beside_the_output(built, tmp_path):
    app = tmp_path / "app.wasm"
    app.write_bytes(without_dwarf(built["app"].read_bytes(), [("external_debug_info", b"\x0eapp.debug.wasm")]))
    separate = tmp_path / "app.debug.wasm"
    separate.write_bytes(built["app"].read_bytes())  # a separate DWARF file: the module with its DWARF
    proc = wasmmerge(f"mathlib={built['mathlib']}", f"app={app}", "-o", tmp_path / "out.wasm",
                     "--skip-export-conflicts", "--input-debug-file", f"app={separate}")
    assert proc.returncode == 0, proc.stderr
    out = (tmp_path / "out.wasm").read_bytes()
    assert customs(out)["external_debug_info"] == b"\x0eout.debug.wasm"
    assert not [n for n in customs(out) if n.startswith(".debug_")]
    verify(tmp_path / "out.debug.wasm")
    files = {row[1] for row in line_rows(tmp_path / "out.debug.wasm")}
    assert {"app.c", "mathlib.c", "util.c"} <= files


def test_build_id_is_recomputed(built, tmp_path):
    old_id = bytes(range(16))
    app = tmp_path / "app.wasm"
    app.write_bytes(built["app"].read_bytes() + custom_section_bytes("build_id", b"\x10" + old_id))
    outs = []
    for n in range(2):
        proc = wasmmerge(built["mathlib"], f"app={app}", "-o", tmp_path / f"out{n}.wasm", "--skip-export-conflicts")
        assert proc.returncode == 0, proc.stderr
        outs.append((tmp_path / f"out{n}.wasm").read_bytes())
    assert outs[0] == outs[1]
    names = list(customs(outs[0]))
    assert names.count("build_id") == 1 and names[-1] == "build_id"
    new_id = customs(outs[0])["build_id"]
    assert new_id[0] == 16 and new_id[1:] != old_id
    zeroed = outs[0][:-16] + bytes(16)
    assert new_id[1:] == hashlib.sha256(b"\0\0\0\0" + zeroed).digest()[:16]
