"""Reading objects' relocations ahead, on a second core.

The driver first reads every object without its relocations (`objects.LATER`) and enters
its symbols; meanwhile a forked process reads the objects' relocations, the costliest
part of reading an object (an entry per relocated site), from the first object on,
reading no more of each object than they need (`objects.RelocationReader`), and
publishes them. The work comes in units: an object, or a part of a large one
(`objects.relocation_parts`: a run of its reloc.* sections), so that a link of a few
large objects is shared too. Marking then takes the relocations as it needs them
(`LaterRelocations`, marklive.py): the units published, and while none it can use is,
this process reads the last units nobody has read yet, lowering the limit that the other
process reads up to. So both work until every unit is read, this one marking between
its reads. Which process read which unit never changes the output; a child that fails,
dies or falls behind only saves less time.

The two share one anonymous memory mapping, made before the fork: the limit, the unit
the child is reading, a table saying where each unit's record lies, and the records (marshalled: the built-in
serializer of plain values, already loaded, where pickle would bring `re` and more into
a link's start; with a CRC-32 so that a half-written record is never used). Its size is
an upper bound on the records; the system only provides the pages written.
"""

import marshal
import mmap
import os
import struct
import time
import zlib

from ..errors import WasmError
from .objects import RelocationReader, read_later_relocations, relocations_read

_LIMIT = struct.Struct("<q")  # the child reads units below this index
_CURRENT = struct.Struct("<q")  # (after the limit) the unit the child is reading; past the last when done
# Per unit: its record's length and CRC-32, then its offset (0: none yet), each 8 bytes
# and aligned. The child writes the offset last, in a store of its own: this process,
# reading it first, sees the rest once it sees the offset; and a record that does not
# check (a half-written entry where that order is not kept) is simply read here.
_ENTRY = struct.Struct("<QQQ")
_CHECK = struct.Struct("<QQ")
_OFFSET = struct.Struct("<Q")
_WAIT = 0.0002  # seconds between looks at a unit the child is about to publish
_MAX_WAIT = 5.0  # and the most to wait for it before reading it here (a child stopped, not ended)


def _record_bound(size: int, payload: int) -> int:
    """The most the record of a part of an object of `size` bytes can take, its reloc.*
    sections holding `payload` bytes: at most one relocation per 3 bytes of them, 17
    bytes at most each (4-byte offsets and indices, 8-byte addends), and a type named per
    3, a marshalled int of 5; a chunk per 2 bytes of the object, 4 bytes of bounds. (A
    record that would not fit stops the child: this process reads the rest itself.)"""
    return 6 * payload + 2 * payload + 2 * size + 4096


class Prefetch:
    """`units`: (name, bytes, part, payload) of each part to read, an object's or a part
    of one (`objects.relocation_parts`: part None and payload the object's size for a
    whole object)."""

    def __init__(self, units: list[tuple[str, bytes, range | None, int]]):
        self.units = units
        count = len(units)
        self.table_at = _LIMIT.size + _CURRENT.size
        self.records_at = self.table_at + count * _ENTRY.size
        size = self.records_at + sum(_record_bound(len(data), payload) for _, data, _, payload in units)
        self.shared = mmap.mmap(-1, size)
        _LIMIT.pack_into(self.shared, 0, count)
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                self._read_forwards()
                status = 0
            finally:
                os._exit(status)

    def _read_forwards(self):
        """In the child: from the first unit on, while below this process's limit."""
        shared, at = self.shared, self.records_at
        reader = None  # of the object whose parts are being read (they come together)
        try:
            for k, (name, data, part, _) in enumerate(self.units):
                if _LIMIT.unpack_from(shared, 0)[0] <= k:
                    return
                _CURRENT.pack_into(shared, _LIMIT.size, k)
                try:
                    if reader is None or reader.data is not data:
                        reader = RelocationReader(name, data)
                    record = marshal.dumps(reader.read(part))
                except Exception:  # this process reports it when it reads the object itself
                    continue
                if at + len(record) > len(shared):
                    return
                shared[at:at + len(record)] = record
                entry = self.table_at + k * _ENTRY.size
                _CHECK.pack_into(shared, entry, len(record), zlib.crc32(record))
                _OFFSET.pack_into(shared, entry + _CHECK.size, at)
                at += len(record)
        finally:
            _CURRENT.pack_into(shared, _LIMIT.size, len(self.units))

    def published(self, k: int):
        """The relocations of unit `k` if the child has published them (for
        read_later_relocations), else None."""
        shared = self.shared
        entry = self.table_at + k * _ENTRY.size
        at, = _OFFSET.unpack_from(shared, entry + _CHECK.size)
        if not at:
            return None
        length, crc = _CHECK.unpack_from(shared, entry)
        record = shared[at:at + length]
        if not length or zlib.crc32(record) != crc:
            return None
        try:
            return marshal.loads(record)
        except (EOFError, ValueError, TypeError):  # (a record that checks but is not one)
            return None

    def reading(self, k: int) -> bool:
        """Whether the child is reading unit `k` now (then it will publish it soon, unless
        it fails on it)."""
        if _CURRENT.unpack_from(self.shared, _LIMIT.size)[0] != k:
            return False
        try:
            return os.waitpid(self.pid, os.WNOHANG)[0] == 0  # (0: still running)
        except ChildProcessError:  # ended, and reaped already
            return False

    def limit(self, k: int):
        """The child starts no unit at or after `k` (this process reads those)."""
        _LIMIT.pack_into(self.shared, 0, k)

    def close(self):
        """Stop the child (it may still be reading) and free the mapping."""
        self.limit(0)
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):  # already ended and reaped
            pass
        self.shared.close()


