"""Custom sections: one handler module per section that wasmmerge understands.

Each handler has `parse(data, base=0) -> dataclass` and `encode(dataclass) -> bytes`
(exact inverses: `encode(parse(b)) == b` for minimally encoded input, and for LLVM's
padded subsection sizes too), `summary(parsed) -> str` for `inspect`, `AFTER` (the
standard section it follows, as LLVM's tools place it), and where the merger combines
it, `merge`. Errors are `DecodeError`s naming the section and the byte offset (`base`
is the payload's offset in the file).

`dylink.0`, `build_id` and the writing of `linking` are declared with `construct`
(`declarative.py`). `name` and `reloc.*`, which grow with the code, and the sections nearly
every toolchain output carries (`producers`, `target_features`, the reading of `linking`)
are hand-written over `fields.py`, so that linking or merging such output does not pay
for importing construct.

Handlers are named here by module, like the commands in `cli.py`, and imported by
`handler(name)` when a section of that name is met: a merge of modules without custom
sections loads none of them (nor `construct`, which costs a small merge a third of its
time).
"""

import importlib

# The section names the merger looks for before it needs their handlers.
DYLINK = "dylink.0"
LINKING = "linking"
NAME = "name"
PRODUCERS = "producers"
TARGET_FEATURES = "target_features"
BUILD_ID = "build_id"
RELOC_PREFIX = "reloc."

# Section name -> handler module. `reloc.*` sections share one handler.
HANDLERS = {
    DYLINK: "wasmmerge.custom.dylink",
    LINKING: "wasmmerge.custom.linking",
    NAME: "wasmmerge.custom.names",
    PRODUCERS: "wasmmerge.custom.producers",
    TARGET_FEATURES: "wasmmerge.custom.target_features",
    BUILD_ID: "wasmmerge.custom.build_id",
}
RELOC_HANDLER = "wasmmerge.custom.reloc"

# Debug info, carried with the code by `wasmmerge/debuginfo/` after encoding (by
# `merger/debug.py`) rather than merged by a handler: DWARF (`.debug_*`) and the sections
# naming or identifying it. Named here so the merger can tell without loading any of that.
DEBUG_INFO = ("sourceMappingURL", "external_debug_info", BUILD_ID)

# LLVM's order for the sections that follow the data section (wasm-ld's Writer and the
# object writer): whatever else the inputs carry (e.g. `.debug_*`), then `linking`, the
# `reloc.*` sections, `name`, `producers`, `target_features`, `build_id`.
TRAILING_ORDER = (LINKING, RELOC_PREFIX, NAME, PRODUCERS, TARGET_FEATURES, BUILD_ID)


def is_reloc(name: str) -> bool:
    return name.startswith(RELOC_PREFIX)


def is_debug_info(name: str) -> bool:
    return name.startswith(".debug_") or name in DEBUG_INFO


def handler(name: str):
    """The handler module for a custom section's name (imported now if not yet), or None."""
    module_name = RELOC_HANDLER if is_reloc(name) else HANDLERS.get(name)
    return None if module_name is None else importlib.import_module(module_name)


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
    if is_reloc(name):
        return module.summary(module.parse(data, base, name))
    return module.summary(module.parse(data, base))
