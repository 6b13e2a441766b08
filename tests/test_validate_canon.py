"""TypeStore: iso-recursive canonicalisation across modules, subtyping on canonical ids, and
the store as a type section (ids in first-seen order, explicit rec groups kept)."""

import pytest

from wasmmerge.binary.model import Module
from wasmmerge.binary.types import (ANY, ARRAY, EQ, EXN, EXTERN, FUNC, FUNCREF, I31, I32, I64,
                                    NOEXN, NOEXTERN, NOFUNC, NONE, STRUCT, ArrayType, FieldType,
                                    FuncType, GlobalType, Limits, MemType, RecGroup, RefType,
                                    StructType, SubType, TableType, TagType)
from wasmmerge.errors import ValidationError
from wasmmerge.validator.canon import TypeStore, map_externtype, map_heaps, map_valtype


def func(params=(), results=(), supers=(), final=True):
    return SubType(FuncType(tuple(params), tuple(results)), tuple(supers), final)


def struct(*fields, supers=(), final=True):
    return SubType(StructType(tuple(FieldType(t, m) for t, m in fields)), tuple(supers), final)


def ref(heap, nullable=True):
    return RefType(nullable, heap)


def test_equal_function_types_in_two_modules_share_an_id():
    store = TypeStore()
    a = store.add_module(Module(types=[func([I32], [I64]), func()]))
    b = store.add_module(Module(types=[func(), func([I32], [I64])]))
    assert a == [b[1], b[0]]
    assert len(store) == 2


def test_duplicates_within_one_module_collapse():
    store = TypeStore()
    ids = store.add_module(Module(types=[func([I32]), func([I32]), func([I64])]))
    assert ids[0] == ids[1] != ids[2]


def test_references_outside_the_group_compare_by_canonical_target():
    store = TypeStore()
    # Module A: type 0 = [] -> [], type 1 = [(ref 0)] -> []
    a = store.add_module(Module(types=[func(), func([ref(0, False)])]))
    # Module B has an unrelated type first, so the same reference is index 1.
    b = store.add_module(Module(types=[func([I64]), func(), func([ref(1, False)])]))
    assert a[1] == b[2]
    assert store.comp(a[1]).params == (RefType(False, a[0]),)


def test_recursive_groups_are_equal_structurally():
    node = [struct((ref(0), True), (I32, False))]  # a self-referential list node
    store = TypeStore()
    a = store.add_module(Module(types=node, rec_groups=[RecGroup(0, 1)]))
    # Implicit singleton groups are groups of one: the same type.
    b = store.add_module(Module(types=[func(), struct((ref(1), True), (I32, False))]))
    assert a[0] == b[1]
    assert store.subtype(a[0]).comp.fields[0].storage == RefType(True, a[0])


def test_group_membership_and_order_matter():
    store = TypeStore()
    pair = [struct((ref(1), False)), struct((ref(0), False))]
    grouped = store.add_module(Module(types=pair, rec_groups=[RecGroup(0, 2)]))
    again = store.add_module(Module(types=pair, rec_groups=[RecGroup(0, 2)]))
    assert grouped == again
    # The same two types in a different group context are different types.
    one = store.add_module(Module(types=[func(), *pair], rec_groups=[RecGroup(0, 3)]))
    assert set(one[1:]).isdisjoint(grouped)
    # The same two types listed in the other order form a different group.
    first = [struct((ref(1), False), (I32, False)), struct((ref(0), False))]
    second = [struct((ref(1), False)), struct((ref(0), False), (I32, False))]
    x = store.add_types(first, [RecGroup(0, 2)])
    y = store.add_types(second, [RecGroup(0, 2)])
    assert set(x).isdisjoint(y)
    lopsided = store.add_module(Module(types=[struct((ref(1), False)), struct((ref(1), False))],
                                       rec_groups=[RecGroup(0, 2)]))
    assert set(lopsided).isdisjoint(grouped)


