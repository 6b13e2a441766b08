"""Target features and producers of the inputs, as wasm-ld handles them.

Features: an object that uses (`+`) or requires (`=`) a feature another object
disallows (`-`) cannot be linked with it, and a required feature must be in every
object; each conflict is an error naming both objects and the feature. Producers:
the output's `producers` section is the union of the objects' (first occurrence first).
"""

from ..custom import producers as producers_section
from ..custom import target_features as features_section
from ..errors import WasmError


def _parsed(objects, attribute: str, parse) -> list:
    """(object, parsed section) for each object that has the section. Objects built by one
    compiler carry the same bytes, so each distinct payload is parsed once."""
    seen = {}
    out = []
    for obj in objects:
        payload = getattr(obj, attribute)
        if payload is None:
            continue
        section = seen.get(payload)
        if section is None:
            try:
                section = seen[payload] = parse(payload)
            except WasmError as err:
                raise err.with_file(obj.name)
        out.append((obj, section))
    return out


def check_features(objects, diag):
    used, disallowed, required, listed = {}, {}, {}, []
    for obj, section in _parsed(objects, "features", features_section.parse):
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
    sections = [section for _, section in _parsed(objects, "producers", producers_section.parse)]
    if not sections:
        return None
    return producers_section.encode(producers_section.merge(sections))


def used_features(objects) -> bytes | None:
    """The output's target_features: every feature an object uses, as `+`, sorted by name
    (wasm-ld's inference when no --features is given)."""
    used = set()
    for _, section in _parsed(objects, "features", features_section.parse):
        used |= {f.name for f in section.features if f.prefix in "+="}
    if not used:
        return None
    return features_section.encode(features_section.TargetFeatures(
        [features_section.Feature("+", name) for name in sorted(used)]))
