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
from .debug import handles as carried_by_debuginfo
from ..errors import WasmError


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
        for section in inp.module.customs:
            if section.name in ("name", "producers", "target_features"):
                handler = {"name": names, "producers": producers, "target_features": target_features}[section.name]
                try:
                    parsed = handler.parse(section.data)
                except WasmError as err:
                    warnings.append(f"{inp.name}: {err}; section dropped")
                    continue
                if section.name == "name":
                    name_merger.add(inp.name, parsed, plan.maps[k], skip_funcs[k])
                    has_names = True
                else:
                    (producer_sections if section.name == "producers" else feature_sections).append(parsed)
            elif carried_by_debuginfo(section.name):
                continue  # moved with the code after encoding (pipeline.py)
            elif holds_code_offsets(section.name):
                warnings.append(f"{inp.name}: custom section {section.name!r} holds code offsets "
                                "and cannot be carried over yet; dropped")
            else:
                kept.append(CustomSection(section.name, section.data, section.after))
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
