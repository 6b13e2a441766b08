"""Instantiation: bind imports, allocate instances, initialise segments, run start.

Follows the spec's `instantiate`: imports are checked against the module's import
types (LinkError "incompatible import type"), every definition is allocated in the
store, active element and data segments are copied in order (a trap leaves earlier
writes in place and the instance unusable, as the spec says), then the start function
runs.
"""

from ..binary.code import decode_expr
from ..binary.types import FUNC_KIND, GLOBAL_KIND, KIND_NAMES, MEMORY_KIND, TABLE_KIND, TAG_KIND
from ..errors import LinkError, Trap, Unsupported
from . import gc, ops
from .engines import invoke
from .store import (FuncInstance, GlobalInstance, MemoryInstance, Store, TableInstance, TagInstance,
                    limits_match)


class ModuleInstance:
    """A module's index spaces resolved to instances, and its exports by name."""

    def __init__(self, module, name: str | None = None):
        self.module = module
        self.name = name
        self.types = [sub.comp for sub in module.types]
        self.funcs = []
        self.tables = []
        self.memories = []
        self.globals = []
        self.tags = []
        self.elems = []
        self.datas = []
        self.exports: dict = {}
        self.multi_memory = True
        self.type_ids: list[int] = []  # canonical id of each type index
        self.type_store = None  # the store's TypeStore

    def export(self, name: str):
        try:
            return self.exports[name]
        except KeyError:
            raise LinkError(f"unknown export {name!r}") from None

    def invoke(self, store: Store, name: str, *args) -> list:
        """Call an exported function with run-time values (see `values.from_python`)."""
        func = self.export(name)
        if not isinstance(func, FuncInstance):
            raise LinkError(f"export {name!r} is not a function")
        return invoke(store, func, list(args))

    def __repr__(self):
        return f"<instance {self.name or '?'}: {len(self.exports)} exports>"


def _extern_matches(store, imp, extern, ids) -> bool:
    kind = imp.kind
    types = store.types
    if kind == FUNC_KIND:
        return isinstance(extern, FuncInstance) and types.func_matches(extern.type_id, ids[imp.type])
    if kind == TABLE_KIND:
        if not isinstance(extern, TableInstance):
            return False
        expected = types.canon_valtype(imp.type.elem, ids)
        if not (types.val_matches(extern.elem_type, expected)
                and types.val_matches(expected, extern.elem_type)):
            return False
        actual = extern.type.limits.with_min(len(extern.elems))
        return limits_match(actual, imp.type.limits)
    if kind == MEMORY_KIND:
        if not isinstance(extern, MemoryInstance):
            return False
        actual = extern.type.limits.with_min(extern.pages)
        return limits_match(actual, imp.type.limits)
    if kind == TAG_KIND:
        expected = ids[imp.type.type]
        return (isinstance(extern, TagInstance) and types.is_subtype(extern.type_id, expected)
                and types.is_subtype(expected, extern.type_id))
    if kind == GLOBAL_KIND:
        if not isinstance(extern, GlobalInstance) or extern.type.mutable != imp.type.mutable:
            return False
        expected = types.canon_valtype(imp.type.type, ids)
        if not types.val_matches(extern.value_type, expected):
            return False
        return not imp.type.mutable or types.val_matches(expected, extern.value_type)
    return False


