"""Typing rules of the instructions the opcode table gives no fixed signature.

Each handler takes the `FuncValidator` and the `Instr`; they are registered by
instruction name in `HANDLERS`.
"""

from ..binary.types import (ANY, ARRAY, EQ, EXN, EXTERN, FUNC, I31, I32, ArrayType, NumType,
                            PackedType, RefType, StructType)
from .func import BOT_HEAP, is_defaultable

HANDLERS = {}

EXNREF = RefType(True, EXN)
FUNCREF = RefType(True, FUNC)
EQREF = RefType(True, EQ)
I31REF = RefType(True, I31)
ARRAYREF = RefType(True, ARRAY)


def handles(*names):
    def register(fn):
        for name in names:
            HANDLERS[name] = fn
        return fn
    return register


def unpacked(storage):
    return I32 if isinstance(storage, PackedType) else storage


# -- control ------------------------------------------------------------------------------

@handles("unreachable")
def _unreachable(v, ins):
    v.unreachable()


@handles("nop")
def _nop(v, ins):
    pass


def block_type(v, bt):
    if bt is None:
        return [], []
    if isinstance(bt, int):
        ft = v.ctx.func_type(bt, v)
        return list(ft.params), list(ft.results)
    return [], [v.ctx.canon_valtype(bt)]


@handles("block", "loop")
def _block(v, ins):
    params, results = block_type(v, ins.args[0])
    v.pop_vals(params)
    v.push_ctrl(ins.op.name, params, results)


@handles("if")
def _if(v, ins):
    params, results = block_type(v, ins.args[0])
    v.pop_expect(I32)
    v.pop_vals(params)
    v.push_ctrl("if", params, results)


@handles("else")
def _else(v, ins):
    if v.ctrls[-1].kind != "if":
        raise v.fail("else without matching if")
    frame = v.pop_ctrl()
    v.push_ctrl("else", frame.params, frame.results)


@handles("end")
def _end(v, ins):
    frame = v.pop_ctrl()
    if frame.kind == "if":
        # No else: the missing branch passes the parameters through as the results.
        v.push_ctrl("else", frame.params, frame.results)
        v.pop_ctrl()
    v.stack.extend(frame.results)


@handles("br")
def _br(v, ins):
    v.pop_vals(v.label(ins.args[0]).labels)
    v.unreachable()


@handles("br_if")
def _br_if(v, ins):
    labels = v.label(ins.args[0]).labels
    v.pop_expect(I32)
    v.pop_vals(labels)
    v.stack.extend(labels)


@handles("br_table")
def _br_table(v, ins):
    targets = ins.args[0]
    v.pop_expect(I32)
    default = v.label(targets[-1]).labels
    arity = len(default)
    ctrls = v.ctrls
    if max(targets) < len(ctrls) and all(ctrls[-1 - depth].labels == default for depth in set(targets)):
        # Every target takes the default's types: checking them once checks them all
        # (the loop below pops and pushes back the same values for each).
        v.pop_vals(default)
        v.unreachable()
        return
    for depth in targets[:-1]:
        labels = v.label(depth).labels
        if len(labels) != arity:
            raise v.fail("type mismatch: br_table targets have different arities")
        v.stack.extend(v.pop_vals(labels))
    v.pop_vals(default)
    v.unreachable()


@handles("return")
def _return(v, ins):
    v.pop_vals(v.results)
    v.unreachable()


def _call(v, ft):
    v.pop_vals(ft.params)
    v.stack.extend(ft.results)


def _tail_call(v, ft):
    results = v.results
    if len(ft.results) != len(results) or not all(
            v.matches(a, b) for a, b in zip(ft.results, results)):
        raise v.fail("type mismatch: tail call results differ from the function's")
    v.pop_vals(ft.params)
    v.unreachable()


@handles("call")
def _call_direct(v, ins):
    _call(v, v.ctx.func_type_of(ins.args[0], v))


@handles("return_call")
def _return_call(v, ins):
    _tail_call(v, v.ctx.func_type_of(ins.args[0], v))


