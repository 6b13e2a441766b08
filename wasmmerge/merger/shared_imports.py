"""One host object per import name: imports of the same (module, name) by several inputs
become one import of the merged module.

Under linking by name every importer of `env.memory` receives the same memory, so the
merged module imports it once, with a type every importer accepts: the largest minimum,
the smallest maximum (a `LinkError` when no size fits both), and shared flag and address
type that must agree. The same holds for tables (element types equal), globals (types
equal; for immutable globals, one declared type below the other gives the more precise
one) and tags (types equal). Functions keep one import per distinct type, as before: a
host function may satisfy two declared types only through subtyping, which the host checks.
"""

from ..binary.types import GLOBAL_KIND, KIND_NAMES, MEMORY_KIND, TABLE_KIND, TAG_KIND, Limits, RefType
from ..errors import LinkError
from ..validator.canon import TypeStore
from .resolve import External, Resolution, replace_externals

SHARED_KINDS = (TABLE_KIND, MEMORY_KIND, GLOBAL_KIND, TAG_KIND)


def combine_limits(label: str, first: Limits, second: Limits) -> Limits:
    """Limits that satisfy both importers: LinkError when none exist."""
    if first.address64 != second.address64:
        raise LinkError(f"import {label}: imported as {_address(first)} and as {_address(second)}; "
                        "one host object cannot be both")
    if first.shared != second.shared:
        raise LinkError(f"import {label}: imported both shared and not shared; one host object cannot be both")
    minimum = max(first.min, second.min)
    maxima = [m for m in (first.max, second.max) if m is not None]
    maximum = min(maxima) if maxima else None
    if maximum is not None and minimum > maximum:
        raise LinkError(f"import {label}: no size satisfies every importer (at least {minimum}, at most {maximum})")
    return Limits(minimum, maximum, first.address64, first.shared)


def _address(limits: Limits) -> str:
    return "64-bit" if limits.address64 else "32-bit"


def combine_types(kind: int, label: str, first, second, types: TypeStore):
    """The one import type that satisfies both declarations (merged terms); None when only
    the host can tell (two immutable reference globals, neither type below the other);
    LinkError when no object can satisfy both."""
    if kind == MEMORY_KIND:
        return type(first)(combine_limits(label, first.limits, second.limits))
    if kind == TABLE_KIND:
        if first.elem != second.elem:
            raise LinkError(f"import {label}: imported as a table of {first.elem} and of {second.elem}; "
                            "one host table cannot be both")
        return type(first)(first.elem, combine_limits(label, first.limits, second.limits))
    if kind == GLOBAL_KIND:
        if first == second:
            return first
        if not first.mutable and not second.mutable:
            # An immutable global of a type below both declarations satisfies both.
            if types.val_matches(first.type, second.type):
                return first
            if types.val_matches(second.type, first.type):
                return second
            if isinstance(first.type, RefType) and isinstance(second.type, RefType):
                return None  # a reference type below both may exist: the host checks each
        raise LinkError(f"import {label}: imported as global {_global(first)} and as global {_global(second)}; "
                        "one host global cannot be both")
    if kind == TAG_KIND:
        if first.type != second.type:
            raise LinkError(f"import {label}: imported as tags of types {types.comp(first.type)} and "
                            f"{types.comp(second.type)}; one host tag cannot be both")
        return first
    raise ValueError(f"no shared import rule for {KIND_NAMES[kind]}")


def _global(t) -> str:
    return f"({'mut ' if t.mutable else ''}{t.type})"


def share_host_imports(res: Resolution, types: TypeStore, inputs) -> None:
    """Replace every group of kept imports with one (module, name, kind) by one import."""
    groups: dict[tuple, list[External]] = {}
    for ext in res.externals:
        if ext.kind in SHARED_KINDS:
            groups.setdefault((ext.module, ext.name, ext.kind), []).append(ext)
    replace = {}
    for (module, name, kind), members in groups.items():
        if len(members) < 2:
            continue
        combined = members[0].type
        for ext in members[1:]:
            try:
                combined = combine_types(kind, ext.label, combined, ext.type, types)
            except LinkError as err:
                importers = _importers(res, inputs, set(members))
                raise LinkError(f"{err.message} (imported by {', '.join(importers)})") from None
            if combined is None:
                break
        if combined is None:
            continue  # each declaration stays its own import of the one host object
        one = External(module, name, kind, combined)
        for ext in members:
            replace[ext] = one
    if replace:
        replace_externals(res, replace)


def _importers(res: Resolution, inputs, members: set) -> list[str]:
    return [inp.name for inp, targets in zip(inputs, res.targets) if any(t in members for t in targets)]
