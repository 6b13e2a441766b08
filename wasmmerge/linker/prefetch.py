"""Reading objects ahead, on a second core.

Symbol resolution takes the command line's objects in order, so this process reads them
in order. Meanwhile a forked process reads them from the last one backwards and hands
over each object's relocations, the costliest part of reading it (an entry per relocated
site), reading no more of it than they need (`objects.relocations_alone`). The driver first enters every object's symbols
without its relocations (`objects.LATER`), then takes the relocations in order
(`take`): those the child has published by then, else reads them here. Where the two
meet, the child stops: this process announces the object it takes next, and the child
never starts one at or before it. Which process read which object never changes the
output; a child that fails, dies or falls behind only saves less time.

The two share one anonymous memory mapping, made before the fork: the announced
position, a table saying where each object's record lies, and the records (marshalled:
the built-in serializer of plain values, already loaded, where pickle would bring `re`
and more into a link's start; with a CRC-32 so that a half-written record is never used). Its size is an upper bound
on the records; the system only provides the pages written.
"""

import marshal
import mmap
import os
import struct
import zlib

from .objects import relocations_alone

_POSITION = struct.Struct("<q")  # the object this process reads next
_ENTRY = struct.Struct("<QQI")  # per object: record offset (0: none yet), length, CRC-32


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
        self.table_at = _POSITION.size
        self.records_at = self.table_at + count * _ENTRY.size
        size = self.records_at + sum(_record_bound(len(data)) for _, data in objects)
        self.shared = mmap.mmap(-1, size)
        _POSITION.pack_into(self.shared, 0, -1)
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                self._read_backwards()
                status = 0
            finally:
                os._exit(status)

    def _read_backwards(self):
        """In the child: from the last object down, until this process's announced
        position reaches the next one."""
        shared, at = self.shared, self.records_at
        for k in range(len(self.objects) - 1, -1, -1):
            if _POSITION.unpack_from(shared, 0)[0] >= k:
                return
            name, data = self.objects[k]
            try:
                record = marshal.dumps(relocations_alone(name, data))
            except Exception:  # this process reports it when it reads the object itself
                continue
            if at + len(record) > len(shared):
                return
            shared[at:at + len(record)] = record
            _ENTRY.pack_into(shared, self.table_at + k * _ENTRY.size, at, len(record), zlib.crc32(record))
            at += len(record)

    def take(self, k: int):
        """The relocations of object `k` if the child has read them (for read_object or
        read_later_relocations), else None; announces that this process reads `k` now."""
        shared = self.shared
        _POSITION.pack_into(shared, 0, k)
        at, length, crc = _ENTRY.unpack_from(shared, self.table_at + k * _ENTRY.size)
        if not at:
            return None
        record = shared[at:at + length]
        if zlib.crc32(record) != crc:
            return None
        return marshal.loads(record)

    def close(self):
        """Stop the child (it may still be reading) and free the mapping."""
        _POSITION.pack_into(self.shared, 0, len(self.objects))
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):  # already ended and reaped
            pass
        self.shared.close()

