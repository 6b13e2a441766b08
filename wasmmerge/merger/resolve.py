"""Resolution: what every import of every input is bound to.

An import whose module name names an input binds to that input's export, following
re-export chains (an export that is itself an import) to a definition or to an import of
a module outside the merge. Each link of a chain is type-checked with the spec's import
matching rules, on merged type indices: the merged type section is a `TypeStore` holding
nothing else, so a merged type index is a canonical id and the store's subtyping applies
to it directly. Imports left outside are deduplicated when module,
name, kind and type are all equal.
"""

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from ..binary.types import (FUNC_KIND, GLOBAL_KIND, KIND_NAMES, MEMORY_KIND, TABLE_KIND, TAG_KIND,
                            Limits, RefType)
from ..errors import LinkError, ValidationError
from ..validator.canon import TypeStore, map_externtype


@dataclass(frozen=True)
class Defined:
    """A definition: index `index` (module-relative, past the imports) of input `module`."""

    module: int
    index: int


@dataclass(frozen=True)
class External:
    """An import the merged module keeps; `type` is in merged terms."""

    module: str
    name: str
    kind: int
    type: object

    @property
    def label(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class Resolution:
    # Per input, per import (in import order): what it is bound to.
    targets: list[list[Defined | External]] = field(default_factory=list)
    # Per input, per import: the exports followed, as (input index, export name).
    chains: list[list[tuple]] = field(default_factory=list)
    externals: list[External] = field(default_factory=list)  # first-use order
    # Minimum sizes checked when instantiation reaches the importer rather than now:
    # (importer input, import position, kind, required minimum). See `_min_check_deferrable`.
    size_checks: list[tuple] = field(default_factory=list)


class ItemTypes:
    """The merged type of every item of one input, by kind and module-relative index."""

    def __init__(self, module, type_map: list[int]):
        self.module = module
        self.type_map = type_map
        self._cache = {}

    def get(self, kind: int, index: int):
        items = self._cache.get(kind)
        if items is None:
            try:
                items = self._cache[kind] = self._compute(kind)
            except IndexError:
                raise ValidationError(f"a {KIND_NAMES[kind]} names an unknown type") from None
        return items[index]

    def _compute(self, kind):
        m, tmap = self.module, self.type_map
        if kind == FUNC_KIND:
            indices = m.func_type_indices()
            if any(t >= len(tmap) for t in indices):
                raise ValidationError("a function names an unknown type")
            return [tmap[t] for t in indices]
        raw = {TABLE_KIND: m.table_types, MEMORY_KIND: m.memory_types,
               GLOBAL_KIND: m.global_types, TAG_KIND: m.tag_types}[kind]()
        return [map_externtype(t, tmap.__getitem__) for t in raw]

    def count(self, kind: int) -> int:
        return self.module.count(kind)


def _limits_match(actual: Limits, expected: Limits) -> str | None:
    if actual.address64 != expected.address64:
        return "address type differs (i32 vs i64)"
    if actual.shared != expected.shared:
        return "shared flag differs"
    if actual.min < expected.min:
        return f"minimum {actual.min} is below the imported minimum {expected.min}"
    if expected.max is not None:
        if actual.max is None:
            return f"no maximum, the import requires at most {expected.max}"
        if actual.max > expected.max:
            return f"maximum {actual.max} is above the imported maximum {expected.max}"
    return None


def type_mismatch(kind: int, actual, expected, types: TypeStore) -> str | None:
    """Why an item of type `actual` cannot satisfy an import of type `expected` (merged terms)."""
    if kind in (FUNC_KIND,):
        if not types.func_matches(actual, expected):
            return f"function type {types.comp(actual)} does not match {types.comp(expected)}"
        return None
    if kind == TAG_KIND:
        if actual.type != expected.type:  # merged type indices are canonical: equal types, equal indices
            return f"tag type {types.comp(actual.type)} does not match {types.comp(expected.type)}"
        return None
    if kind == GLOBAL_KIND:
        if actual.mutable != expected.mutable:
            return "mutability differs"
        if expected.mutable:
            ok = actual.type == expected.type
        else:
            ok = types.val_matches(actual.type, expected.type)
        return None if ok else f"global type {actual.type} does not match {expected.type}"
    if kind == TABLE_KIND:
        if actual.elem != expected.elem:
            return f"element type {actual.elem} does not match {expected.elem}"
        return _limits_match(actual.limits, expected.limits)
    return _limits_match(actual.limits, expected.limits)


def _only_minimum_differs(kind: int, actual, expected, types: TypeStore) -> bool:
    if kind not in (TABLE_KIND, MEMORY_KIND):
        return False
    raised = Limits(max(actual.limits.min, expected.limits.min), actual.limits.max,
                    actual.limits.address64, actual.limits.shared)
    grown = type(actual)(actual.elem, raised) if kind == TABLE_KIND else type(actual)(raised)
    return type_mismatch(kind, grown, expected, types) is None


def resolve(inputs, type_maps, types: TypeStore) -> Resolution:
    names = {inp.name: k for k, inp in enumerate(inputs)}
    item_types = [ItemTypes(inp.module, tm) for inp, tm in zip(inputs, type_maps)]
    exports = [{e.name: e for e in inp.module.exports} for inp in inputs]
    # Per input and kind, the import positions in that kind's index space.
    import_positions, index_in_kind = [], []
    for inp in inputs:
        by_kind = {k: [] for k in KIND_NAMES}
        own = []
        for j, imp in enumerate(inp.module.imports):
            own.append(len(by_kind[imp.kind]))
            by_kind[imp.kind].append(j)
        import_positions.append(by_kind)
        index_in_kind.append(own)

    # An import's limits are matched against the *current* size of what it binds to:
    # the host's (unknown here), or one an earlier input's start function may have grown
    # past its declared minimum. Such minimums are checked at run time, when the merged
    # start function reaches the importer (a trap instead of a link error, after the same
    # earlier effects).
    has_start_before, seen_start = [], False
    for inp in inputs:
        has_start_before.append(seen_start)
        seen_start = seen_start or inp.module.start is not None
    res = Resolution()
    tightened: dict[External, Limits] = {}
    done: dict[tuple, tuple] = {}
    in_progress: list[tuple] = []  # the chain being followed; its set for membership tests
    in_progress_set: set[tuple] = set()

    def describe(i, j):  # errors carry the input's label as their file: no name here
        imp = inputs[i].module.imports[j]
        return f"import {imp.module}.{imp.name}"

    def follow(i, j):
        key = (i, j)
        if key in done:
            return done[key]
        if key in in_progress_set:
            cycle = in_progress[in_progress.index(key):] + [key]
            steps = " -> ".join(f"{inputs[a].name}:{inputs[a].module.imports[b].module}."
                                f"{inputs[a].module.imports[b].name}" for a, b in cycle)
            raise LinkError(f"unresolved cycle of re-exports: {steps}", file=inputs[i].name)
        imp = inputs[i].module.imports[j]
        kind = imp.kind
        kname = KIND_NAMES[kind]
        try:
            declared = item_types[i].get(kind, index_in_kind[i][j])
        except IndexError:
            raise ValidationError(f"import {imp.module}.{imp.name} names an unknown type", file=inputs[i].label) from None
        except ValidationError as err:
            raise err.with_file(inputs[i].label)
        target_module = names.get(imp.module)
        if target_module is None:
            result = (External(imp.module, imp.name, kind, declared), ())
            done[key] = result
            return result
        export = exports[target_module].get(imp.name)
        if export is not None and export.index >= item_types[target_module].count(export.kind):
            raise ValidationError(f"export {imp.name!r} names unknown {KIND_NAMES.get(export.kind)} "
                                  f"{export.index}", file=inputs[target_module].label)
        if export is None:
            raise LinkError(f"{describe(i, j)}: module {imp.module!r} has no export {imp.name!r}",
                            file=inputs[i].label)
        if export.kind != kind:
            raise LinkError(f"{describe(i, j)}: expects a {kname}, but {imp.module}.{imp.name} "
                            f"is a {KIND_NAMES.get(export.kind, export.kind)}", file=inputs[i].label)
        try:
            actual = item_types[target_module].get(kind, export.index)
        except ValidationError as err:
            raise err.with_file(inputs[target_module].label)
        positions = import_positions[target_module][kind]
        if export.index < len(positions):
            in_progress.append(key)
            in_progress_set.add(key)
            target, chain = follow(target_module, positions[export.index])
            in_progress_set.discard(in_progress.pop())
        else:
            target, chain = Defined(target_module, export.index), ()
        why = type_mismatch(kind, actual, declared, types)
        if why and kind in (TABLE_KIND, MEMORY_KIND) and _only_limits_differ(kind, actual, declared, types):
            host = isinstance(target, External)
            # A minimum is checked against the current size: that of a host object (only
            # the host knows it) or of one an earlier start function may have grown is
            # checked when instantiation reaches the importer.
            deferred = declared.limits.min > actual.limits.min and (host or has_start_before[i])
            if deferred:
                res.size_checks.append((i, j, kind, declared.limits.min))
            if host:
                # A maximum never changes: the merged import asks for the smallest one.
                _tighten(tightened, target, declared.limits)
            elif not (deferred and _only_minimum_differs(kind, actual, declared, types)):
                raise LinkError(f"{describe(i, j)}: incompatible import type: {why}", file=inputs[i].label)
        elif why and isinstance(target, External) and _host_may_satisfy(kind, actual, declared, types):
            # A host function or global passed on by an input: its real type may be more
            # precise than the input declared, so the host checks it against this
            # importer's own declaration (a second import of the same object).
            target = External(target.module, target.name, kind, declared)
        elif why:
            raise LinkError(f"{describe(i, j)}: incompatible import type: {why}", file=inputs[i].label)
        result = (target, ((target_module, imp.name),) + chain)
        done[key] = result
        return result

    seen_external = set()
    for i, inp in enumerate(inputs):
        targets, chains = [], []
        for j in range(len(inp.module.imports)):
            target, chain = follow(i, j)
            targets.append(target)
            chains.append(chain)
            if isinstance(target, External) and target not in seen_external:
                seen_external.add(target)
                res.externals.append(target)
        res.targets.append(targets)
        res.chains.append(chains)
    if tightened:
        _apply_tightening(res, tightened)
    return res


def _host_may_satisfy(kind: int, passed_on, wanted, types: TypeStore) -> bool:
    """Whether a host object an input imported as `passed_on` can also be a `wanted`.

    Declared supertypes form a tree, so a function type below both exists only when one of
    them is below the other. A mutable global's type is exact; an immutable reference
    global's actual type may lie below both.
    """
    if kind == FUNC_KIND:
        return types.func_matches(wanted, passed_on)
    if kind == GLOBAL_KIND:
        return (not passed_on.mutable and not wanted.mutable
                and isinstance(passed_on.type, RefType) and isinstance(wanted.type, RefType))
    return False


def _only_limits_differ(kind: int, actual, expected, types: TypeStore) -> bool:
    """True when `actual` would match `expected` with `expected`'s minimum and maximum."""
    a = actual.limits
    limits = Limits(expected.limits.min, expected.limits.max, a.address64, a.shared)
    relimited = type(actual)(actual.elem, limits) if kind == TABLE_KIND else type(actual)(limits)
    return type_mismatch(kind, relimited, expected, types) is None


def _tighten(tightened: dict, ext: External, wanted: Limits):
    """Lower the maximum of a kept import to what an importer further along allows."""
    have = tightened.get(ext, ext.type.limits)
    if have.max is None or wanted.max is None:
        maximum = have.max if wanted.max is None else wanted.max
    else:
        maximum = min(have.max, wanted.max)
    if maximum is not None and wanted.min > maximum:
        raise LinkError(f"import {ext.label}: no size satisfies every importer (at least {wanted.min}, "
                        f"at most {maximum})")
    tightened[ext] = Limits(have.min, maximum, have.address64, have.shared)


def _apply_tightening(res: Resolution, tightened: dict):
    """Replace tightened imports everywhere, merging those that became identical."""
    replace = {}
    for ext, limits in tightened.items():
        t = ext.type
        new_type = type(t)(t.elem, limits) if ext.kind == TABLE_KIND else type(t)(limits)
        replace[ext] = External(ext.module, ext.name, ext.kind, new_type)
    replace_externals(res, replace)


def replace_externals(res: Resolution, replace: dict) -> None:
    """Bind every import to `replace`'s stand-in for its external, merging externals that
    became identical (first-use order kept)."""
    res.targets = [[replace.get(t, t) for t in targets] for targets in res.targets]
    externals, seen = [], set()
    for ext in res.externals:
        ext = replace.get(ext, ext)
        if ext not in seen:
            seen.add(ext)
            externals.append(ext)
    res.externals = externals


def check_allowed(resolution: Resolution, patterns, inputs) -> None:
    """With `--allow-import`, every import left in the output must match a pattern."""
    if patterns is None:
        return
    stray = [e for e in resolution.externals if not any(fnmatchcase(e.label, p) for p in patterns)]
    if stray:
        importers = {e: [] for e in stray}
        for inp, targets in zip(inputs, resolution.targets):
            for target in targets:
                if target in importers and inp.name not in importers[target]:
                    importers[target].append(inp.name)
        listed = ", ".join(f"{e.label} ({KIND_NAMES[e.kind]}, imported by {', '.join(importers[e])})"
                           for e in stray)
        raise LinkError(f"imports not allowed by --allow-import: {listed}")
