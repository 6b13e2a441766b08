"""Lines of Python out, and the symbolic stack that decides when values are stored."""

from .symbolic import MAX_EXPRESSION, MEMORY, Value, render


class Emitter:
    """State shared by the instruction mixins; `Translator.__init__` sets it up."""

    # -- output --------------------------------------------------------------------------

    def emit(self, line: str, pure: bool = False, retry: bool = False):
        """Add a line; unless it is `pure` (assigns a local), pending loads go first.

        `retry`: the line is a simple statement whose only effect comes last (a store, an
        assignment), so it may run again with wrapped addresses (see UNWRAPPED).
        """
        if self.loads_pending and not pure:
            self.flush_loads()
        indent = "    " * self.indent
        if "\x01" not in line:
            self.lines.append(indent + line)
        elif retry:
            self.lines += [indent + "try:", indent + "    " + render(line, True),
                           indent + "except StructError:",
                           indent + "    " + render(line, False)]
        else:
            self.lines.append(indent + render(line, False))

    def flush_loads(self):
        self.loads_pending = False
        for h, v in enumerate(self.stack):
            if MEMORY in v.deps:
                self.materialize(h)

    def open_suite(self, header: str):
        self.emit(header)
        self.indent += 1
        return len(self.lines)

    def close_suite(self, start: int):
        if len(self.lines) == start:
            self.emit("pass", pure=True)
        self.indent -= 1
        # The suite's last line is not the only path here: `local.set` must not rewrite it.
        self.last_result = None

    # -- the symbolic stack ------------------------------------------------------------------

    def push(self, v: Value):
        if v.size > MAX_EXPRESSION:
            self.stack.append(v)
            self.materialize(len(self.stack) - 1)
        else:
            self.stack.append(v)

    def pop(self) -> Value:
        return self.stack.pop()

    def slot(self, h: int) -> Value:
        name = f"s{h}"
        return Value(name, frozenset((name,)))

    def protect(self, name: str, skip=None):
        """Store every entry reading `name` (but `skip`) before `name` is overwritten."""
        for h, v in enumerate(self.stack):
            if h != skip and name in v.deps and v.expr != f"s{h}":
                self.materialize(h)

    def materialize(self, h: int):
        v = self.stack[h]
        name = f"s{h}"
        if v.expr == name:
            return
        self.protect(name, skip=h)
        self.emit(f"{name} = {v.value()}", pure=True, retry=True)
        self.stack[h] = self.slot(h)

    def materialize_all(self, force_from: int):
        """Entries in variables: constants may stay below `force_from`, not above."""
        for h, v in enumerate(self.stack):
            if v.const is None or h >= force_from:
                if v.const is not None or v.flt or v.expr != f"s{h}":
                    name = f"s{h}"
                    self.protect(name, skip=h)
                    self.emit(f"{name} = {v.value()}", pure=True, retry=True)
                    self.stack[h] = self.slot(h)

    def assign_result(self, expr: str, count: int = 1):
        """`s{h}[, ...] = expr` for values pushed now (a call, a load...)."""
        base = len(self.stack)
        names = [f"s{base + i}" for i in range(count)]
        for name in names:
            self.protect(name)
        self.emit(f"{', '.join(names)} = {expr}")
        self.last_result = (len(self.lines), names[0])
        for i in range(count):
            self.stack.append(self.slot(base + i))

    def pop_values(self, n: int) -> list[Value]:
        if not n:
            return []
        values = self.stack[-n:]
        del self.stack[-n:]
        return values
