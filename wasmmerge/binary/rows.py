"""What the row tables (`bodies.CodeTable`, `segments.DataSegments`) share: rows of
integers in an array, the source buffers the rows point into, each numbered once, and
the behaviour of a sequence (each subclass gives `__len__` and `__getitem__`)."""

from array import array

OBJECT = 0xFFFFFFFF  # the buffer number of a row held as an object instead (`append`, `__setitem__`)


class RowTable:
    __slots__ = ("_buffers", "_buffer_numbers", "_rows")

    def __init__(self):
        self._buffers: list = []  # the buffers rows refer to (bytes, never copied)
        # id(buffer) -> its number: a merge of thousands of inputs adopts a table per
        # input, so the lookup must not scan the list. (`_buffers` keeps each alive, so
        # an id is never reused while it is listed.)
        self._buffer_numbers: dict[int, int] = {}
        self._rows = array("I")

    def buffer_index(self, buffer) -> int:
        """The number rows use for `buffer`, added if new."""
        number = self._buffer_numbers.get(id(buffer))
        if number is None:
            if len(buffer) >= OBJECT and self._rows.typecode == "I":
                self._rows = array("Q", self._rows)  # positions past 4 GiB
            number = self._buffer_numbers[id(buffer)] = len(self._buffers)
            self._buffers.append(buffer)
        return number

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
