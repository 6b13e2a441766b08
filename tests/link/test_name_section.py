"""The name section of a program with more functions than two-byte LEB128 indices hold
(16,384) and names longer than a one-byte length (128): wasm-ld's bytes (the writer
writes the short forms inline and the rest through the LEB writer)."""

from bytedsl import HEADER, name, section, u32, vec

from .harness import link_both
from .objdsl import linking, sym_function

FUNCTIONS = 16_500


def _many_functions() -> bytes:
    body = u32(2) + b"\x00\x0b"  # no locals, `end`
    names = [f"f{k}" if k % 1000 else f"long_{k}_" + "x" * 150 for k in range(FUNCTIONS)]
    imports = vec(name("env") + name("__linear_memory") + b"\x02\x00\x00")
    return (HEADER
            + section(1, vec(b"\x60\x00\x00"))
            + section(2, imports)
            + section(3, vec(*[u32(0)] * FUNCTIONS))
            + section(10, vec(*[body] * FUNCTIONS))
            + linking(*[sym_function(k, n) for k, n in enumerate(names)]))


def test_three_byte_indices_and_long_names_are_wasm_ld_s(tmp_path):
    objects = tmp_path / "many.o"
    objects.write_bytes(_many_functions())
    ref, ours = link_both(["--no-entry", "--no-gc-sections", str(objects), "-o", "out.wasm"], tmp_path)
    assert ours.read_bytes() == ref.read_bytes()