class LaterRelocations:
    """The objects read without their relocations (`objects.LATER`), given them as they
    are needed, a unit at a time (an object, or a part of a large one): the first unit
    not yet read, if the child has published it, else the last one, read here. Marking
    takes them (marklive.py) whenever it can mark nothing more without; whatever needs
    every object's relocations first calls `finish`.

    Errors come as when each object is read whole in turn: one found in a unit read out
    of order is raised once every unit before it in the objects' order is read."""

    def __init__(self, units: list[tuple[int, range | None]], prefetch: Prefetch):
        self.units = units  # (the object's place among `objects`, its part), as Prefetch's
        self.objects = []  # (filled by the driver as it reads them)
        self.prefetch = prefetch
        self.front = 0  # units [0, front) are read
        self.back = len(units)  # and units [back, len)
        self.unread = [0] * (max((k for k, _ in units), default=-1) + 1)  # by object: its units not read
        for k, _ in units:
            self.unread[k] += 1
        self.failed = False  # an object's error was raised: nothing more is read

    def next(self):
        """An object whose relocations are now all read, or None when every one's are."""
        if self.back and self.units[self.back - 1][0] >= len(self.objects):
            # The link stopped at an input before every object was read: none after it.
            while self.back and self.units[self.back - 1][0] >= len(self.objects):
                self.back -= 1
            self.prefetch.limit(self.back)
        waited = 0.0
        while self.front < self.back and not self.failed:
            published = self.prefetch.published(self.front)
            if published is not None:
                self.front += 1
                obj = self._read(self.front - 1, published)
            elif self.back - self.front == 1 and waited < _MAX_WAIT and self.prefetch.reading(self.front):
                # The last unit, which the child is reading: wait for it rather than read
                # it twice (a large object's largest part, in a link of a few objects).
                time.sleep(_WAIT)
                waited += _WAIT
                continue
            else:
                # The child is reading the first (or could not: a malformed object): this
                # process reads the last, unless the child has published it.
                self.back -= 1
                self.prefetch.limit(self.back)
                try:
                    obj = self._read(self.back, self.prefetch.published(self.back))
                except WasmError:  # (a malformed section's DecodeError, a bad relocation's LinkError)
                    self.failed = True
                    self._read_earlier(self.back)
                    raise
            if obj is not None:
                return obj
        return None

    def _read(self, unit: int, published):
        """Unit `unit` read (`published`, or read here); its object if that was its last."""
        k, part = self.units[unit]
        obj = self.objects[k]
        read_later_relocations(obj, published, part)
        self.unread[k] -= 1
        if self.unread[k]:
            return None
        relocations_read(obj)
        return obj

    def _read_earlier(self, failed: int):
        """Before the error of unit `failed` (read out of order) is raised: every unit not
        yet read that comes before it in the objects' order (an object, then its parts in
        file order), in that order, so that the first error is raised."""
        def place(unit):
            k, part = self.units[unit]
            return k, part.start if part is not None else 0
        for unit in sorted(range(self.front, self.back), key=place):
            if place(unit) < place(failed):
                self._read(unit, self.prefetch.published(unit))

    def finish(self):
        """Every object given its relocations (the first malformed one's error raised)."""
        while self.next() is not None:
            pass

    def close(self):
        self.prefetch.close()
