"""The merged type section: rec groups deduplicated structurally.

Types are iso-recursive: a rec group is identified by its shape, with references inside
the group written relative to it and references outside it by their merged index (already
canonical, because a group can only refer backwards). Two equal groups, from the same
module or from different ones, become one. A type not in an explicit `rec` group is a
group of one, exactly as the spec defines it. (The validator's `canon.TypeStore` interns
the same way; it is used for subtyping on the result, see `resolve.Matcher`.)
"""

from ..binary.types import (AbsHeap, ArrayType, FieldType, FuncType, GlobalType, RecGroup,
                            RefType, StructType, SubType, TableType, TagType)


def map_valtype(t, f):
    """A value or storage type with every type index `i` replaced by `f(i)`."""
    if isinstance(t, RefType) and not isinstance(t.heap, AbsHeap):
        return RefType(t.nullable, f(t.heap))
    return t


def _map_field(fld: FieldType, f) -> FieldType:
    return FieldType(map_valtype(fld.storage, f), fld.mutable)


def map_subtype(sub: SubType, f) -> SubType:
    comp = sub.comp
    if isinstance(comp, FuncType):
        comp = FuncType(tuple(map_valtype(t, f) for t in comp.params),
                        tuple(map_valtype(t, f) for t in comp.results))
    elif isinstance(comp, StructType):
        comp = StructType(tuple(_map_field(x, f) for x in comp.fields))
    else:
        comp = ArrayType(_map_field(comp.field, f))
    return SubType(comp, tuple(f(s) for s in sub.supers), sub.final, sub.bare)


def map_externtype(t, f):
    """Table, global and tag types with their type indices mapped; others unchanged."""
    if isinstance(t, TableType):
        return TableType(map_valtype(t.elem, f), t.limits)
    if isinstance(t, GlobalType):
        return GlobalType(map_valtype(t.type, f), t.mutable)
    if isinstance(t, TagType):
        return TagType(f(t.type), t.attribute)
    return t


def module_groups(module) -> list[tuple[int, int, bool]]:
    """(start, size, explicit) of every rec group of a module, in order."""
    explicit = {g.start: g.size for g in module.rec_groups if g.size}
    groups = []
    i = 0
    while i < len(module.types):
        size = explicit.get(i)
        if size:
            groups.append((i, size, True))
            i += size
        else:
            groups.append((i, 1, False))
            i += 1
    return groups


class TypeSpace:
    """The merged type list, built module by module."""

    def __init__(self):
        self.types: list[SubType] = []
        self.rec_groups: list[RecGroup] = []
        self._groups: dict[tuple, int] = {}  # shape -> start index in `types`

    def add_module(self, module) -> list[int]:
        """Add a module's types; returns the merged index of each of its type indices."""
        mapping = [0] * len(module.types)
        for start, size, explicit in module_groups(module):
            def relative(i, start=start, size=size):
                if start <= i < start + size:
                    return ("rec", i - start)
                if i >= start:
                    raise _forward(i)
                return mapping[i]
            shape = tuple(map_subtype(module.types[i], relative) for i in range(start, start + size))
            merged = self._intern(shape, explicit or size > 1)
            for k in range(size):
                mapping[start + k] = merged + k
        return mapping

    def intern_func(self, func: FuncType) -> int:
        """The merged index of a final function type without supertypes, added if missing."""
        return self._intern((SubType(func),), False)

    def _intern(self, shape: tuple, explicit: bool) -> int:
        found = self._groups.get(shape)
        if found is not None:
            return found
        start = len(self.types)

        def absolute(i):
            return start + i[1] if isinstance(i, tuple) else i
        self.types.extend(map_subtype(sub, absolute) for sub in shape)
        if explicit:
            self.rec_groups.append(RecGroup(start, len(shape)))
        self._groups[shape] = start
        return start


def _forward(i):
    from ..errors import ValidationError
    return ValidationError(f"type {i} is referenced before its rec group")