def test_groups_with_nullability_or_mutability_differences_differ():
    store = TypeStore()
    a = store.add_types([struct((ref(0), True))])
    b = store.add_types([struct((ref(0, False), True))])
    c = store.add_types([struct((ref(0), False))])
    assert len({a[0], b[0], c[0]}) == 3


def test_empty_rec_groups_are_skipped():
    store = TypeStore()
    ids = store.add_types([func(), func([I32])], [RecGroup(0, 0), RecGroup(0, 2), RecGroup(2, 0)])
    again = store.add_types([func(), func([I32])], [RecGroup(0, 2)])
    assert ids == again


def test_reference_past_the_group_is_unknown_type():
    store = TypeStore()
    with pytest.raises(ValidationError, match="unknown type 1"):
        store.add_types([func([ref(1)]), func()])


def test_declared_subtyping_is_transitive_and_cross_module():
    store = TypeStore()
    base = struct((I32, False), final=False)
    mid = struct((I32, False), (I64, False), supers=[0], final=False)
    leaf = struct((I32, False), (I64, False), (I32, True), supers=[1])
    a = store.add_types([base, mid, leaf])
    assert store.is_subtype(a[2], a[0]) and store.is_subtype(a[2], a[1])
    assert not store.is_subtype(a[0], a[2])
    # The same hierarchy declared by another module is the same canonical types.
    b = store.add_types([func(), base, struct((I32, False), (I64, False), supers=[1], final=False)])
    assert b[1:] == a[:2]
    # A structurally identical type without the declared supertype is a different type.
    c = store.add_types([base, struct((I32, False), (I64, False), final=False)])
    assert c[1] != a[1] and not store.is_subtype(c[1], a[0])


def test_func_matches_is_declared_subtyping():
    store = TypeStore()
    parent, child = store.add_types([func([I32], final=False), func([I32], supers=[0])])
    other = store.add_types([func([I32])])[0]
    assert store.func_matches(child, parent)
    assert not store.func_matches(parent, child)
    assert other != parent  # a final type is not the same as a non-final one
    assert store.func_matches(other, other)


def test_abstract_heap_hierarchy():
    store = TypeStore()
    m = store.heap_matches
    assert m(I31, EQ) and m(STRUCT, ANY) and m(ARRAY, EQ) and m(EQ, ANY)
    assert m(NONE, I31) and m(NONE, STRUCT) and m(NONE, ARRAY) and m(NONE, ANY)
    assert m(NOFUNC, FUNC) and m(NOEXTERN, EXTERN) and m(NOEXN, EXN)
    assert not m(ANY, EQ) and not m(FUNC, ANY) and not m(EXTERN, ANY) and not m(I31, STRUCT)
    assert not m(NONE, FUNC) and not m(NOFUNC, ANY) and not m(EXN, ANY)


def test_concrete_heap_types_against_abstract_ones():
    store = TypeStore()
    f, s, a = store.add_types([func(), struct((I32, False)), SubType(ArrayType(FieldType(I32, True)))])
    m = store.heap_matches
    assert m(f, FUNC) and not m(f, ANY)
    assert m(s, STRUCT) and m(s, EQ) and m(s, ANY) and not m(s, ARRAY)
    assert m(a, ARRAY) and m(a, ANY) and not m(a, STRUCT)
    assert m(NOFUNC, f) and m(NONE, s) and m(NONE, a)
    assert not m(NONE, f) and not m(NOFUNC, s) and not m(FUNC, f) and not m(STRUCT, s)
    assert store.top(s) is ANY and store.bottom(f) is NOFUNC and store.bottom(EXTERN) is NOEXTERN


def test_reference_and_value_matching():
    store = TypeStore()
    (s,) = store.add_types([struct()])
    assert store.ref_matches(RefType(False, s), RefType(True, ANY))
    assert not store.ref_matches(RefType(True, s), RefType(False, ANY))
    assert store.val_matches(I32, I32) and not store.val_matches(I32, I64)
    assert not store.val_matches(I32, RefType(True, ANY))