def _indirect(v, ins):
    type_index, table = ins.args
    elem, is64 = v.ctx.table(table, v)
    if not v.store.ref_matches(elem, FUNCREF):
        raise v.fail("type mismatch: call_indirect on a table not of functions")
    ft = v.ctx.func_type(type_index, v)
    v.pop_expect(v.ctx.addr(is64))
    return ft


@handles("call_indirect")
def _call_indirect(v, ins):
    _call(v, _indirect(v, ins))


@handles("return_call_indirect")
def _return_call_indirect(v, ins):
    _tail_call(v, _indirect(v, ins))


def _by_ref(v, ins):
    type_index = ins.args[0]
    ft = v.ctx.func_type(type_index, v)
    v.pop_expect(RefType(True, v.ctx.type_ids[type_index]))
    return ft


@handles("call_ref")
def _call_ref(v, ins):
    _call(v, _by_ref(v, ins))


@handles("return_call_ref")
def _return_call_ref(v, ins):
    _tail_call(v, _by_ref(v, ins))


@handles("drop")
def _drop(v, ins):
    v.pop()


@handles("select")
def _select(v, ins):
    v.pop_expect(I32)
    t1 = v.pop()
    t2 = v.pop()
    if isinstance(t1, RefType) or isinstance(t2, RefType):
        raise v.fail("type mismatch: select without a type needs numeric operands")
    if t1 is not None and t2 is not None and t1 is not t2:
        raise v.fail(f"type mismatch: select operands [{t2} {t1}] differ")
    v.stack.append(t2 if t1 is None else t1)


@handles("select_t")
def _select_t(v, ins):
    types = ins.args[0]
    if len(types) != 1:
        raise v.fail("invalid result arity")
    t = v.ctx.canon_valtype(types[0])
    v.pop_expect(I32)
    v.pop_expect(t)
    v.pop_expect(t)
    v.stack.append(t)


# -- exceptions -------------------------------------------------------------------------------

@handles("throw")
def _throw(v, ins):
    v.pop_vals(v.ctx.tag_type(ins.args[0], v).params)
    v.unreachable()


@handles("throw_ref")
def _throw_ref(v, ins):
    v.pop_expect(EXNREF)
    v.unreachable()


def _check_label_accepts(v, depth, types):
    labels = v.label(depth).labels
    if len(labels) != len(types) or not all(v.matches(a, b) for a, b in zip(types, labels)):
        raise v.fail(f"type mismatch: catch label {depth} does not take [{' '.join(map(v.ctx.show, types))}]")


@handles("try_table")
def _try_table(v, ins):
    bt, catches = ins.args
    params, results = block_type(v, bt)
    v.pop_vals(params)
    for catch in catches:
        if catch.kind < 2:
            sent = list(v.ctx.tag_type(catch.tag, v).params)
        else:
            sent = []
        if catch.kind in (1, 3):
            sent.append(RefType(False, EXN))
        _check_label_accepts(v, catch.label, sent)
    v.push_ctrl("try_table", params, results)


# Legacy exception handling (try / catch / catch_all / rethrow / delegate).

@handles("try")
def _try(v, ins):
    params, results = block_type(v, ins.args[0])
    v.pop_vals(params)
    v.push_ctrl("try", params, results)


@handles("catch")
def _catch(v, ins):
    if v.ctrls[-1].kind not in ("try", "catch"):
        raise v.fail("catch without matching try")
    tag = v.ctx.tag_type(ins.args[0], v)
    frame = v.pop_ctrl()
    v.push_ctrl("catch", list(tag.params), frame.results)


@handles("catch_all")
def _catch_all(v, ins):
    if v.ctrls[-1].kind not in ("try", "catch"):
        raise v.fail("catch_all without matching try")
    frame = v.pop_ctrl()
    v.push_ctrl("catch_all", [], frame.results)


@handles("rethrow")
def _rethrow(v, ins):
    if v.label(ins.args[0]).kind not in ("catch", "catch_all"):
        raise v.fail("invalid rethrow label")
    v.unreachable()


