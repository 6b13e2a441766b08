"""Type canonicalisation across modules: one `TypeStore`, any number of modules.

WebAssembly 3.0 types are equal iso-recursively: two rec groups are the same when they
are structurally identical, where a reference into its own group is compared by its
position in the group and a reference outside it by the (already canonical) type it
names. `TypeStore` interns rec groups under exactly that key, so after `add_module`
two type indices (of the same or of different modules) denote equal types if and only
if they map to the same canonical id.

API (all ids are canonical ids, ints handed out by the store):

* `add_module(module) -> list[int]`: the canonical id of each of the module's type
  indices; `add_types(types, rec_groups)` does the same from the raw lists.
  Raises `ValidationError("unknown type N")` for a reference past its rec group.
* `types`, `rec_groups`: every canonical type by id, and the explicit rec groups among
  them, in first-seen order. Canonical ids are handed out in order, so a store holding
  exactly the types of one merged module *is* its type section, ids being type indices
  (the merger builds its output this way). A group is explicit when it was first seen as
  one (a `rec` in the input, or more than one type); an equal implicit singleton shares it.
* `add_func_type(functype)`: the id of a final function type without supertypes, added
  as an implicit singleton group if missing.
* `subtype(id)`: the `SubType` with every concrete heap type and supertype as a
  canonical id; `comp(id)` its composite type; `kind(id)` "func", "struct" or "array".
* `is_subtype(a, b)`: declared subtyping (reflexive, transitive).
* `func_matches(actual, expected)`: import matching of function types (3.0: declared
  subtyping; for 2.0 modules, which have no supertypes, this is type equality).
* `heap_matches(a, b)`, `ref_matches(a, b)`, `val_matches(a, b)`: subtyping of heap,
  reference and value types whose concrete heap types are canonical ids, including the
  abstract hierarchy (none <: i31/struct/array <: eq <: any, nofunc <: func, ...).
* `canon_valtype(t, ids)`: a module-relative value type made canonical with `ids`
  (the list `add_module` returned).
* `top(heap)`, `bottom(heap)`: the top / bottom abstract heap type of a heap's hierarchy.
* `comp_matches(a, b)`: structural subtyping of composite types, used to check that a
  declared supertype is a valid one.

`map_heaps`, `map_valtype` and `map_externtype` rewrite the type indices inside a sub
type, a value type and an import's type with any function (module-relative to canonical,
one input's indices to the merged ones).
"""

from dataclasses import dataclass

from ..binary.types import (ANY, ARRAY, EQ, EXN, EXTERN, FUNC, I31, NOEXN, NOEXTERN, NOFUNC,
                            NONE, STRUCT, AbsHeap, ArrayType, FieldType, FuncType, GlobalType,
                            PackedType, RecGroup, RefType, StructType, SubType, TableType,
                            TagType)
from ..errors import ValidationError


@dataclass(frozen=True, slots=True)
class RecRef:
    """A reference to the type at `index` within the rec group being interned (keys only)."""

    index: int


# Abstract heap types: their direct supertype (None for the tops) and their hierarchy's top.
_ABS_PARENT = {ANY: None, EQ: ANY, I31: EQ, STRUCT: EQ, ARRAY: EQ, NONE: I31,
               FUNC: None, NOFUNC: FUNC, EXTERN: None, NOEXTERN: EXTERN, EXN: None, NOEXN: EXN}
_TOP = {ANY: ANY, EQ: ANY, I31: ANY, STRUCT: ANY, ARRAY: ANY, NONE: ANY,
        FUNC: FUNC, NOFUNC: FUNC, EXTERN: EXTERN, NOEXTERN: EXTERN, EXN: EXN, NOEXN: EXN}
_BOTTOM = {ANY: NONE, FUNC: NOFUNC, EXTERN: NOEXTERN, EXN: NOEXN}
_COMP_HEAP = {FuncType: FUNC, StructType: STRUCT, ArrayType: ARRAY}


def _abs_sub(a: AbsHeap, b: AbsHeap) -> bool:
    if a is b:
        return True
    if a is NONE:  # below every type of the any hierarchy, not only i31
        return _TOP[b] is ANY
    while a is not None:
        if a is b:
            return True
        a = _ABS_PARENT[a]
    return False


def map_valtype(t, heap_map):
    """A value or storage type with its concrete heap type `x` replaced by `heap_map(x)`."""
    if isinstance(t, RefType) and not isinstance(t.heap, AbsHeap):
        return RefType(t.nullable, heap_map(t.heap), t.short)
    return t


