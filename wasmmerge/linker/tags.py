"""Tags (exception handling): which tags the output defines and their output indices.

As wasm-ld does: each object's live tags in the object's own order, objects in link
order (a tag is live when a live symbol names it; with --no-gc-sections, or in a
relocatable link, all are, a weak copy whose symbol another object's won included). Every symbol naming a placed tag gets its output index,
which R_WASM_TAG_INDEX_LEB relocations then write. The writer emits the tag section
(attribute 0, the tag's function type) and registers the types after the functions'.
"""

from ..binary.types import TAG_KIND
from .symbols import SYMTAB_TAG


def plan_tags(symtab, out, keep_all: bool) -> None:
    """Fill `out.tags` (the FuncType of each defined tag) and each tag symbol's out_index."""
    for obj in symtab.objects:
        defined = obj.module.tags
        if not defined:
            continue
        first = obj.num_imported[TAG_KIND]
        live = _live_tags(obj, keep_all)
        placed = {}
        for k, tag in enumerate(defined):
            if first + k in live:
                placed[first + k] = out.num_imported_tags + len(out.tags)
                out.tags.append(obj.module.types[tag.type].comp)
        for sym in obj.resolved:
            if sym.kind == SYMTAB_TAG and sym.file is obj and sym.index in placed:
                sym.out_index = placed[sym.index]


def _live_tags(obj, keep_all: bool) -> set[int]:
    """The indices of `obj`'s defined tags the output keeps."""
    first = obj.num_imported[TAG_KIND]
    if keep_all:  # every tag an object defines, one whose symbol another's copy won too (C++'s weak __cpp_exception)
        return set(range(first, first + len(obj.module.tags)))
    return obj.live_definitions(SYMTAB_TAG, TAG_KIND)