@handles("delegate")
def _delegate(v, ins):
    if v.ctrls[-1].kind != "try":
        raise v.fail("delegate without matching try")
    frame = v.pop_ctrl()
    v.label(ins.args[0])
    v.stack.extend(frame.results)


# -- variables ---------------------------------------------------------------------------------

def _local(v, index):
    if index >= len(v.locals):
        raise v.fail(f"unknown local {index}")
    return v.locals[index]


@handles("local.get")
def _local_get(v, ins):
    index = ins.args[0]
    t = _local(v, index)
    if not is_defaultable(t) and index >= v.first_local and index not in v.initialized:
        raise v.fail(f"uninitialized local {index}")
    v.stack.append(t)


def _set_local(v, index):
    t = _local(v, index)
    v.pop_expect(t)
    if not is_defaultable(t) and index not in v.initialized:
        v.initialized.add(index)
        v.init_log.append(index)
    return t


@handles("local.set")
def _local_set(v, ins):
    _set_local(v, ins.args[0])


@handles("local.tee")
def _local_tee(v, ins):
    v.stack.append(_set_local(v, ins.args[0]))


@handles("global.get")
def _global_get(v, ins):
    v.stack.append(v.ctx.global_type(ins.args[0], v).type)


@handles("global.set")
def _global_set(v, ins):
    g = v.ctx.global_type(ins.args[0], v)
    if not g.mutable:
        raise v.fail(f"global.set of immutable global {ins.args[0]}: global is immutable")
    v.pop_expect(g.type)


# -- tables and segments -------------------------------------------------------------------------

@handles("table.get")
def _table_get(v, ins):
    elem, is64 = v.ctx.table(ins.args[0], v)
    v.pop_expect(v.ctx.addr(is64))
    v.stack.append(elem)


@handles("table.set")
def _table_set(v, ins):
    elem, is64 = v.ctx.table(ins.args[0], v)
    v.pop_expect(elem)
    v.pop_expect(v.ctx.addr(is64))


@handles("table.size")
def _table_size(v, ins):
    _, is64 = v.ctx.table(ins.args[0], v)
    v.stack.append(v.ctx.addr(is64))


@handles("table.grow")
def _table_grow(v, ins):
    elem, is64 = v.ctx.table(ins.args[0], v)
    addr = v.ctx.addr(is64)
    v.pop_expect(addr)
    v.pop_expect(elem)
    v.stack.append(addr)


@handles("table.fill")
def _table_fill(v, ins):
    elem, is64 = v.ctx.table(ins.args[0], v)
    addr = v.ctx.addr(is64)
    v.pop_expect(addr)
    v.pop_expect(elem)
    v.pop_expect(addr)


@handles("table.copy")
def _table_copy(v, ins):
    dst, src = ins.args
    dst_elem, dst64 = v.ctx.table(dst, v)
    src_elem, src64 = v.ctx.table(src, v)
    if not v.store.ref_matches(src_elem, dst_elem):
        raise v.fail(f"type mismatch: table.copy from {v.ctx.show(src_elem)} to {v.ctx.show(dst_elem)}")
    v.pop_expect(v.ctx.addr(dst64 and src64))
    v.pop_expect(v.ctx.addr(src64))
    v.pop_expect(v.ctx.addr(dst64))


@handles("table.init")
def _table_init(v, ins):
    segment, table = ins.args
    elem, is64 = v.ctx.table(table, v)
    seg_type = v.ctx.elem_type(segment, v)
    if not v.store.ref_matches(seg_type, elem):
        raise v.fail(f"type mismatch: table.init of {v.ctx.show(seg_type)} into a table of {v.ctx.show(elem)}")
    v.pop_vals([v.ctx.addr(is64), I32, I32])


@handles("elem.drop")
def _elem_drop(v, ins):
    v.ctx.elem_type(ins.args[0], v)


@handles("memory.init")
def _memory_init(v, ins):
    segment, memory = ins.args
    is64 = v.memory_is64(memory)
    v.ctx.check_data(segment, v)
    v.pop_vals([v.ctx.addr(is64), I32, I32])


