"""WASI preview 1 errno values (typenames.witx `$errno`), and host errors mapped onto them.

Every handler answers with one of these numbers; `WasiError(errno)` is how a handler
deep in a helper gives up with a specific one. Host `OSError`s are translated by name
(`EACCES` -> ACCES): the witx list is POSIX's, in the witx order.
"""

import errno as host_errno

# The witx order *is* the numbering: SUCCESS is 0, 2BIG 1, ... NOTCAPABLE 76.
NAMES = (
    "SUCCESS", "2BIG", "ACCES", "ADDRINUSE", "ADDRNOTAVAIL", "AFNOSUPPORT", "AGAIN", "ALREADY",
    "BADF", "BADMSG", "BUSY", "CANCELED", "CHILD", "CONNABORTED", "CONNREFUSED", "CONNRESET",
    "DEADLK", "DESTADDRREQ", "DOM", "DQUOT", "EXIST", "FAULT", "FBIG", "HOSTUNREACH", "IDRM",
    "ILSEQ", "INPROGRESS", "INTR", "INVAL", "IO", "ISCONN", "ISDIR", "LOOP", "MFILE", "MLINK",
    "MSGSIZE", "MULTIHOP", "NAMETOOLONG", "NETDOWN", "NETRESET", "NETUNREACH", "NFILE",
    "NOBUFS", "NODEV", "NOENT", "NOEXEC", "NOLCK", "NOLINK", "NOMEM", "NOMSG", "NOPROTOOPT",
    "NOSPC", "NOSYS", "NOTCONN", "NOTDIR", "NOTEMPTY", "NOTRECOVERABLE", "NOTSOCK", "NOTSUP",
    "NOTTY", "NXIO", "OVERFLOW", "OWNERDEAD", "PERM", "PIPE", "PROTO", "PROTONOSUPPORT",
    "PROTOTYPE", "RANGE", "ROFS", "SPIPE", "SRCH", "STALE", "TIMEDOUT", "TXTBSY", "XDEV",
    "NOTCAPABLE",
)
ERRNO = {name: number for number, name in enumerate(NAMES)}

SUCCESS = ERRNO["SUCCESS"]
ACCES = ERRNO["ACCES"]
AGAIN = ERRNO["AGAIN"]
BADF = ERRNO["BADF"]
EXIST = ERRNO["EXIST"]
FAULT = ERRNO["FAULT"]
INVAL = ERRNO["INVAL"]
IO = ERRNO["IO"]
ISDIR = ERRNO["ISDIR"]
LOOP = ERRNO["LOOP"]
NAMETOOLONG = ERRNO["NAMETOOLONG"]
NOENT = ERRNO["NOENT"]
NOSYS = ERRNO["NOSYS"]
NOTDIR = ERRNO["NOTDIR"]
NOTEMPTY = ERRNO["NOTEMPTY"]
NOTSUP = ERRNO["NOTSUP"]
OVERFLOW = ERRNO["OVERFLOW"]
PERM = ERRNO["PERM"]
SPIPE = ERRNO["SPIPE"]
NOTCAPABLE = ERRNO["NOTCAPABLE"]

# Host errno number -> WASI errno, for every name both sides know (EOPNOTSUPP and
# EWOULDBLOCK are aliases of ENOTSUP and EAGAIN on Linux, so they come out right).
FROM_HOST = {getattr(host_errno, "E" + name): number for number, name in enumerate(NAMES)
             if hasattr(host_errno, "E" + name)}


class WasiError(Exception):
    """A handler's early exit with a WASI errno (never leaves the WASI host)."""

    def __init__(self, errno: int):
        super().__init__(NAMES[errno])
        self.errno = errno


def from_os_error(err: OSError) -> int:
    """The WASI errno for a host error (IO for anything the witx list has no name for)."""
    return FROM_HOST.get(err.errno, IO)
