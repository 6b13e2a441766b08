"""`--emit-relocs` with debug info: the debug sections' relocations are wasm-ld 14's, those
naming functions and data that --gc-sections removed included (wasm-ld writes them with
symbol index 0xFFFFFFFF, and so do we, while the site holds the tombstone)."""

from wasmmerge.binary.reader import iter_sections
from wasmmerge.custom.linking import SYMTAB_SECTION
from wasmmerge.linker.relocatable import REMOVED_SYMBOL

from .harness import compile_sources, link_both
from .test_relocatable import _reloc_counts


def _described(path):
    """Per debug reloc section: (type, offset, what the symbol is, addend) of each entry."""
    sections, symbols = _reloc_counts(path)
    out = {}
    for name, entries in sections.items():
        if not name.startswith("reloc..debug"):
            continue
        rows = []
        for rtype, offset, index, addend in entries:
            if index == REMOVED_SYMBOL:
                target = "removed"
            else:
                sym = symbols[index]
                target = f"section {sym.index}" if sym.kind == SYMTAB_SECTION else sym.name
            # .debug_str is merged at -O1: our addends point into the merged section (the
            # value at the site), wasm-ld 14's are the input's, so those are not compared.
            rows.append((rtype, offset, target, None if target == "section 13" else addend))
        out[name] = rows
    return out


def test_debug_relocations_to_removed_code_are_wasm_ld_s(tmp_path):
    objects = compile_sources(["calls/util.c"], tmp_path, ["-g", "-O1"])
    ref, ours = link_both(["--emit-relocs", "--no-entry", "--export=bump", *map(str, objects), "-o", "x"], tmp_path)
    theirs, mine = _described(ref), _described(ours)
    assert any(t == "removed" for rows in theirs.values() for _, _, t, _ in rows)  # what this test is about
    assert "reloc..debug_loc" in mine  # every entry of it names a removed function
    assert mine == theirs
    # the module itself (every section before the linking section) is wasm-ld's
    sections = list(iter_sections(ref.read_bytes()))
    before = sections[[info.name for info in sections].index("linking") - 1]
    cut = before.start + before.size  # where the linking section begins
    assert ours.read_bytes()[:cut] == ref.read_bytes()[:cut]
