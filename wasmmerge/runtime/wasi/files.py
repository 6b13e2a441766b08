"""WASI `fd_*` functions: reading, writing, seeking and describing open descriptors.

Handlers are `handler(state, mem, *wasm_args) -> errno` (see process.py). Rights are
checked before anything happens (NOTCAPABLE), iovec arrays are checked against memory
before any byte moves (FAULT), and host errors come back as their WASI errno.
"""

import fcntl
import os
import stat

from . import abi
from .abi import RIGHT, U32, U64, gather, iovecs, scatter, write_bytes
from .errno import (BADF, INVAL, ISDIR, NAMETOOLONG, NOTCAPABLE, SPIPE, SUCCESS, WasiError)
from .streams import is_tty


def filetype_of(mode: int) -> int:
    if stat.S_ISREG(mode):
        return abi.FILETYPE_REGULAR_FILE
    if stat.S_ISDIR(mode):
        return abi.FILETYPE_DIRECTORY
    if stat.S_ISLNK(mode):
        return abi.FILETYPE_SYMBOLIC_LINK
    if stat.S_ISCHR(mode):
        return abi.FILETYPE_CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return abi.FILETYPE_BLOCK_DEVICE
    if stat.S_ISSOCK(mode):
        return abi.FILETYPE_SOCKET_STREAM
    return abi.FILETYPE_UNKNOWN


def pack_filestat(mem, ptr: int, st, world):
    dev, ino = world.inode(st.st_dev, st.st_ino)
    abi.FILESTAT.pack_into(mem, ptr, dev, ino, filetype_of(st.st_mode), st.st_nlink, st.st_size,
                           *world.file_times(st))


def stream_filetype(desc) -> int:
    """Standard streams: a character device when the host's is a terminal (as wasmtime says)."""
    return abi.FILETYPE_CHARACTER_DEVICE if is_tty(desc.stream) else abi.FILETYPE_UNKNOWN


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


# -- reading and writing ------------------------------------------------------------------

def fd_read(state, mem, fd, iovs_ptr, iovs_len, nread_ptr):
    desc = state.fds.get(fd, RIGHT["fd_read"])
    pairs = iovecs(mem, iovs_ptr, iovs_len)
    wanted = sum(length for _, length in pairs)
    if desc.stream is not None:
        chunk = desc.stream.read(wanted)
    elif desc.is_directory:
        return ISDIR
    else:
        chunk = os.read(desc.host_fd, wanted)
    U32.pack_into(mem, nread_ptr, scatter(mem, pairs, chunk))
    return SUCCESS


def fd_write(state, mem, fd, iovs_ptr, iovs_len, nwritten_ptr):
    desc = state.fds.get(fd, RIGHT["fd_write"])
    chunk = gather(mem, iovecs(mem, iovs_ptr, iovs_len))
    if desc.stream is not None:
        written = desc.stream.write(chunk)
    else:
        written = os.write(desc.host_fd, chunk)
    U32.pack_into(mem, nwritten_ptr, written)
    return SUCCESS


def fd_pread(state, mem, fd, iovs_ptr, iovs_len, offset, nread_ptr):
    desc = state.fds.get(fd, RIGHT["fd_read"] | RIGHT["fd_seek"])
    pairs = iovecs(mem, iovs_ptr, iovs_len)
    if desc.stream is not None:
        return SPIPE
    if desc.is_directory:
        return ISDIR
    chunk = os.pread(desc.host_fd, sum(length for _, length in pairs), offset)
    U32.pack_into(mem, nread_ptr, scatter(mem, pairs, chunk))
    return SUCCESS


def fd_pwrite(state, mem, fd, iovs_ptr, iovs_len, offset, nwritten_ptr):
    desc = state.fds.get(fd, RIGHT["fd_write"] | RIGHT["fd_seek"])
    chunk = gather(mem, iovecs(mem, iovs_ptr, iovs_len))
    if desc.stream is not None:
        return SPIPE
    U32.pack_into(mem, nwritten_ptr, os.pwrite(desc.host_fd, chunk, offset))
    return SUCCESS