def map_externtype(t, heap_map):
    """A table, global or tag type with its type indices mapped; other types unchanged."""
    if isinstance(t, TableType):
        return TableType(map_valtype(t.elem, heap_map), t.limits)
    if isinstance(t, GlobalType):
        return GlobalType(map_valtype(t.type, heap_map), t.mutable)
    if isinstance(t, TagType):
        return TagType(heap_map(t.type), t.attribute)
    return t


def map_heaps(st: SubType, heap_map) -> SubType:
    """`st` with every concrete heap type and supertype `x` replaced by `heap_map(x)`."""

    def val(t):
        return map_valtype(t, heap_map)

    def field(f: FieldType):
        return f if isinstance(f.storage, PackedType) else FieldType(val(f.storage), f.mutable)

    comp = st.comp
    if isinstance(comp, FuncType):
        comp = FuncType(tuple(map(val, comp.params)), tuple(map(val, comp.results)))
    elif isinstance(comp, StructType):
        comp = StructType(tuple(map(field, comp.fields)))
    else:
        comp = ArrayType(field(comp.field))
    return SubType(comp, tuple(map(heap_map, st.supers)), st.final, st.bare)


def _is_closed(st: SubType) -> bool:
    """A function type without supertypes naming no type index: interned as it is."""
    if st.supers or type(st.comp) is not FuncType:
        return False
    comp = st.comp
    return all(not isinstance(t, RefType) or isinstance(t.heap, AbsHeap) for t in comp.params + comp.results)


def rec_group_spans(count: int, rec_groups) -> list[tuple[int, int]]:
    """(start, size) of every rec group, implicit singleton groups included, in order."""
    return [(start, size) for start, size, _ in _rec_group_spans(count, rec_groups)]


def _rec_group_spans(count: int, rec_groups) -> list[tuple[int, int, bool]]:
    """(start, size, explicit) of every rec group, implicit singleton groups included."""
    # An empty `rec` defines no types and starts where the next group does.
    explicit = {g.start: g.size for g in rec_groups if g.size}
    spans, index = [], 0
    while index < count:
        size = explicit.get(index)
        spans.append((index, size or 1, size is not None))
        index += size or 1
    return spans