@handles("data.drop")
def _data_drop(v, ins):
    v.ctx.check_data(ins.args[0], v)


@handles("memory.copy")
def _memory_copy(v, ins):
    dst, src = ins.args
    dst64, src64 = v.memory_is64(dst), v.memory_is64(src)
    v.pop_vals([v.ctx.addr(dst64), v.ctx.addr(src64), v.ctx.addr(dst64 and src64)])


@handles("memory.fill")
def _memory_fill(v, ins):
    addr = v.ctx.addr(v.memory_is64(ins.args[0]))
    v.pop_vals([addr, I32, addr])


# -- references --------------------------------------------------------------------------------

@handles("ref.null")
def _ref_null(v, ins):
    v.stack.append(RefType(True, v.ctx.canon_heap(ins.args[0], v)))


@handles("ref.is_null")
def _ref_is_null(v, ins):
    v.pop_ref()
    v.stack.append(I32)


@handles("ref.as_non_null")
def _ref_as_non_null(v, ins):
    ref = v.pop_ref()
    v.stack.append(RefType(False, ref.heap))


@handles("ref.func")
def _ref_func(v, ins):
    index = ins.args[0]
    type_id = v.ctx.func_type_id(index, v)
    if index not in v.ctx.refs:
        raise v.fail(f"undeclared function reference {index}")
    v.stack.append(RefType(False, type_id))


@handles("ref.eq")
def _ref_eq(v, ins):
    v.pop_expect(EQREF)
    v.pop_expect(EQREF)
    v.stack.append(I32)


@handles("br_on_null")
def _br_on_null(v, ins):
    labels = v.label(ins.args[0]).labels
    ref = v.pop_ref()
    v.pop_vals(labels)
    v.stack.extend(labels)
    v.stack.append(RefType(False, ref.heap))


@handles("br_on_non_null")
def _br_on_non_null(v, ins):
    labels = v.label(ins.args[0]).labels
    if not labels or not isinstance(labels[-1], RefType):
        raise v.fail("type mismatch: br_on_non_null target takes no reference")
    ref = v.pop_ref()
    if not v.matches(RefType(False, ref.heap), labels[-1]):
        raise v.fail(f"type mismatch: br_on_non_null target does not take {v.ctx.show(ref)}")
    v.pop_vals(labels[:-1])
    v.stack.extend(labels[:-1])


@handles("ref.i31")
def _ref_i31(v, ins):
    v.pop_expect(I32)
    v.stack.append(RefType(False, I31))


@handles("i31.get_s", "i31.get_u")
def _i31_get(v, ins):
    v.pop_expect(I31REF)
    v.stack.append(I32)


# With an unknown operand the result is non-null: the most precise type the operand could have.

@handles("any.convert_extern")
def _any_convert_extern(v, ins):
    ref = v.pop_expect(RefType(True, EXTERN))
    v.stack.append(RefType(ref is not None and ref.nullable, ANY))


@handles("extern.convert_any")
def _extern_convert_any(v, ins):
    ref = v.pop_expect(RefType(True, ANY))
    v.stack.append(RefType(ref is not None and ref.nullable, EXTERN))


def _same_hierarchy(v, ref, target):
    if ref.heap is not BOT_HEAP and v.store.top(ref.heap) is not v.store.top(target):
        raise v.fail(f"type mismatch: cannot cast {v.ctx.show(ref)} to {v.ctx.show(RefType(True, target))}")


@handles("ref.test", "ref.test_null")
def _ref_test(v, ins):
    heap = v.ctx.canon_heap(ins.args[0], v)
    _same_hierarchy(v, v.pop_ref(), heap)
    v.stack.append(I32)


@handles("ref.cast", "ref.cast_null")
def _ref_cast(v, ins):
    heap = v.ctx.canon_heap(ins.args[0], v)
    _same_hierarchy(v, v.pop_ref(), heap)
    v.stack.append(RefType(ins.op.name == "ref.cast_null", heap))


