"""The WASI functions called directly with guest memory: bad pointers and lengths give
errnos (never exceptions), rights are enforced, and the function table is complete."""

import os
import struct

import pytest

from wasmmerge.runtime.wasi import ERRNO, FUNCTIONS, Preopen, ProcExit, WasiConfig, WasiState
from wasmmerge.runtime.wasi.host import dispatcher
from wasmmerge.runtime.wasi.table import func_type

PAGE = 65536


class Binding:
    def __init__(self, size=PAGE):
        self.data = bytearray(size)


@pytest.fixture
def host(tmp_path):
    (tmp_path / "f.txt").write_bytes(b"0123456789")
    state = WasiState(WasiConfig(argv=["prog", "arg"], env={"K": "V"},
                                 preopens=[Preopen(str(tmp_path), "/box")], stdin=b"typed"))
    binding = Binding()

    def call(name, *args):
        return dispatcher(FUNCTIONS[name][2], state, binding)(*args)
    call.mem = binding.data
    call.state = state
    yield call
    state.close()


def put_string(mem, ptr, text):
    mem[ptr:ptr + len(text)] = text.encode()
    return ptr, len(text)


def test_every_preview1_function_is_in_the_table():
    assert len(FUNCTIONS) == 46
    assert func_type("path_open").params[5].__str__() == "i64"
    assert func_type("proc_exit").results == ()


@pytest.mark.parametrize("name,args", [
    ("args_get", (PAGE - 2, 0)), ("args_sizes_get", (PAGE, 0)), ("environ_get", (0, PAGE - 1)),
    ("clock_time_get", (1, 0, PAGE - 4)), ("random_get", (PAGE - 8, 16)),
    ("fd_write", (1, PAGE - 4, 1, 0)), ("fd_write", (1, 0, 1 << 28, 0)),
    ("fd_read", (0, 100, 1, PAGE + 10)), ("fd_prestat_dir_name", (3, PAGE - 2, 4)),
    ("fd_fdstat_get", (1, PAGE - 8)), ("path_open", (3, 0, PAGE - 2, 10, 0, 0, 0, 0, 0)),
    ("poll_oneoff", (PAGE - 10, 0, 1, 0)), ("fd_readdir", (3, PAGE - 10, 100, 0, 0)),
])
def test_bad_pointers_fault(host, name, args):
    if name == "fd_write":
        struct.pack_into("<II", host.mem, 0, PAGE - 2, 100)  # a buffer running off the end
    assert host(name, *args) == ERRNO["FAULT"]


def test_bad_descriptors_and_rights(host):
    assert host("fd_close", 99) == ERRNO["BADF"]
    assert host("fd_read", 1, 0, 0, 0) == ERRNO["BADF"]  # stdout is not readable
    assert host("fd_seek", 1, 0, 0, 0) == ERRNO["NOTCAPABLE"]
    assert host("fd_prestat_get", 1, 0) == ERRNO["BADF"]
    assert host("path_open", 1, 0, 0, 1, 0, 0, 0, 0, 16) == ERRNO["NOTCAPABLE"]
    assert host("fd_seek", 3, 0, 0, 0) == ERRNO["NOTCAPABLE"]  # a directory is not seekable
    assert host("clock_time_get", 9, 0, 0) == ERRNO["INVAL"]
    assert host("path_open", 3, 0, 0, 1, 64, 0, 0, 0, 16) == ERRNO["INVAL"]  # unknown oflag
    assert host("sock_accept", 3, 0, 0) == ERRNO["NOTSUP"]
    assert host("poll_oneoff", 0, 100, 0, 200) == ERRNO["INVAL"]


def test_open_read_with_rights(host):
    mem = host.mem
    ptr, length = put_string(mem, 1000, "f.txt")
    read_only = 1 << 1 | 1 << 2  # fd_read, fd_seek
    assert host("path_open", 3, 0, ptr, length, 0, read_only, 0, 0, 16) == 0
    fd = struct.unpack_from("<I", mem, 16)[0]
    assert fd == 4
    struct.pack_into("<II", mem, 32, 2000, 4)
    assert host("fd_read", fd, 32, 1, 48) == 0
    assert mem[2000:2004] == b"0123" and struct.unpack_from("<I", mem, 48)[0] == 4
    assert host("fd_write", fd, 32, 1, 48) == ERRNO["NOTCAPABLE"]
    assert host("fd_seek", fd, 0, 7, 56) == ERRNO["INVAL"]  # no such whence
    assert host("fd_seek", fd, (1 << 64) - 2, 2, 56) == 0  # -2 from the end
    assert struct.unpack_from("<Q", mem, 56)[0] == 8
    assert host("fd_renumber", fd, 0) == 0 and host("fd_close", fd) == ERRNO["BADF"]
    assert host("fd_close", 0) == 0