class TypeStore:
    """Interned types of any number of modules; see the module docstring for the API."""

    def __init__(self):
        self._groups: dict[tuple, int] = {}  # rec group key -> canonical id of its first type
        self.types: list[SubType] = []  # by canonical id
        self.rec_groups: list[RecGroup] = []  # the explicit groups, in id order
        # By canonical id: the declared supertype (None for none) and the length of the
        # supertype chain. Walking the chain keeps memory linear however deep it is.
        self._parent: list[int | None] = []
        self._depth: list[int] = []

    def __len__(self) -> int:
        return len(self.types)

    # -- interning ---------------------------------------------------------------------

    def add_module(self, module) -> list[int]:
        return self.add_types(module.types, module.rec_groups)

    def add_types(self, types, rec_groups=()) -> list[int]:
        ids: list[int] = []
        closed: dict[int, int] = {}  # id() of a closed sub type of `types` -> its canonical id
        for start, size, explicit in _rec_group_spans(len(types), rec_groups):
            if size == 1 and not explicit:
                st = types[start]
                known = closed.get(id(st))
                if known is not None:
                    ids.append(known)
                    continue
                if _is_closed(st):
                    closed[id(st)] = known = self._add_closed(st)
                    ids.append(known)
                    continue
            ids.extend(self.add_group(types[start:start + size], ids, explicit))
        return ids

    def _add_closed(self, st: SubType) -> int:
        """`add_group([st])` for a sub type that names no type index: it is its own key."""
        key = (st,)
        first = self._groups.get(key)
        if first is None:
            first = self._groups[key] = len(self.types)
            self.types.append(st)
            self._parent.append(None)
            self._depth.append(0)
        return first

    def add_func_type(self, functype: FuncType) -> int:
        return self.add_group([SubType(functype)], [], False)[0]

    def add_group(self, group, ids: list[int], explicit: bool = True) -> list[int]:
        """Intern one rec group whose earlier types have canonical ids `ids`.

        `explicit`: a `rec` group rather than an implicit singleton (see `rec_groups`)."""
        start, end = len(ids), len(ids) + len(group)

        def relative(index):
            if index < start:
                return ids[index]
            if index < end:
                return RecRef(index - start)
            raise ValidationError(f"unknown type {index}")

        key = tuple(map_heaps(st, relative) for st in group)
        first = self._groups.get(key)
        if first is not None:
            return list(range(first, first + len(group)))
        first = len(self.types)
        self._groups[key] = first
        if explicit or len(group) > 1:
            self.rec_groups.append(RecGroup(first, len(group)))

        def absolute(ref):
            return first + ref.index if isinstance(ref, RecRef) else ref

        for st in key:
            canonical = map_heaps(st, absolute)
            own = len(self.types)
            self.types.append(canonical)
            # Only an earlier supertype counts (the validator rejects any other, and more
            # than one); a module declaring another one never passes validation.
            sup = canonical.supers[0] if len(canonical.supers) == 1 else None
            if sup is not None and sup < own:
                self._parent.append(sup)
                self._depth.append(self._depth[sup] + 1)
            else:
                self._parent.append(None)
                self._depth.append(0)
        return list(range(first, first + len(group)))

    # -- looking up ----------------------------------------------------------------------

    def subtype(self, type_id: int) -> SubType:
        return self.types[type_id]

    def comp(self, type_id: int):
        return self.types[type_id].comp

    def kind(self, type_id: int) -> str:
        return _COMP_HEAP[type(self.types[type_id].comp)].name

    def describe(self, type_id: int) -> str:
        return f"{self.kind(type_id)} type #{type_id} {self.types[type_id].comp}"

    def canon_valtype(self, t, ids: list[int]):
        """A module-relative value (or storage) type with its type index made canonical."""
        if not isinstance(t, RefType) or isinstance(t.heap, AbsHeap):
            return t
        if t.heap >= len(ids):
            raise ValidationError(f"unknown type {t.heap}")
        return RefType(t.nullable, ids[t.heap])

    # -- subtyping -------------------------------------------------------------------------

    def is_subtype(self, a: int, b: int) -> bool:
        if a == b:
            return True
        steps = self._depth[a] - self._depth[b]
        if steps <= 0:
            return False
        parent = self._parent
        for _ in range(steps):
            a = parent[a]
        return a == b

    def func_matches(self, actual: int, expected: int) -> bool:
        return self.is_subtype(actual, expected)

    def top(self, heap) -> AbsHeap:
        if isinstance(heap, AbsHeap):
            return _TOP[heap]
        return _TOP[_COMP_HEAP[type(self.types[heap].comp)]]

    def bottom(self, heap) -> AbsHeap:
        return _BOTTOM[self.top(heap)]

    def heap_matches(self, a, b) -> bool:
        if a is b or a == b:
            return True
        a_abs, b_abs = isinstance(a, AbsHeap), isinstance(b, AbsHeap)
        if a_abs and b_abs:
            return _abs_sub(a, b)
        if a_abs:  # only a bottom is below a concrete type
            return a is _BOTTOM.get(self.top(b))
        if b_abs:
            return _abs_sub(_COMP_HEAP[type(self.types[a].comp)], b)
        return self.is_subtype(a, b)

    def ref_matches(self, a: RefType, b: RefType) -> bool:
        return (b.nullable or not a.nullable) and self.heap_matches(a.heap, b.heap)

    def val_matches(self, a, b) -> bool:
        if a is b:
            return True
        if isinstance(a, RefType) and isinstance(b, RefType):
            return self.ref_matches(a, b)
        return a == b

    def storage_matches(self, a, b) -> bool:
        if isinstance(a, PackedType) or isinstance(b, PackedType):
            return a is b
        return self.val_matches(a, b)

    def field_matches(self, a: FieldType, b: FieldType) -> bool:
        if a.mutable != b.mutable:
            return False
        if a.mutable:  # mutable fields are invariant
            return self.storage_matches(a.storage, b.storage) and self.storage_matches(b.storage, a.storage)
        return self.storage_matches(a.storage, b.storage)

    def comp_matches(self, a, b) -> bool:
        """Structural subtyping of composite types with canonical heap types."""
        if isinstance(a, FuncType) and isinstance(b, FuncType):
            return (len(a.params) == len(b.params) and len(a.results) == len(b.results)
                    and all(self.val_matches(y, x) for x, y in zip(a.params, b.params))
                    and all(self.val_matches(x, y) for x, y in zip(a.results, b.results)))
        if isinstance(a, StructType) and isinstance(b, StructType):
            return (len(a.fields) >= len(b.fields)
                    and all(self.field_matches(x, y) for x, y in zip(a.fields, b.fields)))
        if isinstance(a, ArrayType) and isinstance(b, ArrayType):
            return self.field_matches(a.field, b.field)
        return False
