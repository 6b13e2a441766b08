"""Custom sections: one handler module per section that wasmmerge understands.

Each handler has `parse(data, base=0) -> dataclass` and `encode(dataclass) -> bytes`
(exact inverses: `encode(parse(b)) == b` for minimally encoded input, and for LLVM's
padded subsection sizes too), `summary(parsed) -> str` for `inspect`, `AFTER` (the
standard section it follows, as LLVM's tools place it), and where the merger combines
it, `merge`. Errors are `DecodeError`s naming the section and the byte offset (`base`
is the payload's offset in the file).

The small formats are declared with `construct` (`declarative.py`); `name` and `reloc.*`,
which grow with the code, are hand-written.
"""

from . import build_id, dylink, linking, names, producers, reloc, target_features

# Section name -> handler module. `reloc.*` sections share one handler.
HANDLERS = {
    "dylink.0": dylink,
    "linking": linking,
    "name": names,
    "producers": producers,
    "target_features": target_features,
    "build_id": build_id,
}

# LLVM's order for the sections that follow the data section (wasm-ld's Writer and the
# object writer): whatever else the inputs carry (e.g. `.debug_*`), then `linking`, the
# `reloc.*` sections, `name`, `producers`, `target_features`, `build_id`.
TRAILING_ORDER = ("linking", "reloc.", "name", "producers", "target_features", "build_id")


def handler(name: str):
    """The handler module for a custom section's name, or None."""
    if name.startswith("reloc."):
        return reloc
    return HANDLERS.get(name)


def trailing_rank(name: str) -> int:
    """Sort key among the sections after the data section: unknown ones (0) first."""
    for rank, prefix in enumerate(TRAILING_ORDER, 1):
        if name == prefix or prefix.endswith(".") and name.startswith(prefix):
            return rank
    return 0


def summary(name: str, data: bytes, base: int = 0) -> str | None:
    """One line describing a known custom section (DecodeError if it is malformed);
    None for a section no handler knows."""
    module = handler(name)
    if module is None:
        return None
    if module is reloc:
        return reloc.summary(reloc.parse(data, base, name))
    return module.summary(module.parse(data, base))
