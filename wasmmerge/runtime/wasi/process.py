"""Process-level WASI functions: args, environ, clocks, random, exit, yield, poll, sockets.

Every handler is `handler(state, mem, *wasm_args) -> errno`: `state` is the WasiState
shared by all instances of a program, `mem` the calling instance's linear memory
(a bytearray). Sockets answer NOTSUP: preview 1 can only use sockets a host hands in
(`sock_accept` on a preopened listener), and we preopen none.
"""

import os
import select

from . import abi
from .abi import U32, U64, write_bytes
from .errno import BADF, FAULT, INVAL, NOTSUP, SUCCESS, WasiError
from .streams import InputStream


class ProcExit(Exception):
    """`proc_exit(status)`: unwinds every wasm and host frame up to whoever ran the program."""

    def __init__(self, status: int):
        super().__init__(f"exit status {status}")
        self.status = status


# -- args and environ ---------------------------------------------------------------------

def write_string_list(mem, items: list, pointers_ptr: int, buffer_ptr: int) -> int:
    """C `char *argv[]` layout: one pointer per item into a buffer of NUL-terminated strings."""
    write_bytes(mem, buffer_ptr, b"".join(item + b"\0" for item in items))
    address = buffer_ptr
    for i, item in enumerate(items):
        U32.pack_into(mem, pointers_ptr + 4 * i, address)  # struct.error: FAULT
        address += len(item) + 1
    return SUCCESS


def write_sizes(mem, items: list, count_ptr: int, size_ptr: int) -> int:
    U32.pack_into(mem, count_ptr, len(items))
    U32.pack_into(mem, size_ptr, sum(len(item) + 1 for item in items))
    return SUCCESS


def args_get(state, mem, argv_ptr, buf_ptr):
    return write_string_list(mem, state.argv, argv_ptr, buf_ptr)


def args_sizes_get(state, mem, count_ptr, size_ptr):
    return write_sizes(mem, state.argv, count_ptr, size_ptr)


def environ_get(state, mem, environ_ptr, buf_ptr):
    return write_string_list(mem, state.environ, environ_ptr, buf_ptr)


def environ_sizes_get(state, mem, count_ptr, size_ptr):
    return write_sizes(mem, state.environ, count_ptr, size_ptr)


# -- clocks and random --------------------------------------------------------------------

def clock_res_get(state, mem, clock_id, result_ptr):
    U64.pack_into(mem, result_ptr, state.world.resolution(clock_id))
    return SUCCESS


def clock_time_get(state, mem, clock_id, precision, result_ptr):
    U64.pack_into(mem, result_ptr, state.world.now(clock_id))
    return SUCCESS


def random_get(state, mem, buf_ptr, length):
    if buf_ptr + length > len(mem):
        return FAULT
    write_bytes(mem, buf_ptr, state.world.random_bytes(length))
    return SUCCESS


# -- process ------------------------------------------------------------------------------

def proc_exit(state, mem, status):
    raise ProcExit(status)


def proc_raise(state, mem, signal):
    return NOTSUP


def sched_yield(state, mem):
    return SUCCESS


# -- poll_oneoff ---------------------------------------------------------------------------

def poll_oneoff(state, mem, in_ptr, out_ptr, nsubscriptions, nevents_ptr):
    """Clock subscriptions sleep until the earliest deadline; fd subscriptions are ready now
    (regular files and output always are; stdin when it has input or is a buffer)."""
    if nsubscriptions == 0:
        return INVAL
    subscriptions = []
    for i in range(nsubscriptions):
        base = in_ptr + i * abi.SUBSCRIPTION_SIZE
        userdata, tag = abi.SUBSCRIPTION.unpack_from(mem, base)
        subscriptions.append((userdata, tag, base + 16))
    events = []
    deadline = None  # the earliest clock deadline, monotonic ns
    clock_subs = []
    waiting = []  # (host fd, userdata, tag): stdin subscriptions with no input yet
    for userdata, tag, body in subscriptions:
        if tag == abi.EVENTTYPE_CLOCK:
            clock_id, timeout, _precision, flags = abi.SUBSCRIPTION_CLOCK.unpack_from(mem, body)
            try:
                now = state.world.now(clock_id)
            except WasiError as err:
                events.append((userdata, err.errno, tag, 0, 0))
                continue
            wait = timeout - now if flags & abi.SUBCLOCKFLAGS_ABSTIME else timeout
            due = state.world.now(abi.CLOCK_MONOTONIC) + max(0, wait)
            clock_subs.append((due, userdata))
            deadline = due if deadline is None else min(deadline, due)
        elif tag in (abi.EVENTTYPE_FD_READ, abi.EVENTTYPE_FD_WRITE):
            (fd,) = abi.SUBSCRIPTION_FD.unpack_from(mem, body)
            event = fd_event(state, userdata, tag, fd)
            if isinstance(event, int):
                waiting.append((event, userdata, tag))
            else:
                events.append(event)
        else:
            return INVAL
    if not events:
        # Block until a waited-for stdin has input or the earliest clock is due.
        delay = None if deadline is None else max(0, deadline - state.world.now(abi.CLOCK_MONOTONIC))
        if waiting:
            ready, _, _ = select.select([w[0] for w in waiting], [], [],
                                        None if delay is None else delay / 1e9)
            events.extend((userdata, SUCCESS, tag, 1, 0)
                          for host_fd, userdata, tag in waiting if host_fd in ready)
        elif delay:
            state.world.sleep(delay)
    now = state.world.now(abi.CLOCK_MONOTONIC)
    events.extend((userdata, SUCCESS, abi.EVENTTYPE_CLOCK, 0, 0)
                  for due, userdata in clock_subs if due <= now)
    for i, event in enumerate(events):
        abi.EVENT.pack_into(mem, out_ptr + i * abi.EVENT.size, *event)
    U32.pack_into(mem, nevents_ptr, len(events))
    return SUCCESS


def fd_event(state, userdata, tag, fd):
    """The event tuple for an fd subscription, or the host fd to wait on (stdin, no input yet)."""
    desc = state.fds.entries.get(fd)
    if desc is None:
        return (userdata, BADF, tag, 0, 0)
    if tag == abi.EVENTTYPE_FD_READ and isinstance(desc.stream, InputStream):
        host_fd = desc.stream.fileno()
        if host_fd is not None and not select.select([host_fd], [], [], 0)[0]:
            return host_fd
        return (userdata, SUCCESS, tag, 1, 0)
    if tag == abi.EVENTTYPE_FD_READ and desc.host_fd is not None and not desc.is_directory:
        try:
            size = os.fstat(desc.host_fd).st_size
            position = os.lseek(desc.host_fd, 0, os.SEEK_CUR)
            return (userdata, SUCCESS, tag, max(0, size - position), 0)
        except OSError:
            pass
    return (userdata, SUCCESS, tag, 0, 0)


# -- sockets: not available (documented in docs/runtime.md) -------------------------------

def sock_accept(state, mem, fd, flags, result_ptr):
    return BADF if fd not in state.fds.entries else NOTSUP


def sock_recv(state, mem, fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr):
    return BADF if fd not in state.fds.entries else NOTSUP


def sock_send(state, mem, fd, si_data, si_data_len, si_flags, so_datalen_ptr):
    return BADF if fd not in state.fds.entries else NOTSUP


def sock_shutdown(state, mem, fd, how):
    return BADF if fd not in state.fds.entries else NOTSUP