WHENCE = {abi.WHENCE_SET: os.SEEK_SET, abi.WHENCE_CUR: os.SEEK_CUR, abi.WHENCE_END: os.SEEK_END}


def fd_seek(state, mem, fd, offset, whence, newoffset_ptr):
    offset = signed64(offset)
    # A zero move from the current position is a `tell`, which needs only that right.
    needed = RIGHT["fd_tell"] if (offset == 0 and whence == abi.WHENCE_CUR) else RIGHT["fd_seek"]
    desc = state.fds.get(fd, needed)
    if whence not in WHENCE:
        return INVAL
    if desc.stream is not None:
        return SPIPE
    U64.pack_into(mem, newoffset_ptr, os.lseek(desc.host_fd, offset, WHENCE[whence]))
    return SUCCESS


def fd_tell(state, mem, fd, offset_ptr):
    desc = state.fds.get(fd, RIGHT["fd_tell"])
    if desc.stream is not None:
        return SPIPE
    U64.pack_into(mem, offset_ptr, os.lseek(desc.host_fd, 0, os.SEEK_CUR))
    return SUCCESS


# -- descriptor housekeeping --------------------------------------------------------------

def fd_close(state, mem, fd):
    state.fds.close(fd)
    return SUCCESS


def fd_renumber(state, mem, fd, to):
    state.fds.renumber(fd, to)
    return SUCCESS


def fd_sync(state, mem, fd):
    desc = state.fds.get(fd, RIGHT["fd_sync"])
    if desc.host_fd is not None:
        os.fsync(desc.host_fd)
    return SUCCESS


def fd_datasync(state, mem, fd):
    desc = state.fds.get(fd, RIGHT["fd_datasync"])
    if desc.host_fd is not None:
        os.fdatasync(desc.host_fd)
    return SUCCESS


def fd_advise(state, mem, fd, offset, length, advice):
    state.fds.get(fd, RIGHT["fd_advise"])
    return INVAL if advice > abi.ADVICE_MAX else SUCCESS  # advice is only a hint


def fd_allocate(state, mem, fd, offset, length):
    desc = state.fds.get(fd, RIGHT["fd_allocate"])
    if desc.host_fd is None or desc.is_directory:
        return BADF
    size = os.fstat(desc.host_fd).st_size
    if offset + length > size:
        os.ftruncate(desc.host_fd, offset + length)
    return SUCCESS


def fd_fdstat_get(state, mem, fd, stat_ptr):
    desc = state.fds.get(fd)
    filetype = stream_filetype(desc) if desc.stream is not None else desc.filetype
    abi.FDSTAT.pack_into(mem, stat_ptr, filetype, desc.fdflags, desc.rights_base,
                         desc.rights_inheriting)
    return SUCCESS


def fd_fdstat_set_flags(state, mem, fd, flags):
    desc = state.fds.get(fd, RIGHT["fd_fdstat_set_flags"])
    if flags & ~abi.FDFLAGS_ALL:
        return INVAL
    if desc.host_fd is not None:
        host = fcntl.fcntl(desc.host_fd, fcntl.F_GETFL) & ~(os.O_APPEND | os.O_NONBLOCK)
        if flags & abi.FDFLAGS_APPEND:
            host |= os.O_APPEND
        if flags & abi.FDFLAGS_NONBLOCK:
            host |= os.O_NONBLOCK
        fcntl.fcntl(desc.host_fd, fcntl.F_SETFL, host)
    desc.fdflags = flags
    return SUCCESS


def fd_fdstat_set_rights(state, mem, fd, rights_base, rights_inheriting):
    desc = state.fds.get(fd)
    if rights_base & ~desc.rights_base or rights_inheriting & ~desc.rights_inheriting:
        return NOTCAPABLE  # rights can only be dropped
    desc.rights_base, desc.rights_inheriting = rights_base, rights_inheriting
    return SUCCESS


def fd_filestat_get(state, mem, fd, buf_ptr):
    desc = state.fds.get(fd, RIGHT["fd_filestat_get"])
    if desc.stream is not None:
        abi.FILESTAT.pack_into(mem, buf_ptr, 0, 0, stream_filetype(desc), 1, 0, 0, 0, 0)
    else:
        pack_filestat(mem, buf_ptr, os.fstat(desc.host_fd), state.world)
    return SUCCESS


