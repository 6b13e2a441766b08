"""Target features and producers of the inputs, as wasm-ld 14 handles them.

Features: the output's `target_features` lists the features the link allows, as `+`,
sorted: the ones given by `--features=LIST`, or else every feature an object uses. With
checking on (the default; `--no-check-features` turns it off) the link fails, each
problem a line of wasm-ld's wording, when an object uses a feature outside an explicit
`--features` list, when one object uses a feature another disallows (`-`), when an object
lacks a feature another requires (`=`), when live thread-local data or shared memory
comes without atomics and bulk memory in the allowed set, or when a mutable global is
imported or exported without `mutable-globals`. Producers: each object's section read as LLVM's
reader does (an unknown or repeated field, or a tool named twice in a field, is an
error), merged as wasm-ld's ProducersSection does: the fields always in the order
language, processed-by, sdk (whatever order the objects use), each tool once per field
by its name, in the order objects are loaded, the first object's version kept; a field
with no tool left out, and no section when every field is empty.
"""

from ..custom import producers as producers_section
from ..custom import target_features as features_section
from ..binary.types import GLOBAL_KIND
from ..errors import WasmError
from .shared import check_shared_memory_features
from .strings import llvm_string_map_order


def _parsed(objects, attribute: str, parse) -> list:
    """(object, parsed section) for each object that has the section. Objects built by one
    compiler carry the same bytes, so each distinct payload is parsed once (an error in
    one is reported at the first object that carries it)."""
    seen = {}
    out = []
    for obj in objects:
        payload = getattr(obj, attribute)
        if payload is None:
            continue
        section = seen.get(payload)
        if section is None:
            try:
                section = seen[payload] = parse(payload, getattr(obj, attribute + "_at"))
            except WasmError as err:
                raise err.with_file(obj.name)
        out.append((obj, section))
    return out


def features_allowed(objects, opts) -> set[str]:
    """The features the link allows, unchecked (`allowed_features` checks them once the
    layout is known): the ones --features lists, or every feature an object uses. The
    layout needs one of them before: whether bulk memory may zero .bss."""
    if opts.features is not None:
        return set(opts.features)
    return {feature.name for _, section in _parsed(objects, "features", features_section.parse)
            for feature in section.features if feature.prefix in "+="}


def _file_name(obj) -> str:
    """An object as wasm-ld's feature messages name it: an archive member by its own name."""
    return obj.member_name or obj.name


def allowed_features(objects, opts, diag, tls_used: bool = False, imports=(), exported_globals=()) -> list[str]:
    """The features the output declares; checking them as wasm-ld's populateTargetFeatures
    does (its order of checks, its messages). `exported_globals`: (name, mutable) of the
    exported global symbols (not data addresses), in export order."""
    explicit = opts.features
    if explicit is not None and not opts.check_features:
        return sorted(features_allowed(objects, opts))
    used, required, disallowed = {}, {}, {}
    features_of = {id(obj): section.features for obj, section in _parsed(objects, "features", features_section.parse)}
    for obj in objects:
        for feature in features_of.get(id(obj), ()):
            if feature.prefix in "+=":
                used.setdefault(feature.name, _file_name(obj))
            if feature.prefix == "=":
                required.setdefault(feature.name, _file_name(obj))
            if feature.prefix == "-":
                disallowed.setdefault(feature.name, _file_name(obj))
    allowed = features_allowed(objects, opts)  # (the rule in one place: the layout asks it first)
    if not opts.check_features:
        return sorted(allowed)
    errors_before = len(diag.errors)
    if opts.shared_memory and "shared-mem" in disallowed:
        diag.error(f"--shared-memory is disallowed by {disallowed['shared-mem']} because it was not compiled "
                   "with 'atomics' or 'bulk-memory' features.")
    if opts.shared_memory:
        check_shared_memory_features(objects, diag, allowed)
    if tls_used:
        for name in ("atomics", "bulk-memory"):
            if name not in allowed:
                diag.error(f"'{name}' feature must be used in order to use thread-local storage")
    if explicit is not None:
        # In the order wasm-ld walks its table of used features, an llvm::StringMap.
        for name in llvm_string_map_order(list(used)):
            if name not in allowed:
                diag.error(f"Target feature '{name}' used by {used[name]} is not allowed.")
    for obj in objects:  # an object without the section lacks every required feature
        present = set()
        for feature in features_of.get(id(obj), ()):
            if feature.prefix == "-":
                continue
            present.add(feature.name)
            if feature.name in disallowed:
                diag.error(f"Target feature '{feature.name}' used in {_file_name(obj)} is disallowed by "
                           f"{disallowed[feature.name]}. Use --no-check-features to suppress.")
        for name, by in required.items():
            if name not in present:
                diag.error(f"Missing target feature '{name}' in {_file_name(obj)}, required by {by}. "
                           "Use --no-check-features to suppress.")
    # Imported and exported mutable globals: checked by wasm-ld 14 only when the link
    # has no error so far (a later pass of its writer).
    if not opts.relocatable and "mutable-globals" not in allowed and len(diag.errors) == errors_before == 0:
        for imp in imports:
            if imp.kind == GLOBAL_KIND and imp.desc.mutable:
                name = imp.symbol.name if imp.symbol is not None else imp.name
                diag.error(f"mutable global imported but 'mutable-globals' feature not present in inputs: "
                           f"`{name}`. Use --no-check-features to suppress.")
        # (wasm-ld 14 refuses immutable ones too, its own __tls_size and __tls_align
        # under --export-all with shared memory included; later versions, and we, do not.)
        for name, mutable in exported_globals:
            if mutable:
                diag.error(f"mutable global exported but 'mutable-globals' feature not present in inputs: "
                           f"`{name}`. Use --no-check-features to suppress.")
    return sorted(allowed)


def merged_producers(objects) -> bytes | None:
    tools = {name: {} for name in producers_section.KNOWN_FIELDS}  # field -> tool name -> version
    for _, section in _parsed(objects, "producers", producers_section.parse_linkable):
        for fld in section.fields:
            known = tools[fld.name]
            for tool in fld.values:
                known.setdefault(tool.name, tool.version)
    fields = [producers_section.Field(name, [producers_section.Tool(tool, version) for tool, version in by_name.items()])
              for name, by_name in tools.items() if by_name]
    return producers_section.encode(producers_section.Producers(fields)) if fields else None


def encode_features(names) -> bytes | None:
    """The output's target_features payload: each allowed feature as `+`, sorted (none: no section)."""
    if not names:
        return None
    return features_section.encode(features_section.TargetFeatures(
        [features_section.Feature("+", name) for name in sorted(names)]))
