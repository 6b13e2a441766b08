"""Parametric instructions, locals, globals, references, tables and bulk memory."""

from .emitter import Emitter
from .symbolic import MEMORY, Value

# Instructions run by a helper of `ops.py` on a small list standing for the value stack:
# name -> (pops, pushes, immediate kinds in order).
CALLOUTS = {
    "table.grow": (2, 1), "table.fill": (3, 0), "table.copy": (3, 0), "table.init": (3, 0),
    "elem.drop": (0, 0), "memory.init": (3, 0), "data.drop": (0, 0), "memory.copy": (3, 0),
    "memory.fill": (3, 0),
}


class Variables(Emitter):
    # -- parametric, variables ---------------------------------------------------------------

    def op_drop(self):
        v = self.pop()
        if MEMORY in v.deps:  # still evaluated: it may trap
            self.emit(v.expr, pure=True, retry=True)

    def op_select(self, types=None):
        # Python evaluates one arm, wasm both: a load in either must run (and may trap).
        for h in (len(self.stack) - 3, len(self.stack) - 2):
            if MEMORY in self.stack[h].deps:
                self.materialize(h)
        cond = self.pop()
        b = self.pop()
        a = self.pop()
        self.push(Value(f"({a.value()} if {cond.expr} else {b.value()})",
                        a.deps | b.deps | cond.deps, size=a.size + b.size + cond.size + 1))

    op_select_t = op_select

    def op_local_get(self, index):
        self.used_locals.add(index)
        name = f"l{index}"
        self.push(Value(name, frozenset((name,)), flt=index in self.float_locals))

    def op_local_set(self, index):
        self.used_locals.add(index)
        v = self.pop()
        name = f"l{index}"
        lines = len(self.lines)
        self.protect(name)
        if (self.last_result == (lines, v.expr) == (len(self.lines), f"s{len(self.stack)}")
                and not v.flt and index not in self.float_locals):
            # `s3 = call(...)` then `l1 = s3`: assign the local directly.
            target, _, expr = self.lines[-1].partition(" = ")
            self.lines[-1] = target[:len(target) - len(v.expr)] + name + " = " + expr
            return
        if v.expr != name:
            self.emit(f"{name} = {v.float() if index in self.float_locals else v.value()}",
                      pure=True, retry=True)

    def op_local_tee(self, index):
        self.op_local_set(index)
        self.op_local_get(index)

    def op_global_get(self, index):
        if self.module_global_mutable(index):
            self.assign_result(f"G{index}.value")
        else:
            self.push(Value(f"g{index}"))

    def module_global_mutable(self, index) -> bool:
        return self.module.global_types()[index].mutable

    def op_global_set(self, index):
        v = self.pop()
        self.emit(f"G{index}.value = {v.value()}", retry=True)

    # -- references, tables, bulk memory -----------------------------------------------------

    def op_ref_null(self, heap):
        self.push(Value("None", const=None))

    def op_ref_is_null(self):
        v = self.pop()
        self.push(Value(f"({v.value()} is None)", v.deps, cond=True, size=v.size + 1))

    def op_ref_func(self, index):
        self.push(Value(f"FI{index}"))

    def op_ref_as_non_null(self):
        v = self.pop()
        self.assign_result(f"NON_NULL({v.value()})")

    def op_table_get(self, table):
        index = self.pop()
        self.assign_result(f"T{table}.get({index.value()})")

    def op_table_set(self, table):
        value = self.pop()
        index = self.pop()
        self.emit(f"T{table}.set({index.value()}, {value.value()})")

    def op_table_size(self, table):
        self.assign_result(f"len(T{table}.elems)")

    def op_memory_size(self, memory):
        self.assign_result(f"(len(M{memory}) >> 16)")

    def op_memory_grow(self, memory):
        delta = self.pop()
        self.assign_result(f"GROW(MEM{memory}, {delta.value()})")

    def callout(self, name, instances):
        pops, pushes = CALLOUTS[name]
        args = self.pop_values(pops)
        self.protect("_k")
        self.emit(f"_k = [{', '.join(a.value() for a in args)}]")
        self.emit(f"OP_{name.replace('.', '_')}({''.join(i + ', ' for i in instances)}_k)")
        if pushes:
            self.assign_result("_k[-1]")

    def op_table_grow(self, table):
        self.callout("table.grow", [f"T{table}"])

    def op_table_fill(self, table):
        self.callout("table.fill", [f"T{table}"])

    def op_table_copy(self, dst, src):
        self.callout("table.copy", [f"T{dst}", f"T{src}"])

    def op_table_init(self, elem, table):
        self.callout("table.init", [f"T{table}", f"E{elem}"])

    def op_elem_drop(self, elem):
        self.callout("elem.drop", [f"E{elem}"])

    def op_memory_init(self, data, memory):
        self.callout("memory.init", [f"MEM{memory}", f"D{data}"])

    def op_data_drop(self, data):
        self.callout("data.drop", [f"D{data}"])

    def op_memory_copy(self, dst, src):
        self.callout("memory.copy", [f"MEM{dst}", f"MEM{src}"])

    def op_memory_fill(self, memory):
        self.callout("memory.fill", [f"MEM{memory}"])
