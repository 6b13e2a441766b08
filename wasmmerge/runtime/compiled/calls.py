"""Calls: direct, through a table or a reference, and tail calls.

A call passes `d` (frames still allowed; the callee decrements it for its own callees).
A tail call replaces the caller's frame: to itself it assigns the parameters and
restarts the function's loop; to another function it returns a TailCall, which the
trampoline of the function that was really called (`engine.run_tail`) runs in its own
frame, so Python's stack stays flat however long the chain.
"""

from .emitter import Emitter


class Calls(Emitter):
    # -- calls -------------------------------------------------------------------------------

    def call_with(self, callee: str, ft):
        args = self.pop_values(len(ft.params))
        self.calls = True
        text = f"{callee}(d{''.join(', ' + a.value() for a in args)})"
        n = len(ft.results)
        if n == 0:
            self.emit(text)
        else:
            self.assign_result(text, n)

    def op_call(self, index):
        self.call_with(f"F{index}", self.func_types[index])

    def op_call_indirect(self, typeidx, table):
        ft = self.module.types[typeidx].comp
        index = self.pop()
        i = index.value()
        if not index.is_atomic():
            self.emit(f"_i = {i}")
            i = "_i"
        # CT{typeidx}: callables of the functions of exactly this type; TE{table}: the
        # table's list of elements. A miss (out of range, null, not translated yet, a
        # subtype) is resolved, checked, and traps if it must, by CALLEE.
        start = self.open_suite("try:")
        self.emit(f"_e = CT{typeidx}[TE{table}[{i}]]")
        self.close_suite(start)
        start = self.open_suite("except LookupError:")
        self.emit(f"_e = CALLEE(T{table}, TID{typeidx}, {i})")
        self.close_suite(start)
        self.call_with("_e", ft)

    def op_call_ref(self, typeidx):
        ft = self.module.types[typeidx].comp
        ref = self.pop()
        self.protect("_e")
        self.emit(f"_e = CALLEE_REF({ref.value()})")
        self.call_with("_e", ft)

    # -- tail calls: the caller's frame is replaced, so Python's stack must not grow ---------

    def op_return_call(self, index):
        ft = self.func_types[index]
        if index != self.index:
            return self.tail_call(f"FI{index}", ft)
        args = self.pop_values(len(ft.params))
        if args:
            # One parallel assignment: every argument is read before any parameter changes.
            values = [a.float() if i in self.float_locals else a.value()
                      for i, a in enumerate(args)]
            self.emit(f"{', '.join(f'l{i}' for i in range(len(args)))} = {', '.join(values)}")
        else:
            self.flush_loads()
        self.transfer(self.labels[0])
        self.dead = True

    def op_return_call_indirect(self, typeidx, table):
        index = self.pop()
        self.emit(f"_e = RESOLVE(T{table}, TID{typeidx}, {index.value()})")
        self.tail_call("_e", self.module.types[typeidx].comp)

    def op_return_call_ref(self, typeidx):
        ref = self.pop()
        self.emit(f"_e = FUNC_REF({ref.value()})")
        self.tail_call("_e", self.module.types[typeidx].comp)

    def tail_call(self, func: str, ft):
        """Return a TailCall of function instance `func`: the trampoline of `f{index}` runs it."""
        args = self.pop_values(len(ft.params))
        self.flush_loads()
        values = "".join(a.value() + ", " for a in args)
        self.emit(f"return TailCall({func}, ({values}))")
        self.dead = True
