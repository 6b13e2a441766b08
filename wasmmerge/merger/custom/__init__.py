"""Custom sections of the merged module: one handler per kind of section.

`name` is merged with every index remapped; `producers` and `target_features` become
unions; sections that hold code offsets (DWARF, source maps, relocations) cannot be carried
over yet and are dropped with a warning; every other custom section of every input is kept.
"""

from ...binary.model import DATA, CustomSection
from ...errors import WasmError
from .names import NameMerger, encode_names, parse_names
from .producers import merge_producers
from .target_features import merge_target_features

MERGED = ("name", "producers", "target_features")


def holds_code_offsets(name: str) -> bool:
    return (name.startswith(".debug_") or name in ("sourceMappingURL", "external_debug_info", "linking")
            or name.startswith("reloc."))


def merge_customs(inputs, plan, skip_funcs: list[set], needed_features: set[str],
                  warnings: list[str], generated: dict | None = None) -> list[CustomSection]:
    """The custom sections of the merged module. `skip_funcs[k]` are input k's function
    indices whose names are dropped; `generated` names merged functions the merge added."""
    kept = []
    names = NameMerger()
    has_names = False
    producers, features = [], []
    for k, inp in enumerate(inputs):
        for section in inp.module.customs:
            if section.name == "name":
                try:
                    parsed = parse_names(section.data)
                except (WasmError, ValueError, IndexError) as err:
                    warnings.append(f"{inp.name}: malformed name section dropped ({err})")
                    continue
                names.add(inp.name, parsed, plan.maps[k], skip_funcs[k])
                has_names = True
            elif section.name in ("producers", "target_features"):
                (producers if section.name == "producers" else features).append((inp.name, section.data))
            elif holds_code_offsets(section.name):
                warnings.append(f"{inp.name}: custom section {section.name!r} holds code offsets "
                                "and cannot be carried over yet; dropped")
            else:
                kept.append(CustomSection(section.name, section.data, section.after))
    if has_names:
        for index, name in (generated or {}).items():
            names.name_generated(1, index, name)
        kept.append(CustomSection("name", encode_names(names.sections), DATA))
    if producers:
        kept.append(_merged("producers", producers, merge_producers, warnings))
    if features:
        kept.append(_merged("target_features", features,
                            lambda datas: merge_target_features(datas, needed_features), warnings))
    return [c for c in kept if c is not None]


def _merged(name, sections, merge, warnings):
    good = []
    for module_name, data in sections:
        try:
            merge([data])
            good.append(data)
        except (WasmError, ValueError, IndexError) as err:
            warnings.append(f"{module_name}: malformed {name} section dropped ({err})")
    return CustomSection(name, merge(good), DATA) if good else None