def test_comp_matches_width_depth_and_variance():
    store = TypeStore()
    top, sub = store.add_types([struct(final=False), struct(supers=[0])])
    narrow = StructType((FieldType(RefType(True, top), False),))
    wide = StructType((FieldType(RefType(True, sub), False), FieldType(I32, True)))
    assert store.comp_matches(wide, narrow) and not store.comp_matches(narrow, wide)
    mut_narrow = StructType((FieldType(RefType(True, top), True),))
    mut_wide = StructType((FieldType(RefType(True, sub), True),))
    assert not store.comp_matches(mut_wide, mut_narrow)  # mutable fields are invariant
    takes_top = FuncType((RefType(True, top),), (RefType(True, sub),))
    takes_sub = FuncType((RefType(True, sub),), (RefType(True, top),))
    assert store.comp_matches(takes_top, takes_sub) and not store.comp_matches(takes_sub, takes_top)


def test_canon_valtype():
    store = TypeStore()
    ids = store.add_types([func([I64]), func()])
    assert store.canon_valtype(RefType(False, 1), ids) == RefType(False, ids[1])
    assert store.canon_valtype(I32, ids) is I32
    assert store.canon_valtype(RefType(True, FUNC), ids) == RefType(True, FUNC)
    with pytest.raises(ValidationError, match="unknown type 2"):
        store.canon_valtype(RefType(True, 2), ids)


# -- the store as a type section (what the merger writes) ----------------------------------

def test_types_and_explicit_groups_in_first_seen_order():
    store = TypeStore()
    pair = [struct((ref(2), False)), struct((ref(1), False))]  # at indices 1 and 2
    a = store.add_types([func(), *pair], [RecGroup(0, 0), RecGroup(1, 2)])
    # An explicit singleton equal to an implicit one seen first is that type, not a group.
    b = store.add_types([func(), func([I32])], [RecGroup(0, 1), RecGroup(1, 1)])
    assert a == [0, 1, 2] and b == [0, 3]
    assert store.rec_groups == [RecGroup(1, 2), RecGroup(3, 1)]
    assert store.types[2].comp.fields[0].storage == RefType(True, 1)
    # Ids are type indices: the store's lists are a type section that means the same types.
    again = TypeStore()
    assert again.add_types(store.types, store.rec_groups) == [0, 1, 2, 3]
    assert again.types == store.types and again.rec_groups == store.rec_groups


def test_add_func_type_reuses_an_equal_implicit_type():
    store = TypeStore()
    ids = store.add_types([func([I32]), func(final=False), func()], [RecGroup(2, 1)])
    assert store.add_func_type(FuncType((I32,))) == ids[0]
    assert store.add_func_type(FuncType()) == ids[2]  # an explicit singleton is the same type
    new = store.add_func_type(FuncType((I64,)))
    assert new == len(store) - 1 and store.comp(new) == FuncType((I64,))
    assert store.rec_groups == [RecGroup(2, 1)]


def test_mapping_type_indices_inside_types():
    shift = (10).__add__
    assert map_valtype(RefType(False, 2), shift) == RefType(False, 12)
    assert map_valtype(FUNCREF, shift) is FUNCREF and map_valtype(I32, shift) is I32
    assert map_externtype(TableType(RefType(True, 1), Limits(1)), shift) == TableType(RefType(True, 11), Limits(1))
    assert map_externtype(GlobalType(RefType(False, 0), True), shift) == GlobalType(RefType(False, 10), True)
    assert map_externtype(TagType(3), shift) == TagType(13)
    memory = MemType(Limits(1))
    assert map_externtype(memory, shift) is memory
    sub = struct((ref(0), True), (I32, False), supers=[1], final=False)
    assert map_heaps(sub, shift) == struct((ref(10), True), (I32, False), supers=[11], final=False)
