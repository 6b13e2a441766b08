"""Function bodies kept as byte ranges of the buffer they were read from: no object each.

The merger reads ~2*10^4 bodies from a 32 MB pair of inputs. As `Code` objects, each with
a memoryview of its bytes and a list of local declarations, they cost ~9 MB, and a
worker forked to rewrite them copies every page it touches when it takes a reference
to one. `CodeTable` holds one row of integers per body instead (which buffer, where its
instructions are, which local declarations) and each distinct list of local
declarations once, and refers to the buffer it was read from, which the caller holds
anyway. The merger reads its inputs this way (`reader.decode_module` with `views`) and
builds the output's bodies as rows pointing into the inputs (`adopt`).

It is a sequence of `Code`: indexing and iteration make a fresh `Code` for each access
(its body a memoryview into the buffer), so replacing a body means storing a `Code`
(`table[i] = code`), never assigning to a field of one read from it. Code that edits
bodies in place takes `list(table)` first.
"""

from .model import Code
from .rows import OBJECT, RowTable

# Row layout: ROW integers per body.
BUFFER, BODY_START, BODY_END, LOCALS = range(4)
ROW = 4


class CodeTable(RowTable):
    """A sequence of function bodies stored as rows over source buffers (see the module doc)."""

    __slots__ = ("_locals", "_locals_ids")
    ROW = ROW
    WHAT = "function body"

    def __init__(self):
        super().__init__()
        self._locals: list[tuple] = []  # each distinct list of local declarations
        self._locals_ids: dict[tuple, int] = {}

    # -- building ------------------------------------------------------------------------

    def locals_index(self, groups) -> int:
        """The index rows use for a list of local declarations `(count, type)`, added if new."""
        key = tuple(groups)
        found = self._locals_ids.get(key)
        if found is None:
            found = self._locals_ids[key] = len(self._locals)
            self._locals.append(key)
        return found

    def add_row(self, buffer: int, body_start: int, body_end: int, locals_index: int) -> None:
        """A body read from buffer number `buffer`: its instructions (final `end`
        included) at `[body_start, body_end)`, its locals those of `locals_index`."""
        self._rows.extend((buffer, body_start, body_end, locals_index))

    def append(self, code: Code) -> None:
        self._objects[len(self)] = code
        self._rows.extend((OBJECT, 0, 0, 0))

    def extend(self, codes) -> None:
        for code in codes:
            self.append(code)

    def adopt(self, source: "CodeTable", retype=None) -> None:
        """Append every body of `source`, the rows still referring to its buffers;
        `retype(locals) -> locals`, if given, maps each list of local declarations."""
        buffers = [self.buffer_index(b) for b in source._buffers]
        ids = [self.locals_index(retype(list(groups)) if retype else groups) for groups in source._locals]
        rows, own = source._rows, self._rows
        for n in range(len(source)):
            at = n * ROW
            if rows[at] == OBJECT:
                code = source._objects[n]
                self.append(Code(retype(code.locals) if retype else code.locals, code.body, code.offset))
            else:
                own.extend((buffers[rows[at]], rows[at + BODY_START], rows[at + BODY_END], ids[rows[at + LOCALS]]))

    # -- reading without making the Code ---------------------------------------------------

    def body_size(self, index: int) -> int:
        at = index * ROW
        if self._rows[at] == OBJECT:
            return len(self._objects[index].body)
        return self._rows[at + BODY_END] - self._rows[at + BODY_START]

    def body_sizes(self) -> list[int]:
        return [self.body_size(i) for i in range(len(self))]

    # -- the sequence ------------------------------------------------------------------------

    def _made(self, at: int, index: int):
        rows = self._rows
        start = rows[at + BODY_START]
        return Code(list(self._locals[rows[at + LOCALS]]), memoryview(self._buffers[rows[at]])[start:rows[at + BODY_END]],
                    start)

    def __setitem__(self, index: int, code: Code) -> None:
        self._stored(index, code)

    def __repr__(self) -> str:
        return f"CodeTable({len(self)} bodies)"
