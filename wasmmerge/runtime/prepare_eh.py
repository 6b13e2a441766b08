"""Preparing exception handling (a mixin of `prepare._Preparer`): try_table, throw,
throw_ref, and the legacy try / catch / catch_all / rethrow / delegate.

Exceptions cost nothing until thrown. Each try body (a try_table's, or a legacy try's up
to its first catch) is a handler: an index range of the function's code, its catch
clauses, and its parent (the handler whose body encloses it). The handlers, innermost
first, are the last entry of the function's code; `engine.catch` finds the innermost
handler around the throwing instruction and walks parents (or a delegate's target).

A catch clause is `(kind, tag, target, arity_or_slot, height)`: kinds 0-3 are try_table's
catch, catch_ref, catch_all, catch_all_ref (a branch to `target` with `arity` values);
LEGACY_CATCH / LEGACY_CATCH_ALL resume at `target` with the stack cut to `height`, the
payload pushed and the exception kept in the hidden local `slot` (for `rethrow`);
DELEGATE continues the search at the handler in `target`.
"""

from .kinds import JUMP, LOCAL_GET, THROW, THROW_REF

LEGACY_CATCH, LEGACY_CATCH_ALL, DELEGATE = 4, 5, 6


class Handler:
    __slots__ = ("start", "end", "catches", "parent", "index")

    def __init__(self, start, parent):
        self.start = start
        self.end = None
        self.catches = []
        self.parent = parent  # Handler or None
        self.index = None     # position in the function's handler table, once registered

    def finish(self) -> tuple:
        def ref(h):
            return None if h is None else h.index
        catches = tuple((c[0], c[1], ref(c[2]) if c[0] == DELEGATE else c[2], c[3], c[4])
                        for c in self.catches)
        return (self.start, self.end, catches, ref(self.parent))


class ExceptionPreparer:
    def init_exceptions(self, instrs):
        """Reserve a hidden local for each legacy try (what `rethrow` rethrows)."""
        self.handlers = []
        self.hidden_locals = sum(1 for i in instrs if i.op.name == "try")
        self.next_hidden = self.nparams + len(self.local_types)

    def handler_table(self) -> tuple:
        return tuple(h.finish() for h in self.handlers)

    def _register(self, handler, end):
        handler.end = end
        handler.index = len(self.handlers)
        self.handlers.append(handler)

    def enclosing_handler(self, depth: int = 0):
        """The handler an instruction directly inside label `depth` is covered by."""
        for label in reversed(self.labels[:len(self.labels) - depth]):
            if label.kind == "try_table" or (label.kind == "try" and label.phase == "body"):
                return label.handler
        return None

    # -- try_table, throw, throw_ref -----------------------------------------------------------

    def op_try_table(self, blocktype, catches):
        # Catch labels are in the context outside the try_table.
        handler = Handler(None, self.enclosing_handler())
        for clause in catches:
            label = self.labels[-1 - clause.label]
            tag = self.module.tags[clause.tag] if clause.tag is not None else None
            entry = [clause.kind, tag, None, label.arity, label.height]
            self.branch_target(clause.label, entry, 2)
            handler.catches.append(entry)
        label = self._open("try_table", blocktype)
        label.handler = handler
        handler.start = self.barrier = len(self.code)

    def end_try_table(self, label, here):
        self._register(label.handler, here)

    def op_throw(self, index):
        tag = self.module.tags[index]
        self.emit(THROW, tag, len(tag.functype.params))
        self.dead()

    def op_throw_ref(self):
        self.emit(THROW_REF)
        self.dead()

    # -- legacy exception handling ---------------------------------------------------------------

    def op_try(self, blocktype):
        handler = Handler(None, self.enclosing_handler())
        label = self._open("try", blocktype)
        label.handler = handler
        label.phase = "body"
        label.slot = self.next_hidden
        self.next_hidden += 1
        handler.start = self.barrier = len(self.code)

    def _end_body(self, label):
        """Close the try body (at its first catch, delegate or end) or the previous catch."""
        if label.phase == "body":
            self._register(label.handler, len(self.code))
            label.phase = "catch"
        jump = self.emit(JUMP, None)
        label.patches.append((jump, 1))

    def _catch(self, kind, tag, npushed):
        label = self.labels[-1]
        self._end_body(label)
        here = self.barrier = len(self.code)
        label.handler.catches.append([kind, tag, here, label.slot, label.height])
        self.height = label.height + npushed

    def op_catch(self, index):
        tag = self.module.tags[index]
        self._catch(LEGACY_CATCH, tag, len(tag.functype.params))

    def op_catch_all(self):
        self._catch(LEGACY_CATCH_ALL, None, 0)

    def op_rethrow(self, depth):
        label = self.labels[-1 - depth]
        self.emit(LOCAL_GET, label.slot)
        self.emit(THROW_REF)
        self.dead()

    def op_delegate(self, depth):
        # The try's label is gone: `depth` counts from the block around the try.
        label = self.labels[-1]
        if label.phase == "body":
            self._register(label.handler, len(self.code))
            label.phase = "catch"
        self.labels.pop()
        label.handler.catches.append([DELEGATE, None, self.enclosing_handler(depth), 0, 0])
        self.labels.append(label)
        self.op_end()

    def end_try(self, label, here):
        if label.phase == "body":
            self._register(label.handler, here)
