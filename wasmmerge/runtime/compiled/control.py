"""Structured control as Python control: blocks, loops, ifs, branches, returns.

A block or loop that some branch targets is a `while True:` (`break` leaves a block,
`continue` restarts a loop); an untargeted block is inlined. A branch across several
Python loops sets `_br` to its label's id and breaks; after each loop it crossed, a check
breaks again, or stops and leaves its own loop the right way.
"""

from ...binary.types import block_signature
from .emitter import Emitter
from .fuel import fuel_charge
from .symbolic import MEMORY, Label, Untranslatable, Value

MAX_PY_LOOPS = 18           # CPython: at most 20 statically nested blocks


def block_arity(module, blocktype) -> tuple[int, int]:
    signature = block_signature(blocktype, module.types)
    if signature is None:
        raise Untranslatable("non-function block type")
    return signature


class ControlFlow(Emitter):
    # -- control -------------------------------------------------------------------------------

    def innermost_loop(self):
        for label in reversed(self.labels):
            if label.pyloop:
                return label
        return None

    def open_label(self, kind, blocktype, pyloop):
        nparams, nresults = block_arity(self.module, blocktype)
        height = len(self.stack) - nparams
        if pyloop:
            self.materialize_all(height)
        label = Label(kind, height, nparams, nresults, self.next_id, pyloop)
        self.next_id += 1
        self.labels.append(label)
        if pyloop:
            self.py_loops += 1
            if self.py_loops > MAX_PY_LOOPS:
                raise Untranslatable("too many statically nested blocks")
            label.arm_lines = self.open_suite("while True:")
            if kind == "loop":
                self.charge_fuel(self.pos)
        return label

    def charge_fuel(self, pos):
        """With fuel: charge the region starting here (a loop iteration, an if arm, the
        code after a `br_if`)."""
        cost = self.fuel_costs.get(pos, 0) if self.fuel else 0
        if cost:
            for line in fuel_charge(cost):
                self.emit(line)

    def op_block(self, blocktype):
        self.open_label("block", blocktype, self.pos in self.targeted)

    def op_loop(self, blocktype):
        self.open_label("loop", blocktype, self.pos in self.targeted)

    def op_if(self, blocktype):
        cond = self.pop()
        pyloop = self.pos in self.targeted
        nparams, _ = block_arity(self.module, blocktype)
        self.materialize_all(len(self.stack) - nparams)
        label = self.open_label("if", blocktype, pyloop)
        # The function's last instruction: each arm returns rather than join to return.
        label.returns = self.pos == self.final_if and not pyloop
        label.snapshot = list(self.stack)
        label.arm_lines = self.open_suite(f"if {cond.expr}:")
        self.charge_fuel(self.pos)

    def store_results(self, label):
        """Fall-through to a join: the label's results into its slots."""
        self.flush_loads()
        values = self.stack[len(self.stack) - label.nresults:]
        self.assign_slots(label.height, values)
        del self.stack[label.height:]
        for i in range(label.nresults):
            self.stack.append(self.slot(label.height + i))

    def assign_slots(self, height, values):
        names, exprs = [], []
        for i, v in enumerate(values):
            name = f"s{height + i}"
            if v.expr != name or v.flt:
                names.append(name)
                exprs.append(v.value())
        if names:
            self.emit(f"{', '.join(names)} = {', '.join(exprs)}", retry=True)

    def op_else(self):
        label = self.labels[-1]
        self.arm_done(label)
        self.close_suite(label.arm_lines)
        label.arm_lines = self.open_suite("else:")
        self.charge_fuel(self.pos)
        label.has_else = True
        self.stack = list(label.snapshot)
        self.dead = False

    def arm_done(self, label):
        """Falling off the end of a block, loop or if arm: to the join, or return."""
        if self.dead:
            return
        if label.returns:
            self.emit_return()
            return
        label.reaches_end = True
        if label.pyloop or label.kind == "if":
            self.store_results(label)

    def op_end(self):
        label = self.labels.pop()
        if label.kind == "func":
            if not self.dead:
                self.emit_return()
            return
        self.arm_done(label)
        if label.kind == "if":
            self.close_suite(label.arm_lines)
            if not label.has_else:
                label.reaches_end = True
        if label.pyloop:
            self.emit("break")
            self.indent -= 1
            self.py_loops -= 1
            self.check_pending(label)
        reachable = label.reaches_end or (label.pyloop and label.kind != "loop")
        if reachable and (label.pyloop or label.kind == "if" or self.dead):
            del self.stack[label.height:]
            for i in range(label.nresults):
                self.stack.append(self.slot(label.height + i))
        self.dead = not reachable
        self.dead_depth = 0

    def check_pending(self, label):
        if not label.pending:
            return
        outer = self.innermost_loop()
        if outer is None:
            raise Untranslatable("branch past every loop")
        leave = "continue" if outer.restarts else "break"
        start = self.open_suite("if _br:")
        if outer.id in label.pending:
            if label.pending == {outer.id}:
                self.emit("_br = 0")
                self.emit(leave)
            else:
                inner = self.open_suite(f"if _br == {outer.id}:")
                self.emit("_br = 0")
                self.emit(leave)
                self.close_suite(inner)
                self.emit("break")
        else:
            self.emit("break")
        self.close_suite(start)

    def transfer(self, label):
        """Jump to `label` once its values are in place."""
        inner = self.innermost_loop()
        if inner is label:
            self.emit("continue" if label.restarts else "break")
            return
        self.uses_br = True
        self.emit(f"_br = {label.id}")
        self.emit("break")
        for outer in reversed(self.labels):
            if outer is label:
                break
            if outer.pyloop:
                outer.pending.add(label.id)

    def branch(self, depth: int):
        label = self.labels[-1 - depth]
        if label.kind == "func":
            self.emit_return()
            return
        self.flush_loads()
        n = label.arity
        self.assign_slots(label.height, self.stack[len(self.stack) - n:] if n else [])
        self.transfer(label)

    def emit_return(self):
        self.flush_loads()
        n = len(self.type.results)
        values = self.stack[len(self.stack) - n:] if n else []
        if not values:
            self.emit("return")
        elif len(values) == 1:
            self.emit(f"return {values[0].value()}", retry=True)
        else:
            self.emit(f"return ({', '.join(v.value() for v in values)})", retry=True)

    def op_br(self, depth):
        self.branch(depth)
        self.dead = True

    def op_br_if(self, depth):
        cond = self.pop()
        start = self.open_suite(f"if {cond.expr}:")
        self.branch(depth)
        self.close_suite(start)
        self.charge_fuel(self.pos)  # the code after a branch not taken

    def op_br_table(self, depths):
        index = self.pop()
        if len(set(depths)) == 1:
            if MEMORY in index.deps:  # unused, but its load may trap
                self.emit(index.expr, retry=True)
            self.branch(depths[0])
            self.dead = True
            return
        if not index.is_atomic():
            self.protect("_i")
            self.emit(f"_i = {index.value()}")
            index = Value("_i")
        groups = {}
        for i, depth in enumerate(depths[:-1]):
            groups.setdefault(depth, []).append(i)
        default = depths[-1]
        groups.pop(default, None)
        if len(depths) > 8:
            table = f"BT{self.index}_{self.pos}"
            numbering = {depth: k for k, depth in enumerate(groups)}
            entries = ", ".join(f"{i}: {numbering[d]}" for d, idx in groups.items() for i in idx)
            self.preamble.append(f"{table} = {{{entries}}}")
            self.emit(f"_k = {table}.get({index.expr}, -1)")
            tests = [f"_k == {numbering[d]}" for d in groups]
        else:
            tests = []
            for d, idx in groups.items():
                tests.append(" or ".join(f"{index.expr} == {i}" for i in idx))
        keyword = "if"
        for test, depth in zip(tests, groups):
            start = self.open_suite(f"{keyword} {test}:")
            self.branch(depth)
            self.close_suite(start)
            keyword = "elif"
        start = self.open_suite("else:")
        self.branch(default)
        self.close_suite(start)
        self.dead = True

    def op_return(self):
        self.emit_return()
        self.dead = True

    def op_unreachable(self):
        self.emit("raise Trap('unreachable')")
        self.dead = True

    def op_nop(self):
        pass
