"""Preparing the GC instructions (a mixin of `prepare._Preparer`).

Struct and array instructions become callouts into `gc.py` with their type's canonical
id and storage types bound; casts carry the canonical heap type.
"""

from functools import partial

from ..binary.types import AbsHeap
from . import gc
from .kinds import BINOP, BR_ON_CAST, UNOP


class GcPreparer:
    # Stack effects of the GC instructions whose operand count is fixed.
    GC_EFFECTS = {
        "struct.new_default": (0, 1), "struct.get": (1, 1), "struct.get_s": (1, 1),
        "struct.get_u": (1, 1), "struct.set": (2, 0), "array.new": (2, 1),
        "array.new_default": (1, 1), "array.new_data": (2, 1), "array.new_elem": (2, 1),
        "array.get": (2, 1), "array.get_s": (2, 1), "array.get_u": (2, 1), "array.set": (3, 0),
        "array.len": (1, 1), "array.fill": (4, 0), "array.copy": (5, 0),
        "array.init_data": (4, 0), "array.init_elem": (4, 0), "ref.test": (1, 1),
        "ref.test_null": (1, 1), "ref.cast": (1, 1), "ref.cast_null": (1, 1),
        "any.convert_extern": (1, 1), "extern.convert_any": (1, 1), "ref.i31": (1, 1),
        "i31.get_s": (1, 1), "i31.get_u": (1, 1), "ref.eq": (2, 1),
        "br_on_cast": (0, 0), "br_on_cast_fail": (0, 0),
    }

    def heap(self, heap):
        return heap if isinstance(heap, AbsHeap) else self.module.type_ids[heap]

    def _gc(self, fn, *args):
        self._callout(getattr(gc, fn), *args)

    # -- structs ---------------------------------------------------------------------------

    def op_struct_new(self, t):
        storage = gc.field_storage(self.module.types[t])
        self.height += 1 - len(storage)
        self._gc("struct_new", self.module.type_ids[t], len(storage), storage)

    def op_struct_new_default(self, t):
        self._gc("struct_new_default", self.module.type_ids[t], gc.field_storage(self.module.types[t]))

    def _struct_get(self, t, field, signed):
        storage = gc.field_storage(self.module.types[t])[field]
        self._gc("struct_get", field, storage, signed)

    def op_struct_get(self, t, field):
        self._struct_get(t, field, False)

    def op_struct_get_s(self, t, field):
        self._struct_get(t, field, True)

    def op_struct_get_u(self, t, field):
        self._struct_get(t, field, False)

    def op_struct_set(self, t, field):
        self._gc("struct_set", field, gc.field_storage(self.module.types[t])[field])

    # -- arrays ----------------------------------------------------------------------------

    def _element(self, t):
        return gc.element_storage(self.module.types[t])

    def op_array_new(self, t):
        self._gc("array_new", self.module.type_ids[t], self._element(t))

    def op_array_new_default(self, t):
        self._gc("array_new_default", self.module.type_ids[t], self._element(t))

    def op_array_new_fixed(self, t, count):
        self.height += 1 - count
        self._gc("array_new_fixed", self.module.type_ids[t], count, self._element(t))

    def op_array_new_data(self, t, data):
        self._gc("array_new_data", self.module.type_ids[t], self._element(t), self.module.datas[data])

    def op_array_new_elem(self, t, elem):
        self._gc("array_new_elem", self.module.type_ids[t], self.module.elems[elem])

    def op_array_get(self, t):
        self._gc("array_get", self._element(t), False)

    def op_array_get_s(self, t):
        self._gc("array_get", self._element(t), True)

    def op_array_get_u(self, t):
        self._gc("array_get", self._element(t), False)

    def op_array_set(self, t):
        self._gc("array_set", self._element(t))

    def op_array_len(self):
        self._gc("array_len")

    def op_array_fill(self, t):
        self._gc("array_fill", self._element(t))

    def op_array_copy(self, dst, src):
        self._gc("array_copy")

    def op_array_init_data(self, t, data):
        self._gc("array_init_data", self._element(t), self.module.datas[data])

    def op_array_init_elem(self, t, elem):
        self._gc("array_init_elem", self.module.elems[elem])

    # -- i31, equality, casts, conversions -------------------------------------------------------

    def _unary(self, fn):
        self.emit(UNOP, fn)

    def op_ref_i31(self):
        self._unary(gc.ref_i31)

    def op_i31_get_s(self):
        self._unary(partial(gc.i31_get, True))

    def op_i31_get_u(self):
        self._unary(partial(gc.i31_get, False))

    def op_ref_eq(self):
        self.emit(BINOP, gc.ref_eq)

    def _test(self, fn, heap, nullable):
        self._unary(partial(fn, self.heap(heap), nullable, self.module.type_store))

    def op_ref_test(self, heap):
        self._test(gc.ref_test, heap, False)

    def op_ref_test_null(self, heap):
        self._test(gc.ref_test, heap, True)

    def op_ref_cast(self, heap):
        self._test(gc.ref_cast, heap, False)

    def op_ref_cast_null(self, heap):
        self._test(gc.ref_cast, heap, True)

    def op_any_convert_extern(self):
        self._unary(gc.identity)

    def op_extern_convert_any(self):
        self._unary(gc.identity)

    def _br_on_cast(self, flags, depth, target_heap, on_match):
        label = self.labels[-1 - depth]
        test = partial(gc.ref_test, self.heap(target_heap), bool(flags & 2), self.module.type_store)
        instr = self.emit(BR_ON_CAST, None, label.arity, label.height, test, on_match)
        self.branch_target(depth, instr, 1)

    def op_br_on_cast(self, flags, depth, source, target):
        self._br_on_cast(flags, depth, target, True)

    def op_br_on_cast_fail(self, flags, depth, source, target):
        self._br_on_cast(flags, depth, target, False)
