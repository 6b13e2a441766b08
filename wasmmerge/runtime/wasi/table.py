"""Every `wasi_snapshot_preview1` function, once: name -> wasm signature -> handler.

Signatures are the witx functions lowered to core wasm: `i` an i32 (pointers, sizes,
fds, enums and small flags), `I` an i64 (timestamps, file sizes and offsets, rights,
dircookies). Every function returns an i32 errno except `proc_exit`, which returns nothing.
"""

from ...binary.types import I32, I64, FuncType
from . import files, paths, process

FUNCTIONS = {
    # name: (params, results, handler)
    "args_get": ("ii", "i", process.args_get),
    "args_sizes_get": ("ii", "i", process.args_sizes_get),
    "environ_get": ("ii", "i", process.environ_get),
    "environ_sizes_get": ("ii", "i", process.environ_sizes_get),
    "clock_res_get": ("ii", "i", process.clock_res_get),
    "clock_time_get": ("iIi", "i", process.clock_time_get),
    "fd_advise": ("iIIi", "i", files.fd_advise),
    "fd_allocate": ("iII", "i", files.fd_allocate),
    "fd_close": ("i", "i", files.fd_close),
    "fd_datasync": ("i", "i", files.fd_datasync),
    "fd_fdstat_get": ("ii", "i", files.fd_fdstat_get),
    "fd_fdstat_set_flags": ("ii", "i", files.fd_fdstat_set_flags),
    "fd_fdstat_set_rights": ("iII", "i", files.fd_fdstat_set_rights),
    "fd_filestat_get": ("ii", "i", files.fd_filestat_get),
    "fd_filestat_set_size": ("iI", "i", files.fd_filestat_set_size),
    "fd_filestat_set_times": ("iIIi", "i", files.fd_filestat_set_times),
    "fd_pread": ("iiiIi", "i", files.fd_pread),
    "fd_prestat_get": ("ii", "i", files.fd_prestat_get),
    "fd_prestat_dir_name": ("iii", "i", files.fd_prestat_dir_name),
    "fd_pwrite": ("iiiIi", "i", files.fd_pwrite),
    "fd_read": ("iiii", "i", files.fd_read),
    "fd_readdir": ("iiiIi", "i", files.fd_readdir),
    "fd_renumber": ("ii", "i", files.fd_renumber),
    "fd_seek": ("iIii", "i", files.fd_seek),
    "fd_sync": ("i", "i", files.fd_sync),
    "fd_tell": ("ii", "i", files.fd_tell),
    "fd_write": ("iiii", "i", files.fd_write),
    "path_create_directory": ("iii", "i", paths.path_create_directory),
    "path_filestat_get": ("iiiii", "i", paths.path_filestat_get),
    "path_filestat_set_times": ("iiiiIIi", "i", paths.path_filestat_set_times),
    "path_link": ("iiiiiii", "i", paths.path_link),
    "path_open": ("iiiiiIIii", "i", paths.path_open),
    "path_readlink": ("iiiiii", "i", paths.path_readlink),
    "path_remove_directory": ("iii", "i", paths.path_remove_directory),
    "path_rename": ("iiiiii", "i", paths.path_rename),
    "path_symlink": ("iiiii", "i", paths.path_symlink),
    "path_unlink_file": ("iii", "i", paths.path_unlink_file),
    "poll_oneoff": ("iiii", "i", process.poll_oneoff),
    "proc_exit": ("i", "", process.proc_exit),
    "proc_raise": ("i", "i", process.proc_raise),
    "sched_yield": ("", "i", process.sched_yield),
    "random_get": ("ii", "i", process.random_get),
    "sock_accept": ("iii", "i", process.sock_accept),
    "sock_recv": ("iiiiii", "i", process.sock_recv),
    "sock_send": ("iiiii", "i", process.sock_send),
    "sock_shutdown": ("ii", "i", process.sock_shutdown),
}

VALTYPES = {"i": I32, "I": I64}


def func_type(name: str) -> FuncType:
    params, results, _ = FUNCTIONS[name]
    return FuncType(tuple(VALTYPES[c] for c in params), tuple(VALTYPES[c] for c in results))