def fd_filestat_set_size(state, mem, fd, size):
    desc = state.fds.get(fd, RIGHT["fd_filestat_set_size"])
    if desc.host_fd is None or desc.is_directory:
        return BADF
    os.ftruncate(desc.host_fd, size)
    return SUCCESS


def new_times(world, current, atim, mtim, fstflags):
    """(atime, mtime) in ns for utime, from the fstflags; INVAL for contradictory flags."""
    if fstflags & ~15 or (fstflags & abi.FSTFLAGS_ATIM and fstflags & abi.FSTFLAGS_ATIM_NOW) \
            or (fstflags & abi.FSTFLAGS_MTIM and fstflags & abi.FSTFLAGS_MTIM_NOW):
        raise WasiError(INVAL)
    now = world.now(abi.CLOCK_REALTIME)
    atime = atim if fstflags & abi.FSTFLAGS_ATIM else now if fstflags & abi.FSTFLAGS_ATIM_NOW \
        else current.st_atime_ns
    mtime = mtim if fstflags & abi.FSTFLAGS_MTIM else now if fstflags & abi.FSTFLAGS_MTIM_NOW \
        else current.st_mtime_ns
    return atime, mtime


def fd_filestat_set_times(state, mem, fd, atim, mtim, fstflags):
    desc = state.fds.get(fd, RIGHT["fd_filestat_set_times"])
    if desc.host_fd is None:
        return BADF
    os.utime(desc.host_fd, ns=new_times(state.world, os.fstat(desc.host_fd), atim, mtim, fstflags))
    return SUCCESS


# -- preopens and directories -------------------------------------------------------------

def fd_prestat_get(state, mem, fd, buf_ptr):
    desc = state.fds.get(fd)
    if desc.preopen_name is None:
        return BADF
    abi.PRESTAT.pack_into(mem, buf_ptr, abi.PREOPENTYPE_DIR, len(os.fsencode(desc.preopen_name)))
    return SUCCESS


def fd_prestat_dir_name(state, mem, fd, path_ptr, path_len):
    desc = state.fds.get(fd)
    if desc.preopen_name is None:
        return BADF
    name = os.fsencode(desc.preopen_name)
    if len(name) > path_len:
        return NAMETOOLONG
    write_bytes(mem, path_ptr, name)
    return SUCCESS


def directory_listing(desc, world) -> list:
    """(name bytes, inode, filetype) of `.`, `..` and each entry, sorted by name so that
    runs are reproducible (wasmtime lists in host order; POSIX promises no order)."""
    here = os.fstat(desc.host_fd)
    entries = [(b".", world.inode(here.st_dev, here.st_ino)[1], abi.FILETYPE_DIRECTORY),
               (b"..", 0, abi.FILETYPE_DIRECTORY)]
    with os.scandir(desc.host_fd) as listing:
        for entry in sorted(listing, key=lambda e: e.name):
            mode = entry.stat(follow_symlinks=False).st_mode
            entries.append((os.fsencode(entry.name), world.inode(here.st_dev, entry.inode())[1],
                            filetype_of(mode)))
    return entries


def fd_readdir(state, mem, fd, buf_ptr, buf_len, cookie, bufused_ptr):
    desc = state.fds.directory(fd, RIGHT["fd_readdir"])
    if cookie == 0 or desc.dir_entries is None:
        desc.dir_entries = directory_listing(desc, state.world)
    if buf_ptr + buf_len > len(mem):
        raise abi.GuestFault(buf_ptr)
    out = bytearray()
    for index in range(cookie, len(desc.dir_entries)):
        name, inode, filetype = desc.dir_entries[index]
        out += abi.DIRENT.pack(index + 1, inode, len(name), filetype) + name
        if len(out) >= buf_len:
            break
    # The last entry may be cut off: the guest sees a full buffer and asks again with
    # a bigger one (the witx contract).
    chunk = bytes(out[:buf_len])
    write_bytes(mem, buf_ptr, chunk)
    U32.pack_into(mem, bufused_ptr, len(chunk))
    return SUCCESS

