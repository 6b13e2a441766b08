"""Resolving a guest path inside a directory capability, component by component.

The guest names files relative to a directory descriptor (a preopen or a directory it
opened). We never hand the host a path with a `/` in it: we walk the path one component
at a time with `openat`-style calls (`dir_fd=`, `O_NOFOLLOW`), keeping the stack of
directories we are in. So

* an absolute path is refused (NOTCAPABLE): wasi-libc already made it relative to a preopen;
* `..` pops the stack, and popping past the starting directory is NOTCAPABLE;
* a symlink met on the way is read and its target spliced into the walk, so an absolute
  target, or one that climbs out with `..`, is refused the same way; more than
  `MAX_SYMLINKS` expansions is LOOP;
* the last component is followed only when the operation asks (`lookupflags`).

What comes back is a directory fd and one plain name in it: the operation then runs
with `dir_fd=` and `follow_symlinks=False`/`O_NOFOLLOW`, so the host never resolves
anything the walk did not check.
"""

import errno as host_errno
import os
import stat

from .errno import INVAL, LOOP, NOENT, NOTCAPABLE, NOTDIR, WasiError

MAX_SYMLINKS = 40
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Resolved:
    """`dir_fd` and `name` of a resolved path; a context manager closing the walk's fds."""

    def __init__(self, dir_fd: int, name: str, owned: list, must_be_dir: bool):
        self.dir_fd = dir_fd
        self.name = name
        self.owned = owned
        self.must_be_dir = must_be_dir

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for fd in self.owned:
            os.close(fd)
        self.owned = []


def resolve(base_fd: int, path: str, follow_final: bool) -> Resolved:
    """Walk `path` from directory `base_fd`; raises WasiError for anything outside it."""
    if not path:
        raise WasiError(NOENT)
    if "\0" in path:
        raise WasiError(INVAL)
    if path.startswith("/"):
        raise WasiError(NOTCAPABLE)
    # A trailing slash means "a directory": follow the last component and check it is one.
    must_be_dir = path.endswith("/")
    pending = path.split("/")
    if must_be_dir:
        follow_final = True
    stack = [base_fd]
    links = 0
    name = "."
    try:
        while pending:
            component = pending.pop(0)
            last = not any(pending)  # only empty components (trailing slashes) remain
            if last:
                pending = []
            if component in ("", "."):
                continue
            if component == "..":
                if len(stack) == 1:
                    raise WasiError(NOTCAPABLE)
                os.close(stack.pop())
                continue
            if last and not follow_final:
                name = component
                break
            target = read_link(stack[-1], component)
            if target is not None:
                links += 1
                if links > MAX_SYMLINKS:
                    raise WasiError(LOOP)
                if target.startswith("/"):
                    raise WasiError(NOTCAPABLE)
                pending = target.split("/") + pending
                continue
            if last:
                name = component
                break
            stack.append(os.open(component, DIR_FLAGS, dir_fd=stack[-1]))
    except BaseException:
        for fd in stack[1:]:
            os.close(fd)
        raise
    resolved = Resolved(stack[-1], name, stack[1:], must_be_dir)
    if must_be_dir and name != ".":
        check_directory(resolved)
    return resolved


def read_link(dir_fd: int, name: str):
    """The symlink's target, or None when `name` is not a symlink (or does not exist)."""
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError as err:
        if err.errno in (host_errno.EINVAL, host_errno.ENOENT):
            return None
        raise


def check_directory(resolved: Resolved):
    """A path written with a trailing slash must name a directory if it names anything."""
    try:
        st = os.stat(resolved.name, dir_fd=resolved.dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        resolved.__exit__()
        raise WasiError(NOTDIR)
