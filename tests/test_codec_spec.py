"""The codec against every binary module of the shared spec suite (2.0 and 3.0).

Round trip: `encode(decode(b)) == b` byte for byte; where the suite uses a non-minimal
LEB128 on purpose, the re-encoding decodes to an equal model and is itself a fixed point.
Malformed: every binary `assert_malformed` module is rejected with our DecodeError, whose
message starts with the suite's text (the spec's own runner matches by prefix).
"""

import json

import pytest

from conftest import or_missing_suite, suite_scripts
from wasmmerge import DecodeError, decode, encode
from wasmmerge.features import WASM2

SCRIPTS = or_missing_suite([("wasm-2.0", p) for p in suite_scripts("wasm-2.0")]
                           + [("wasm-3.0", p) for p in suite_scripts("wasm-3.0")], 2)


def _commands(path):
    return json.loads(path.read_text())["commands"]


def _features(version):
    return WASM2 if version == "wasm-2.0" else None


@pytest.mark.parametrize("version,script", SCRIPTS, ids=lambda v: getattr(v, "stem", v))
def test_round_trip(version, script):
    features = _features(version)
    for cmd in _commands(script):
        name = cmd.get("filename") or cmd.get("binary_filename")
        if not name or not name.endswith(".wasm") or cmd["type"] == "assert_malformed":
            continue
        data = (script.parent / name).read_bytes()
        module = decode(data, features=features)
        out = encode(module)
        if out != data:
            # Only a deliberately non-minimal input may re-encode differently.
            assert decode(out, features=features) == module, f"{name} (line {cmd['line']}): model changed"
            assert encode(decode(out, features=features)) == out, f"{name}: re-encoding is not a fixed point"
            assert len(out) < len(data), f"{name} (line {cmd['line']}): re-encoded differently but not shorter"


@pytest.mark.parametrize("version,script", SCRIPTS, ids=lambda v: getattr(v, "stem", v))
def test_malformed_rejected(version, script):
    features = _features(version)
    for cmd in _commands(script):
        if cmd["type"] != "assert_malformed" or cmd.get("module_type") != "binary":
            continue
        data = (script.parent / cmd["filename"]).read_bytes()
        with pytest.raises(DecodeError) as info:
            decode(data, features=features)
        err = info.value
        assert err.message.startswith(cmd["text"]), (
            f"{cmd['filename']} (line {cmd['line']}): expected {cmd['text']!r}, got {err.message!r}")
        assert err.offset is None or 0 <= err.offset <= len(data)
