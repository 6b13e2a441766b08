"""The merge step for custom sections: each input's sections through their handlers
(`wasmmerge/custom/`), combined into the merged module's.

`name` is merged with every index remapped; `producers` and `target_features` become
unions; debug info (DWARF, source map URL, external debug info, build id) is left to
`wasmmerge/debuginfo/`, which carries it over after encoding; object-file metadata
(`linking`, `reloc.*`) is dropped with a warning; every other custom section of every
input is kept.
A malformed section the merge would rewrite is dropped with a warning naming its input.
Each handler is imported when a section it merges is first met (`custom.handler`).
"""

from .. import custom
from ..binary.model import CustomSection
from ..errors import WasmError

TABLE_NAMES = 5  # the name section's subsection of table names
MERGED = (custom.NAME, custom.PRODUCERS, custom.TARGET_FEATURES)


def holds_code_offsets(name: str) -> bool:
    """Object-file metadata, which cannot describe a merged module."""
    return name == "linking" or name.startswith("reloc.")


def merge_customs(inputs, plan, skip_funcs: list[set], needed_features: set[str],
                  warnings: list[str], generated: dict | None = None) -> list[CustomSection]:
    """The custom sections of the merged module. `skip_funcs[k]` are input k's function
    indices whose names are dropped; `generated` names merged functions the merge added."""
    kept = []
    name_merger = None  # made at the first name section
    producer_sections, feature_sections = [], []
    for k, inp in enumerate(inputs):
        relocation_sections = []
        for section in inp.module.customs:
            if section.name in MERGED:
                handler = custom.handler(section.name)
                try:
                    parsed = handler.parse(section.data)
                except WasmError as err:
                    warnings.append(f"{inp.name}: {err}; section dropped")
                    continue
                if section.name == custom.NAME:
                    if plan.dropped_tables[k] and parsed.subsections.get(TABLE_NAMES):
                        parsed.subsections[TABLE_NAMES] = {
                            i: n for i, n in parsed.subsections[TABLE_NAMES].items()
                            if i not in plan.dropped_tables[k]}
                    if name_merger is None:
                        name_merger = handler.NameMerger()
                    name_merger.add(inp.name, parsed, plan.maps[k], skip_funcs[k])
                else:
                    (producer_sections if section.name == custom.PRODUCERS else feature_sections).append(parsed)
            elif custom.is_debug_info(section.name):
                continue  # moved with the code after encoding (pipeline.py)
            elif section.name == custom.LINKING or custom.is_reloc(section.name):
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
    if name_merger is not None:
        names = custom.handler(custom.NAME)
        for index, name in (generated or {}).items():
            name_merger.name_generated(1, index, name)
        kept.append(CustomSection(custom.NAME, names.encode(name_merger.result()), names.AFTER))
    if producer_sections:
        producers = custom.handler(custom.PRODUCERS)
        kept.append(CustomSection(custom.PRODUCERS, producers.encode(producers.merge(producer_sections)),
                                  producers.AFTER))
    if feature_sections:
        target_features = custom.handler(custom.TARGET_FEATURES)
        merged = target_features.merge(feature_sections, needed_features)
        kept.append(CustomSection(custom.TARGET_FEATURES, target_features.encode(merged), target_features.AFTER))
    return kept
