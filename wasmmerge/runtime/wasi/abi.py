"""WASI preview 1 data layout: flags, rights, enums and struct layouts (typenames.witx).

Also the guest-memory accessors every handler uses. A guest pointer or length that
leaves linear memory raises `GuestFault`, which the dispatcher answers with FAULT:
a bad pointer is the guest's error, never a Python exception escaping the host.
"""

import struct

# -- enums -------------------------------------------------------------------------------
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_THREAD_CPUTIME = 0, 1, 2, 3
WHENCE_SET, WHENCE_CUR, WHENCE_END = 0, 1, 2
FILETYPE_UNKNOWN = 0
FILETYPE_BLOCK_DEVICE = 1
FILETYPE_CHARACTER_DEVICE = 2
FILETYPE_DIRECTORY = 3
FILETYPE_REGULAR_FILE = 4
FILETYPE_SOCKET_DGRAM = 5
FILETYPE_SOCKET_STREAM = 6
FILETYPE_SYMBOLIC_LINK = 7
EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
PREOPENTYPE_DIR = 0
ADVICE_MAX = 5  # normal, sequential, random, willneed, dontneed, noreuse

# -- flags -------------------------------------------------------------------------------
FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC = 1, 2, 4, 8, 16
FDFLAGS_ALL = 31
OFLAGS_CREAT, OFLAGS_DIRECTORY, OFLAGS_EXCL, OFLAGS_TRUNC = 1, 2, 4, 8
OFLAGS_ALL = 15
LOOKUPFLAGS_SYMLINK_FOLLOW = 1
FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW = 1, 2, 4, 8
SUBCLOCKFLAGS_ABSTIME = 1
EVENTRWFLAGS_HANGUP = 1

# -- rights: bit i is the i-th right of the witx `$rights` flags -------------------------
RIGHT_NAMES = (
    "fd_datasync", "fd_read", "fd_seek", "fd_fdstat_set_flags", "fd_sync", "fd_tell",
    "fd_write", "fd_advise", "fd_allocate", "path_create_directory", "path_create_file",
    "path_link_source", "path_link_target", "path_open", "fd_readdir", "path_readlink",
    "path_rename_source", "path_rename_target", "path_filestat_get",
    "path_filestat_set_size", "path_filestat_set_times", "fd_filestat_get",
    "fd_filestat_set_size", "fd_filestat_set_times", "path_symlink",
    "path_remove_directory", "path_unlink_file", "poll_fd_readwrite", "sock_shutdown",
    "sock_accept",
)
RIGHT = {name: 1 << bit for bit, name in enumerate(RIGHT_NAMES)}
RIGHTS_ALL = (1 << len(RIGHT_NAMES)) - 1

# What makes sense on each kind of descriptor (as wasmtime and wasi-libc assume).
RIGHTS_FILE = (RIGHT["fd_datasync"] | RIGHT["fd_read"] | RIGHT["fd_seek"]
               | RIGHT["fd_fdstat_set_flags"] | RIGHT["fd_sync"] | RIGHT["fd_tell"]
               | RIGHT["fd_write"] | RIGHT["fd_advise"] | RIGHT["fd_allocate"]
               | RIGHT["fd_filestat_get"] | RIGHT["fd_filestat_set_size"]
               | RIGHT["fd_filestat_set_times"] | RIGHT["poll_fd_readwrite"])
RIGHTS_DIRECTORY = (RIGHT["fd_fdstat_set_flags"] | RIGHT["fd_sync"] | RIGHT["fd_advise"]
                    | RIGHT["path_create_directory"] | RIGHT["path_create_file"]
                    | RIGHT["path_link_source"] | RIGHT["path_link_target"]
                    | RIGHT["path_open"] | RIGHT["fd_readdir"] | RIGHT["path_readlink"]
                    | RIGHT["path_rename_source"] | RIGHT["path_rename_target"]
                    | RIGHT["path_filestat_get"] | RIGHT["path_filestat_set_size"]
                    | RIGHT["path_filestat_set_times"] | RIGHT["fd_filestat_get"]
                    | RIGHT["fd_filestat_set_times"] | RIGHT["path_symlink"]
                    | RIGHT["path_remove_directory"] | RIGHT["path_unlink_file"])
RIGHTS_STREAM = (RIGHT["fd_read"] | RIGHT["fd_write"] | RIGHT["fd_fdstat_set_flags"]
                 | RIGHT["fd_filestat_get"] | RIGHT["poll_fd_readwrite"])

# -- structs (little-endian, witx sizes and offsets) --------------------------------------
IOVEC = struct.Struct("<II")              # buf, buf_len (ciovec the same)
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
PRESTAT = struct.Struct("<B3xI")          # tag (dir), pr_name_len
FDSTAT = struct.Struct("<BxH4xQQ")        # filetype, flags, rights_base, rights_inheriting
FILESTAT = struct.Struct("<QQB7xQQQQQ")   # dev, ino, filetype, nlink, size, atim, mtim, ctim
DIRENT = struct.Struct("<QQIB3x")         # d_next, d_ino, d_namlen, d_type (name follows)
SUBSCRIPTION = struct.Struct("<QB7x")     # userdata, tag; the union body follows at 16
SUBSCRIPTION_SIZE = 48
SUBSCRIPTION_CLOCK = struct.Struct("<IxxxxQQH")  # id, timeout, precision, flags (at 16)
SUBSCRIPTION_FD = U32                     # file_descriptor (at 16)
EVENT = struct.Struct("<QHB5xQH6x")       # userdata, error, type, nbytes, flags
assert EVENT.size == 32 and FILESTAT.size == 64 and FDSTAT.size == 24 and DIRENT.size == 24


class GuestFault(Exception):
    """A guest pointer/length outside linear memory: the dispatcher answers FAULT."""


def read_bytes(data: bytearray, ptr: int, length: int) -> bytes:
    if ptr + length > len(data):
        raise GuestFault(ptr)
    return bytes(data[ptr:ptr + length])


def write_bytes(data: bytearray, ptr: int, chunk: bytes):
    end = ptr + len(chunk)
    if end > len(data):
        raise GuestFault(ptr)
    data[ptr:end] = chunk


def read_string(data: bytearray, ptr: int, length: int) -> str:
    """A guest path or name: UTF-8 (invalid sequences are ILSEQ-worthy, decoded leniently here)."""
    return read_bytes(data, ptr, length).decode("utf-8", "surrogateescape")


def iovecs(data: bytearray, ptr: int, count: int) -> list:
    """The (address, length) pairs of an iovec array, each checked against memory."""
    if ptr + count * 8 > len(data):
        raise GuestFault(ptr)
    pairs = [IOVEC.unpack_from(data, ptr + 8 * i) for i in range(count)]
    size = len(data)
    for buf, length in pairs:
        if buf + length > size:
            raise GuestFault(buf)
    return pairs


def gather(data: bytearray, pairs) -> bytes:
    """The bytes an iovec list names, concatenated (for writes)."""
    if len(pairs) == 1:
        buf, length = pairs[0]
        return bytes(data[buf:buf + length])
    return b"".join(data[buf:buf + length] for buf, length in pairs)


def scatter(data: bytearray, pairs, chunk: bytes) -> int:
    """Spread `chunk` over the iovec buffers in order; the number of bytes placed."""
    done = 0
    for buf, length in pairs:
        piece = chunk[done:done + length]
        data[buf:buf + len(piece)] = piece
        done += len(piece)
        if done >= len(chunk):
            break
    return done
