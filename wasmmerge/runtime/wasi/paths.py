"""WASI `path_*` functions: opening, creating, renaming and inspecting files by path.

Every path goes through `sandbox.resolve` first, so the host call below it gets a
directory fd and one plain name, never a path that could leave the preopen; host calls
never follow a symlink themselves (`follow_symlinks=False`, `O_NOFOLLOW`).
"""

import os

from . import abi
from .abi import RIGHT, U32, read_string, write_bytes
from .errno import INVAL, NOTCAPABLE, SUCCESS
from .fdtable import Descriptor
from .files import filetype_of, new_times, pack_filestat
from .sandbox import resolve

WRITE_RIGHTS = RIGHT["fd_write"] | RIGHT["fd_allocate"] | RIGHT["fd_filestat_set_size"]
READ_RIGHTS = RIGHT["fd_read"] | RIGHT["fd_readdir"]
SYNC_FLAGS = ((abi.FDFLAGS_DSYNC, os.O_DSYNC), (abi.FDFLAGS_RSYNC, getattr(os, "O_RSYNC", 0)),
              (abi.FDFLAGS_SYNC, os.O_SYNC), (abi.FDFLAGS_NONBLOCK, os.O_NONBLOCK),
              (abi.FDFLAGS_APPEND, os.O_APPEND))


def guest_path(state, mem, fd, path_ptr, path_len, rights, follow):
    """Resolve a guest path relative to directory `fd` holding `rights`."""
    directory = state.fds.directory(fd, rights)
    return resolve(directory.host_fd, read_string(mem, path_ptr, path_len), follow)


def open_flags(oflags: int, rights_base: int, fdflags: int) -> int:
    flags = os.O_CLOEXEC | os.O_NOFOLLOW
    if oflags & abi.OFLAGS_DIRECTORY:
        flags |= os.O_DIRECTORY | os.O_RDONLY
    elif rights_base & WRITE_RIGHTS:
        flags |= os.O_RDWR if rights_base & READ_RIGHTS else os.O_WRONLY
    else:
        flags |= os.O_RDONLY
    if oflags & abi.OFLAGS_CREAT:
        flags |= os.O_CREAT
    if oflags & abi.OFLAGS_EXCL:
        flags |= os.O_EXCL
    if oflags & abi.OFLAGS_TRUNC:
        flags |= os.O_TRUNC
    for wasi_flag, host_flag in SYNC_FLAGS:
        if fdflags & wasi_flag:
            flags |= host_flag
    return flags


def path_open(state, mem, fd, dirflags, path_ptr, path_len, oflags, rights_base,
              rights_inheriting, fdflags, fd_ptr):
    if oflags & ~abi.OFLAGS_ALL or fdflags & ~abi.FDFLAGS_ALL:
        return INVAL
    needed = RIGHT["path_open"]
    if oflags & abi.OFLAGS_CREAT:
        needed |= RIGHT["path_create_file"]
    if oflags & abi.OFLAGS_TRUNC:
        needed |= RIGHT["path_filestat_set_size"]
    parent = state.fds.directory(fd, needed)
    U32.pack_into(mem, fd_ptr, 0)  # a bad result pointer faults before anything is opened
    follow = bool(dirflags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
    with resolve(parent.host_fd, read_string(mem, path_ptr, path_len), follow) as where:
        host_fd = os.open(where.name, open_flags(oflags, rights_base, fdflags), 0o666,
                          dir_fd=where.dir_fd)
    try:
        filetype = filetype_of(os.fstat(host_fd).st_mode)
    except OSError:
        os.close(host_fd)
        raise
    # Rights narrow: what was asked, what the parent passes on, what the kind allows.
    allowed = abi.RIGHTS_DIRECTORY if filetype == abi.FILETYPE_DIRECTORY else abi.RIGHTS_FILE
    desc = Descriptor(filetype, rights_base & parent.rights_inheriting & allowed,
                      rights_inheriting & parent.rights_inheriting, fdflags, host_fd)
    U32.pack_into(mem, fd_ptr, state.fds.add(desc))
    return SUCCESS


def path_create_directory(state, mem, fd, path_ptr, path_len):
    with guest_path(state, mem, fd, path_ptr, path_len, RIGHT["path_create_directory"], False) as where:
        os.mkdir(where.name, 0o777, dir_fd=where.dir_fd)
    return SUCCESS


def path_remove_directory(state, mem, fd, path_ptr, path_len):
    with guest_path(state, mem, fd, path_ptr, path_len, RIGHT["path_remove_directory"], False) as where:
        os.rmdir(where.name, dir_fd=where.dir_fd)
    return SUCCESS


def path_unlink_file(state, mem, fd, path_ptr, path_len):
    with guest_path(state, mem, fd, path_ptr, path_len, RIGHT["path_unlink_file"], False) as where:
        os.unlink(where.name, dir_fd=where.dir_fd)
    return SUCCESS


def path_rename(state, mem, fd, old_ptr, old_len, new_fd, new_ptr, new_len):
    with guest_path(state, mem, fd, old_ptr, old_len, RIGHT["path_rename_source"], False) as old, \
            guest_path(state, mem, new_fd, new_ptr, new_len, RIGHT["path_rename_target"], False) as new:
        os.rename(old.name, new.name, src_dir_fd=old.dir_fd, dst_dir_fd=new.dir_fd)
    return SUCCESS


def path_link(state, mem, old_fd, old_flags, old_ptr, old_len, new_fd, new_ptr, new_len):
    follow = bool(old_flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
    with guest_path(state, mem, old_fd, old_ptr, old_len, RIGHT["path_link_source"], follow) as old, \
            guest_path(state, mem, new_fd, new_ptr, new_len, RIGHT["path_link_target"], False) as new:
        os.link(old.name, new.name, src_dir_fd=old.dir_fd, dst_dir_fd=new.dir_fd,
                follow_symlinks=False)
    return SUCCESS


def path_symlink(state, mem, old_ptr, old_len, fd, new_ptr, new_len):
    target = read_string(mem, old_ptr, old_len)
    if target.startswith("/"):
        return NOTCAPABLE  # could only ever resolve outside the sandbox
    with guest_path(state, mem, fd, new_ptr, new_len, RIGHT["path_symlink"], False) as where:
        os.symlink(target, where.name, dir_fd=where.dir_fd)
    return SUCCESS


def path_readlink(state, mem, fd, path_ptr, path_len, buf_ptr, buf_len, bufused_ptr):
    with guest_path(state, mem, fd, path_ptr, path_len, RIGHT["path_readlink"], False) as where:
        target = os.fsencode(os.readlink(where.name, dir_fd=where.dir_fd))
    chunk = target[:buf_len]  # truncated to the buffer, as readlink(2) does
    write_bytes(mem, buf_ptr, chunk)
    U32.pack_into(mem, bufused_ptr, len(chunk))
    return SUCCESS


def path_filestat_get(state, mem, fd, flags, path_ptr, path_len, buf_ptr):
    follow = bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
    with guest_path(state, mem, fd, path_ptr, path_len, RIGHT["path_filestat_get"], follow) as where:
        st = os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
    pack_filestat(mem, buf_ptr, st, state.world)
    return SUCCESS


def path_filestat_set_times(state, mem, fd, flags, path_ptr, path_len, atim, mtim, fstflags):
    follow = bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
    with guest_path(state, mem, fd, path_ptr, path_len, RIGHT["path_filestat_set_times"],
                    follow) as where:
        current = os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
        os.utime(where.name, ns=new_times(state.world, current, atim, mtim, fstflags), dir_fd=where.dir_fd,
                 follow_symlinks=False)
    return SUCCESS