def _cast_types(v, ins):
    flags, depth, heap1, heap2 = ins.args
    rt1 = RefType(bool(flags & 1), v.ctx.canon_heap(heap1, v))
    rt2 = RefType(bool(flags & 2), v.ctx.canon_heap(heap2, v))
    if not v.store.ref_matches(rt2, rt1):
        raise v.fail(f"type mismatch: cast target {v.ctx.show(rt2)} is not a subtype of {v.ctx.show(rt1)}")
    labels = v.label(depth).labels
    if not labels or not isinstance(labels[-1], RefType):
        raise v.fail("type mismatch: cast branch target takes no reference")
    return rt1, rt2, labels


def _branch_on_cast(v, labels, rt1, sent, kept):
    if not v.matches(sent, labels[-1]):
        raise v.fail(f"type mismatch: branch target does not take {v.ctx.show(sent)}")
    v.pop_expect(rt1)
    v.pop_vals(labels[:-1])
    v.stack.extend(labels[:-1])
    v.stack.append(kept)


@handles("br_on_cast")
def _br_on_cast(v, ins):
    rt1, rt2, labels = _cast_types(v, ins)
    remainder = RefType(rt1.nullable and not rt2.nullable, rt1.heap)
    _branch_on_cast(v, labels, rt1, rt2, remainder)


@handles("br_on_cast_fail")
def _br_on_cast_fail(v, ins):
    rt1, rt2, labels = _cast_types(v, ins)
    remainder = RefType(rt1.nullable and not rt2.nullable, rt1.heap)
    _branch_on_cast(v, labels, rt1, remainder, rt2)


# -- structs and arrays --------------------------------------------------------------------------

def _struct(v, type_index):
    comp = v.ctx.comp(type_index, v)
    if not isinstance(comp, StructType):
        raise v.fail(f"type mismatch: type {type_index} is not a struct type")
    return comp


def _array(v, type_index):
    comp = v.ctx.comp(type_index, v)
    if not isinstance(comp, ArrayType):
        raise v.fail(f"type mismatch: type {type_index} is not an array type")
    return comp


def _ref_to(v, type_index, nullable=True):
    return RefType(nullable, v.ctx.type_ids[type_index])


@handles("struct.new")
def _struct_new(v, ins):
    comp = _struct(v, ins.args[0])
    v.pop_vals([unpacked(f.storage) for f in comp.fields])
    v.stack.append(_ref_to(v, ins.args[0], False))


@handles("struct.new_default")
def _struct_new_default(v, ins):
    comp = _struct(v, ins.args[0])
    for field in comp.fields:
        if not is_defaultable(field.storage):
            raise v.fail(f"type mismatch: field type {v.ctx.show(field.storage)} has no default value")
    v.stack.append(_ref_to(v, ins.args[0], False))


def _field(v, ins):
    type_index, field_index = ins.args
    comp = _struct(v, type_index)
    if field_index >= len(comp.fields):
        raise v.fail(f"unknown field {field_index}")
    return comp.fields[field_index]


def _check_packing(v, ins, storage):
    packed = isinstance(storage, PackedType)
    if packed != ins.op.name.endswith(("_s", "_u")):
        raise v.fail(f"type mismatch: {ins.op.name} on a field of type {storage}")


@handles("struct.get", "struct.get_s", "struct.get_u")
def _struct_get(v, ins):
    field = _field(v, ins)
    _check_packing(v, ins, field.storage)
    v.pop_expect(_ref_to(v, ins.args[0]))
    v.stack.append(unpacked(field.storage))


@handles("struct.set")
def _struct_set(v, ins):
    field = _field(v, ins)
    if not field.mutable:
        raise v.fail("immutable field")
    v.pop_expect(unpacked(field.storage))
    v.pop_expect(_ref_to(v, ins.args[0]))


@handles("array.new")
def _array_new(v, ins):
    comp = _array(v, ins.args[0])
    v.pop_vals([unpacked(comp.field.storage), I32])
    v.stack.append(_ref_to(v, ins.args[0], False))


