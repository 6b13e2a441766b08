"""The merge step for custom sections: each input's sections through their handlers
(`wasmmerge/custom/`), combined into the merged module's.

`name` is merged with every index remapped; `producers` and `target_features` become
unions; debug info (DWARF, source map URL, external debug info, build id) is left to
`wasmmerge/debuginfo/`, which carries it over after encoding; object-file metadata
(`linking`, `reloc.*`) is dropped with a warning; every other custom section of every
input is kept.
A malformed section the merge would rewrite is dropped with a warning naming its input.
"""

from ..binary.model import CustomSection
from ..custom import names, producers, target_features
from ..errors import WasmError
from .debug import handles as carried_by_debuginfo

TABLE_NAMES = 5  # the name section's subsection of table names


def holds_code_offsets(name: str) -> bool:
    """Object-file metadata, which cannot describe a merged module."""
    return name == "linking" or name.startswith("reloc.")


def merge_customs(inputs, plan, skip_funcs: list[set], needed_features: set[str],
                  warnings: list[str], generated: dict | None = None) -> list[CustomSection]:
    """The custom sections of the merged module. `skip_funcs[k]` are input k's function
    indices whose names are dropped; `generated` names merged functions the merge added."""
    kept = []
    name_merger = names.NameMerger()
    has_names = False
    producer_sections, feature_sections = [], []
    for k, inp in enumerate(inputs):
        relocation_sections = []
        for section in inp.module.customs:
            if section.name in ("name", "producers", "target_features"):
                handler = {"name": names, "producers": producers, "target_features": target_features}[section.name]
                try:
                    parsed = handler.parse(section.data)
                except WasmError as err:
                    warnings.append(f"{inp.name}: {err}; section dropped")
                    continue
                if section.name == "name":
                    if plan.dropped_tables[k] and parsed.subsections.get(TABLE_NAMES):
                        parsed.subsections[TABLE_NAMES] = {
                            i: n for i, n in parsed.subsections[TABLE_NAMES].items()
                            if i not in plan.dropped_tables[k]}
                    name_merger.add(inp.name, parsed, plan.maps[k], skip_funcs[k])
                    has_names = True
                else:
                    (producer_sections if section.name == "producers" else feature_sections).append(parsed)
            elif carried_by_debuginfo(section.name):
                continue  # moved with the code after encoding (pipeline.py)
            elif section.name == "linking" or section.name.startswith("reloc."):
                relocation_sections.append(section.name)
            elif holds_code_offsets(section.name):
                warnings.append(f"{inp.name}: custom section {section.name!r} holds code offsets "
                                "and cannot be carried over yet; dropped")
            else:
                kept.append(CustomSection(section.name, section.data, section.after))
        if relocation_sections:
            # A final module linked with --emit-relocs: one warning for all its sections.
            warnings.append(f"{inp.name}: its relocation sections ({', '.join(relocation_sections)}, from "
                            "wasm-ld --emit-relocs) describe its own layout and are stale once merged; dropped")
    if has_names:
        for index, name in (generated or {}).items():
            name_merger.name_generated(1, index, name)
        kept.append(CustomSection("name", names.encode(name_merger.result()), names.AFTER))
    if producer_sections:
        kept.append(CustomSection("producers", producers.encode(producers.merge(producer_sections)),
                                  producers.AFTER))
    if feature_sections:
        merged = target_features.merge(feature_sections, needed_features)
        kept.append(CustomSection("target_features", target_features.encode(merged), target_features.AFTER))
    return kept
