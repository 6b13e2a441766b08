"""Target features and producers of the inputs, as wasm-ld handles them.

Features: an object that uses (`+`) or requires (`=`) a feature another object
disallows (`-`) cannot be linked with it, and a required feature must be in every
object; each conflict is an error naming both objects and the feature. Producers:
the output's `producers` section is the union of the objects' (first occurrence first).
"""

from ..custom import producers as producers_section
from ..custom import target_features as features_section
from ..errors import WasmError


def check_features(objects, diag):
    used, disallowed, required, listed = {}, {}, {}, []
    for obj in objects:
        if obj.features is None:
            continue
        try:
            section = features_section.parse(obj.features)
        except WasmError as err:
            raise err.with_file(obj.name)
        names = set()
        for feature in section.features:
            names.add(feature.name)
            if feature.prefix in "+=":
                used.setdefault(feature.name, obj.name)
            if feature.prefix == "-":
                disallowed.setdefault(feature.name, obj.name)
            if feature.prefix == "=":
                required.setdefault(feature.name, obj.name)
        listed.append((obj.name, names))
    for name in sorted(set(used) & set(disallowed)):
        diag.error(f"Target feature '{name}' used by {used[name]} is disallowed by {disallowed[name]}")
    for name, by in sorted(required.items()):
        for obj_name, names in listed:
            if name not in names:
                diag.error(f"Missing target feature '{name}' in {obj_name}, required by {by}")


def merged_producers(objects) -> bytes | None:
    sections = []
    for obj in objects:
        if obj.producers is not None:
            try:
                sections.append(producers_section.parse(obj.producers))
            except WasmError as err:
                raise err.with_file(obj.name)
    if not sections:
        return None
    return producers_section.encode(producers_section.merge(sections))


def used_features(objects) -> bytes | None:
    """The output's target_features: every feature an object uses, as `+`, sorted by name
    (wasm-ld's inference when no --features is given)."""
    used = set()
    for obj in objects:
        if obj.features is not None:
            used |= {f.name for f in features_section.parse(obj.features).features if f.prefix in "+="}
    if not used:
        return None
    return features_section.encode(features_section.TargetFeatures(
        [features_section.Feature("+", name) for name in sorted(used)]))