@handles("array.new_default")
def _array_new_default(v, ins):
    comp = _array(v, ins.args[0])
    if not is_defaultable(comp.field.storage):
        raise v.fail(f"type mismatch: array element type {v.ctx.show(comp.field.storage)} has no default value")
    v.pop_expect(I32)
    v.stack.append(_ref_to(v, ins.args[0], False))


@handles("array.new_fixed")
def _array_new_fixed(v, ins):
    type_index, count = ins.args
    comp = _array(v, type_index)
    element = unpacked(comp.field.storage)
    # The count is a u32: pop what the stack holds, not up to 2^32 unknown values.
    frame = v.ctrls[-1]
    available = len(v.stack) - frame.height
    if count > available and not frame.unreachable:
        raise v.fail(f"type mismatch: array.new_fixed needs {count} operands, the stack has {available}")
    for _ in range(min(count, available)):
        v.pop_expect(element)
    v.stack.append(_ref_to(v, type_index, False))


def _numeric_array(v, type_index):
    comp = _array(v, type_index)
    storage = comp.field.storage
    if not isinstance(storage, (NumType, PackedType)):
        raise v.fail("array type is not numeric or vector")
    return comp


def _elem_into_array(v, type_index, segment):
    comp = _array(v, type_index)
    seg_type = v.ctx.elem_type(segment, v)
    if not v.matches(seg_type, comp.field.storage):
        raise v.fail(f"type mismatch: elem segment {segment} of {v.ctx.show(seg_type)} "
                     f"into an array of {v.ctx.show(comp.field.storage)}")
    return comp


@handles("array.new_data")
def _array_new_data(v, ins):
    type_index, segment = ins.args
    _numeric_array(v, type_index)
    v.ctx.check_data(segment, v)
    v.pop_vals([I32, I32])
    v.stack.append(_ref_to(v, type_index, False))


@handles("array.new_elem")
def _array_new_elem(v, ins):
    type_index, segment = ins.args
    _elem_into_array(v, type_index, segment)
    v.pop_vals([I32, I32])
    v.stack.append(_ref_to(v, type_index, False))


@handles("array.get", "array.get_s", "array.get_u")
def _array_get(v, ins):
    comp = _array(v, ins.args[0])
    _check_packing(v, ins, comp.field.storage)
    v.pop_vals([_ref_to(v, ins.args[0]), I32])
    v.stack.append(unpacked(comp.field.storage))


def _mutable_array(v, type_index):
    comp = _array(v, type_index)
    if not comp.field.mutable:
        raise v.fail("immutable array")
    return comp


@handles("array.set")
def _array_set(v, ins):
    comp = _mutable_array(v, ins.args[0])
    v.pop_vals([_ref_to(v, ins.args[0]), I32, unpacked(comp.field.storage)])


@handles("array.len")
def _array_len(v, ins):
    v.pop_expect(ARRAYREF)
    v.stack.append(I32)


@handles("array.fill")
def _array_fill(v, ins):
    comp = _mutable_array(v, ins.args[0])
    v.pop_vals([_ref_to(v, ins.args[0]), I32, unpacked(comp.field.storage), I32])


@handles("array.copy")
def _array_copy(v, ins):
    dst, src = ins.args
    dst_comp = _mutable_array(v, dst)
    src_comp = _array(v, src)
    if not v.store.storage_matches(src_comp.field.storage, dst_comp.field.storage):
        raise v.fail("array types do not match")
    v.pop_vals([_ref_to(v, dst), I32, _ref_to(v, src), I32, I32])


@handles("array.init_data")
def _array_init_data(v, ins):
    type_index, segment = ins.args
    _mutable_array(v, type_index)
    _numeric_array(v, type_index)
    v.ctx.check_data(segment, v)
    v.pop_vals([_ref_to(v, type_index), I32, I32, I32])


@handles("array.init_elem")
def _array_init_elem(v, ins):
    type_index, segment = ins.args
    _mutable_array(v, type_index)
    _elem_into_array(v, type_index, segment)
    v.pop_vals([_ref_to(v, type_index), I32, I32, I32])

