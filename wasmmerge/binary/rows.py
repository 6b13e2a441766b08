"""What the row tables (`bodies.CodeTable`, `segments.DataSegments`) share: rows of
integers in an array, the source buffers the rows point into, each numbered once, and
the behaviour of a sequence (each subclass gives `__len__` and `__getitem__`)."""

from array import array

OBJECT = 0xFFFFFFFF  # the buffer number of a row held as an object instead (`append`, `__setitem__`)


class RowTable:
    __slots__ = ("_buffers", "_buffer_numbers", "_rows", "_objects")
    ROW = 1  # integers per row (each subclass its own)
    WHAT = "row"  # what a row is, for the index error

    def __init__(self):
        self._buffers: list = []  # the buffers rows refer to (bytes, never copied)
        # id(buffer) -> its number: a merge of thousands of inputs adopts a table per
        # input, so the lookup must not scan the list. (`_buffers` keeps each alive, so
        # an id is never reused while it is listed.)
        self._buffer_numbers: dict[int, int] = {}
        self._rows = array("I")
        self._objects: dict[int, object] = {}  # rows held as objects, by index

    def buffer_index(self, buffer) -> int:
        """The number rows use for `buffer`, added if new."""
        number = self._buffer_numbers.get(id(buffer))
        if number is None:
            if len(buffer) >= OBJECT and self._rows.typecode == "I":
                self._rows = array("Q", self._rows)  # positions past 4 GiB
            number = self._buffer_numbers[id(buffer)] = len(self._buffers)
            self._buffers.append(buffer)
        return number

    def _made(self, at: int, index: int):
        """The object row `index` (at `at` in the rows) stands for: each subclass's own."""
        raise NotImplementedError

    def _stored(self, index: int, item) -> int:
        """`item` held as an object for row `index` (after the bounds check); the index."""
        if index < 0:
            index += len(self)
        self[index]  # noqa: B018 -- the bounds check
        self._objects[index] = item
        self._rows[index * self.ROW] = OBJECT
        return index

    def __len__(self) -> int:
        return len(self._rows) // self.ROW

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"{self.WHAT} index out of range")
        at = index * self.ROW
        if self._rows[at] == OBJECT:
            return self._objects[index]
        return self._made(at, index)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, (type(self), list)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    def __add__(self, other):
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)