def test_hostile_paths_through_path_open(host):
    mem = host.mem
    for path in ("../x", "/etc/passwd", "./../x", ".."):
        ptr, length = put_string(mem, 1000, path)
        assert host("path_open", 3, 1, ptr, length, 1, 1 << 6, 0, 0, 16) == ERRNO["NOTCAPABLE"]
    ptr, length = put_string(mem, 1000, "link")
    target, target_len = put_string(mem, 1100, "/etc")
    assert host("path_symlink", target, target_len, 3, ptr, length) == ERRNO["NOTCAPABLE"]


def test_args_environ_and_stdin(host):
    mem = host.mem
    assert host("args_sizes_get", 0, 4) == 0
    assert struct.unpack_from("<II", mem, 0) == (2, 9)
    assert host("args_get", 100, 200) == 0
    assert mem[200:209] == b"prog\0arg\0"
    assert struct.unpack_from("<II", mem, 100) == (200, 205)
    assert host("environ_get", 100, 300) == 0 and mem[300:304] == b"K=V\0"
    struct.pack_into("<II", mem, 400, 500, 3)
    assert host("fd_read", 0, 400, 1, 408) == 0 and mem[500:503] == b"typ"


def test_proc_exit_leaves_the_host(host):
    with pytest.raises(ProcExit) as info:
        host("proc_exit", 7)
    assert info.value.status == 7


def test_missing_preopen_is_a_setup_error(tmp_path):
    from wasmmerge.runtime.wasi import WasiSetupError
    with pytest.raises(WasiSetupError):
        WasiState(WasiConfig(preopens=[Preopen(str(tmp_path / "nope"), ".")]))
    assert os.path.exists(tmp_path)


def test_rename_link_and_symlink_cannot_leave(host, tmp_path):
    mem = host.mem
    inside, inside_len = put_string(mem, 1000, "f.txt")
    outside, outside_len = put_string(mem, 1100, "../stolen.txt")
    assert host("path_rename", 3, inside, inside_len, 3, outside, outside_len) == ERRNO["NOTCAPABLE"]
    assert host("path_rename", 3, outside, outside_len, 3, inside, inside_len) == ERRNO["NOTCAPABLE"]
    assert host("path_link", 3, 0, inside, inside_len, 3, outside, outside_len) == ERRNO["NOTCAPABLE"]
    # A relative symlink that climbs out may be made, but never followed.
    link, link_len = put_string(mem, 1200, "sneaky")
    target, target_len = put_string(mem, 1300, "../../../etc")
    assert host("path_symlink", target, target_len, 3, link, link_len) == 0
    through, through_len = put_string(mem, 1400, "sneaky/passwd")
    assert host("path_open", 3, 1, through, through_len, 0, 2, 0, 0, 16) == ERRNO["NOTCAPABLE"]
    assert host("path_filestat_get", 3, 1, link, link_len, 2000) == ERRNO["NOTCAPABLE"]
    assert host("path_filestat_get", 3, 0, link, link_len, 2000) == 0  # lstat: fine
    assert mem[2016] == 7  # filetype: symbolic link
    assert host("path_unlink_file", 3, link, link_len) == 0
    assert not (tmp_path.parent / "stolen.txt").exists()


def test_signatures_match_wasi_libc(tmp_path):
    """Every import wasi-libc makes (fixtures/wasi/allcalls.c references all of its
    <wasi/api.h>) has exactly the type our table gives that function."""
    from wasmmerge.runtime.api import imports_of, load_module

    from .helpers import build
    module = load_module(build("allcalls", tmp_path).read_bytes())
    imported = {name: t for module_name, name, t in imports_of(module)
                if module_name == "wasi_snapshot_preview1"}
    assert len(imported) == 45  # every function of preview 1 but proc_raise
    for name, t in imported.items():
        assert func_type(name) == t, name