def instantiate(store: Store, module, imports: list, name: str | None = None) -> ModuleInstance:
    """Instantiate a decoded (and validated) module with `imports`, one extern per import."""
    if len(imports) != len(module.imports):
        raise LinkError(f"expected {len(module.imports)} imports, got {len(imports)}")
    inst = ModuleInstance(module, name)
    ids = inst.type_ids = store.types.add_module(module)
    inst.type_store = store.types
    for imp, extern in zip(module.imports, imports):
        if not _extern_matches(store, imp, extern, ids):
            raise LinkError(f"incompatible import type for {imp.module}.{imp.name} "
                            f"({KIND_NAMES[imp.kind]})")
        space = {FUNC_KIND: inst.funcs, TABLE_KIND: inst.tables, MEMORY_KIND: inst.memories,
                 GLOBAL_KIND: inst.globals, TAG_KIND: inst.tags}[imp.kind]
        space.append(extern)

    first = len(inst.funcs)
    for i, (typeidx, code) in enumerate(zip(module.funcs, module.codes)):
        inst.funcs.append(store.alloc_func(
            FuncInstance(inst.types[typeidx], inst, code, first + i, type_id=ids[typeidx])))
    for mem in module.memories:
        inst.memories.append(store.alloc_memory(mem))
    for tag in module.tags:
        inst.tags.append(store.alloc_tag(tag, inst.types[tag.type], ids[tag.type]))
    # Globals may refer to earlier globals (extended constants), tables to globals (3.0).
    for glob in module.globals:
        value_type = store.types.canon_valtype(glob.type.type, ids)
        inst.globals.append(store.alloc_global(glob.type, evaluate(inst, glob.init), value_type))
    for table in module.tables:
        init = evaluate(inst, table.init) if table.init is not None else None
        elem_type = store.types.canon_valtype(table.type.elem, ids)
        inst.tables.append(store.alloc_table(table.type, init, elem_type))
    for seg in module.elems:
        if seg.funcs is not None:
            refs = [inst.funcs[i] for i in seg.funcs]
        else:
            refs = [evaluate(inst, e) for e in seg.exprs]
        inst.elems.append(store.alloc_elem(seg.type, refs))
    for seg in module.datas:
        inst.datas.append(store.alloc_data(seg.data))
    spaces = {FUNC_KIND: inst.funcs, TABLE_KIND: inst.tables, MEMORY_KIND: inst.memories,
              GLOBAL_KIND: inst.globals, TAG_KIND: inst.tags}
    for export in module.exports:
        inst.exports[export.name] = spaces[export.kind][export.index]

    for seg, elem in zip(module.elems, inst.elems):
        if seg.mode == "active":
            offset = evaluate(inst, seg.offset)
            ops.init(inst.tables[seg.table], elem, offset, 0, len(elem.elems))
            elem.elems = []
        elif seg.mode == "declarative":
            elem.elems = []
    for seg, data in zip(module.datas, inst.datas):
        if seg.mode == "active":
            offset = evaluate(inst, seg.offset)
            ops.init_memory(inst.memories[seg.memory], data, offset, 0, len(data.data))
            data.data = b""
    if module.start is not None:
        invoke(store, inst.funcs[module.start], [])
    return inst


_MASK = {"i32": 0xFFFF_FFFF, "i64": 0xFFFF_FFFF_FFFF_FFFF}


def _gc_constants():
    def storage(inst, t):
        return inst.types[t]

    return {
        "struct.new": lambda inst, stack, t: gc.struct_new(
            inst.type_ids[t], len(storage(inst, t).fields), gc.field_storage(storage(inst, t)), stack),
        "struct.new_default": lambda inst, stack, t: gc.struct_new_default(
            inst.type_ids[t], gc.field_storage(storage(inst, t)), stack),
        "array.new": lambda inst, stack, t: gc.array_new(
            inst.type_ids[t], gc.element_storage(storage(inst, t)), stack),
        "array.new_default": lambda inst, stack, t: gc.array_new_default(
            inst.type_ids[t], gc.element_storage(storage(inst, t)), stack),
        "array.new_fixed": lambda inst, stack, t, n: gc.array_new_fixed(
            inst.type_ids[t], n, gc.element_storage(storage(inst, t)), stack),
        "ref.i31": lambda inst, stack: stack.append(gc.ref_i31(stack.pop())),
        "any.convert_extern": lambda inst, stack: None,
        "extern.convert_any": lambda inst, stack: None,
    }


_GC_CONSTANTS = _gc_constants()


def evaluate(inst: ModuleInstance, expr):
    """The value of a constant expression."""
    stack = []
    for instr in decode_expr(expr):
        name = instr.op.name
        if name in ("i32.const", "i64.const"):
            stack.append(instr.args[0] & _MASK[name[:3]])
        elif name in ("f32.const", "f64.const", "v128.const"):
            stack.append(instr.args[0])
        elif name == "ref.null":
            stack.append(None)
        elif name == "ref.func":
            stack.append(inst.funcs[instr.args[0]])
        elif name == "global.get":
            stack.append(inst.globals[instr.args[0]].value)
        elif name in ("i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"):
            b = stack.pop()
            a = stack.pop()
            result = a + b if name.endswith("add") else a - b if name.endswith("sub") else a * b
            stack.append(result & _MASK[name[:3]])
        elif name in _GC_CONSTANTS:
            _GC_CONSTANTS[name](inst, stack, *instr.args)
        elif name == "end":
            break
        else:
            raise Unsupported(f"unsupported: constant instruction {name}")
    if len(stack) != 1:
        raise Trap("constant expression left no single value")
    return stack[0]
