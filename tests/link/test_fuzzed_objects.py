"""Damaged objects: real objects with random bytes changed, cut out or inserted, linked
with random options. Whatever the damage, the link either succeeds or stops with our
one-line error (a WasmError, printed by the command without a traceback), never with
another exception. A fixed seed: the same objects every run; a failure names the case.
(Longer campaigns found the bugs tests/link/test_bad_inputs.py, test_comdat.py and
test_got.py keep fixed.)"""

import contextlib
import io
import random

import pytest

from wasmmerge.errors import WasmError
from wasmmerge.linker.driver import link
from wasmmerge.linker.options import parse_args
from wasmmerge.outputs import OutputSet

from damage import mutated

from .harness import compile_sources

GROUPS = {
    "c-debug": (["calls/main.c", "calls/util.c"], ["-O0", "-g"]),
    "cxx": (["cxx/main.cc", "cxx/other.cc", "cxx/globals.cc"], ["-O1", "-fno-exceptions"]),
    "pic-got": (["pic/got_user.c", "pic/got_defs.c"], ["-O1", "-fPIC", "--target=wasm32-unknown-emscripten"]),
}
OPTIONS = [[], ["-r"], ["--emit-relocs"], ["--no-gc-sections"], ["--strip-debug"], ["--export-dynamic"],
           ["--unresolved-symbols=ignore-all"]]
CASES = 400


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    compiled = {}
    for name, (sources, flags) in GROUPS.items():
        compiled[name] = [p.read_bytes() for p in compile_sources(sources, tmp_path_factory.mktemp(name), flags)]
    return compiled


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_damaged_objects_fail_cleanly(group, groups, tmp_path):
    rng = random.Random(f"wasmmerge-{group}")
    objects = groups[group]
    linked = 0
    for case in range(CASES):
        victim = rng.randrange(len(objects))
        paths = []
        for k, data in enumerate(objects):
            path = tmp_path / f"{k}.o"
            path.write_bytes(mutated(data, rng, tail_share=0.5) if k == victim else data)
            paths.append(str(path))
        extra = rng.choice(OPTIONS)
        base = [] if extra == ["-r"] else ["--no-entry", "--export-all", "--allow-undefined"]
        opts = parse_args([*base, *extra, "--threads=1", *paths, "-o", str(tmp_path / "out.wasm")])
        try:
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                outputs = OutputSet()
                outputs.add(opts.output, link(opts).pieces)
                outputs.commit()
            linked += 1
        except WasmError:
            pass  # the command prints it in one line, status 1
        except Exception as err:  # a traceback for the user
            pytest.fail(f"case {case} ({group}, object {victim}, {extra}): {type(err).__name__}: {err}")
    # Most damage is refused, but enough links go through to reach the writer.
    assert CASES // 10 < linked < CASES
