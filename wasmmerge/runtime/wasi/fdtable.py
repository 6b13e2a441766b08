"""The descriptor table: WASI fd numbers -> open host files, directories and streams.

fds 0-2 are the standard streams, preopened directories follow from 3 in the order
given, then whatever `path_open` returns takes the lowest free number (as POSIX and
wasmtime do). Each descriptor carries its rights (base and inheriting) and fdflags;
a missing right is NOTCAPABLE, a missing descriptor BADF.
"""

import os
from dataclasses import dataclass, field

from . import abi
from .errno import BADF, NOTCAPABLE, NOTDIR, WasiError


@dataclass
class Descriptor:
    filetype: int
    rights_base: int
    rights_inheriting: int
    fdflags: int = 0
    host_fd: int | None = None      # an os-level descriptor (files and directories)
    stream: object = None           # streams.InputStream / OutputStream (fds 0-2)
    preopen_name: str | None = None  # the guest's name for a preopened directory
    dir_entries: list | None = field(default=None, repr=False)  # fd_readdir's snapshot

    @property
    def is_directory(self) -> bool:
        return self.filetype == abi.FILETYPE_DIRECTORY


class FdTable:
    def __init__(self):
        self.entries: dict[int, Descriptor] = {}

    def add(self, desc: Descriptor) -> int:
        fd = 0
        while fd in self.entries:
            fd += 1
        self.entries[fd] = desc
        return fd

    def get(self, fd: int, rights: int = 0) -> Descriptor:
        """The descriptor `fd`, checked to hold every right in `rights`."""
        desc = self.entries.get(fd)
        if desc is None:
            raise WasiError(BADF)
        if rights & ~desc.rights_base:
            raise WasiError(NOTCAPABLE)
        return desc

    def directory(self, fd: int, rights: int = 0) -> Descriptor:
        desc = self.get(fd, rights)
        if not desc.is_directory:
            raise WasiError(NOTDIR)
        return desc

    def close(self, fd: int):
        desc = self.entries.pop(fd, None)
        if desc is None:
            raise WasiError(BADF)
        release(desc)

    def renumber(self, old: int, new: int):
        self.get(old)  # both must be open: BADF otherwise
        self.get(new)
        if old == new:
            return
        release(self.entries.pop(new))
        self.entries[new] = self.entries.pop(old)

    def close_all(self):
        for desc in self.entries.values():
            release(desc)
        self.entries.clear()


def release(desc: Descriptor):
    """Close a descriptor's host fd (streams belong to the embedder and stay open)."""
    if desc.host_fd is not None:
        try:
            os.close(desc.host_fd)
        except OSError:
            pass
        desc.host_fd = None
