"""Reading objects' relocations ahead, on a second core.

The driver first reads every object without its relocations (`objects.LATER`) and enters
its symbols; meanwhile a forked process reads the objects' relocations, the costliest
part of reading an object (an entry per relocated site), from the first object on,
reading no more of each object than they need (`objects.relocations_alone`), and
publishes them. Marking then takes the relocations as it needs them
(`LaterRelocations`, marklive.py): those published, and while none it can use is, this
process reads the last objects nobody has read yet, lowering the limit that the other
process reads up to. So both work until every object is read, this one marking between
its reads. Which process read which object never changes the output; a child that
fails, dies or falls behind only saves less time.

The two share one anonymous memory mapping, made before the fork: the limit, a table
saying where each object's record lies, and the records (marshalled: the built-in
serializer of plain values, already loaded, where pickle would bring `re` and more into
a link's start; with a CRC-32 so that a half-written record is never used). Its size is
an upper bound on the records; the system only provides the pages written.
"""

import marshal
import mmap
import os
import struct
import zlib

from ..errors import WasmError
from .objects import read_later_relocations, relocations_alone

_LIMIT = struct.Struct("<q")  # the child reads objects below this index
# Per object: its record's length and CRC-32, then its offset (0: none yet), each 8 bytes
# and aligned. The child writes the offset last, in a store of its own: this process,
# reading it first, sees the rest once it sees the offset; and a record that does not
# check (a half-written entry where that order is not kept) is simply read here.
_ENTRY = struct.Struct("<QQQ")
_CHECK = struct.Struct("<QQ")
_OFFSET = struct.Struct("<Q")


def _record_bound(size: int) -> int:
    """The most a record of an object of `size` bytes can take: at most one relocation
    per 3 bytes, 17 bytes at most each (4-byte offsets and indices, 8-byte addends); a
    chunk per 2 bytes, 4 bytes of bounds; a type named per 3 bytes, a marshalled int of
    5. (A record that would not fit stops the child: this process reads the rest itself.)"""
    return 6 * size + 2 * size + 2 * size + 4096


class Prefetch:
    def __init__(self, objects: list[tuple[str, bytes]]):
        self.objects = objects
        count = len(objects)
        self.table_at = _LIMIT.size
        self.records_at = self.table_at + count * _ENTRY.size
        size = self.records_at + sum(_record_bound(len(data)) for _, data in objects)
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
        """In the child: from the first object on, while below this process's limit."""
        shared, at = self.shared, self.records_at
        for k, (name, data) in enumerate(self.objects):
            if _LIMIT.unpack_from(shared, 0)[0] <= k:
                return
            try:
                record = marshal.dumps(relocations_alone(name, data))
            except Exception:  # this process reports it when it reads the object itself
                continue
            if at + len(record) > len(shared):
                return
            shared[at:at + len(record)] = record
            entry = self.table_at + k * _ENTRY.size
            _CHECK.pack_into(shared, entry, len(record), zlib.crc32(record))
            _OFFSET.pack_into(shared, entry + _CHECK.size, at)
            at += len(record)

    def published(self, k: int):
        """The relocations of object `k` if the child has published them (for
        read_object or read_later_relocations), else None."""
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

    def limit(self, k: int):
        """The child starts no object at or after `k` (this process reads those)."""
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
    are needed: the first object not yet given them, if the child has published its
    relocations, else the last one, read here. Marking takes them (marklive.py) whenever
    it can mark nothing more without; whatever needs every object's relocations first
    calls `finish`.

    Errors come as when each object is read whole in turn: one found in an object read
    here out of order is raised once every object before it is read."""

    def __init__(self, objects: list, prefetch: Prefetch):
        self.objects = objects  # (filled by the driver as it reads them)
        self.prefetch = prefetch
        self.front = 0  # objects [0, front) have their relocations
        self.back = None  # objects [back, len) too, read here (None: until the first is taken)
        self.failed = False  # an object's error was raised: nothing more is read

    def next(self):
        """An object given its relocations now, or None when every one has them."""
        if self.back is None:
            self.back = len(self.objects)
        if self.front == self.back or self.failed:
            return None
        published = self.prefetch.published(self.front)
        if published is not None:
            obj = self.objects[self.front]
            self.front += 1
            read_later_relocations(obj, published)
            return obj
        # The child is reading the first (or could not: a malformed object): this process
        # reads the last, unless the child has published it.
        self.back -= 1
        self.prefetch.limit(self.back)
        obj = self.objects[self.back]
        try:
            read_later_relocations(obj, self.prefetch.published(self.back))
        except WasmError:  # (a malformed section's DecodeError, a bad relocation's LinkError)
            self.failed = True
            while self.front < self.back:  # an earlier object's error first
                read_later_relocations(self.objects[self.front], self.prefetch.published(self.front))
                self.front += 1
            raise
        return obj

    def finish(self):
        """Every object given its relocations (the first malformed one's error raised)."""
        while self.next() is not None:
            pass

    def close(self):
        self.prefetch.close()
