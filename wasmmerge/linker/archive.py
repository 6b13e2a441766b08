"""`ar` archives: the GNU and BSD symbol indexes, long member names, members on demand.

A member is only sliced out when a symbol it defines is needed (lazy extraction), and an
archive with an index is read as far as its index: a member's header when the member is
needed (libc's 746 members: 0.13 ms, 3.8 ms when every header was read first). As with
wasm-ld, a damaged member nothing extracts is no error. A thin
archive (`ar --thin`: `!<thin>` magic) holds its index and member headers only; each
member is the file its name gives, relative to the archive's directory, read when it is
needed (as wasm-ld reads it; the member is named by that path, `lib.a(dir/x.o)`).
Errors name the archive, the byte offset of the bad header and what is wrong with it.
"""

import os
import sys
from array import array

from ..binary.record import Record  # a dataclass's behaviour without its import cost
from ..errors import LinkError

MAGIC = b"!<arch>\n"
THIN_MAGIC = b"!<thin>\n"
HEADER_SIZE = 60


class Member(Record):
    __slots__ = ("name", "offset", "data", "path")

    def __init__(self, name: str, offset: int, data: memoryview | None, path: str | None = None):
        self.name = name
        self.offset = offset  # of its header in the archive
        self.data = data  # None for a thin archive's member until `load` reads it
        self.path = path  # a thin archive's member: the file holding it

    def load(self, archive_path: str):
        """The member's bytes (a thin archive's member read from its file first)."""
        if self.data is None:
            try:
                with open(self.path, "rb") as f:
                    self.data = memoryview(f.read())
            except OSError as err:
                raise LinkError(f"cannot open member {self.name} of a thin archive ({self.path}): "
                                f"{err.strerror or err}", offset=self.offset, file=archive_path) from None
        return self.data


class Archive:
    """An archive read as far as its symbol index: a member's header is read when the
    member is asked for (`member`), every one only for --whole-archive or an archive
    without an index (`members`). wasm-ld reads an archive so too: a damaged member that
    nothing extracts is no error."""

    __slots__ = ("path", "view", "thin", "long_names", "first", "index", "_by_offset", "_members")

    def __init__(self, path: str, view: memoryview, thin: bool, long_names: bytes, first: int,
                 index: dict[str, int] | None):
        self.path = path
        self.view = view
        self.thin = thin
        self.long_names = long_names  # the `//` member: GNU long member names
        self.first = first  # offset of the first member's header after the index and names
        # symbol name -> offset of the header of the first member defining it; None when
        # the archive has no index (the caller builds one from the members' symbol tables).
        self.index = index
        self._by_offset: dict[int, Member] = {}
        self._members: list[Member] | None = None

    def __repr__(self) -> str:
        return f"Archive({self.path!r})"

    def member(self, offset: int, symbol: str | None = None) -> Member:
        """The member whose header is at `offset` (as the index names it); `symbol`: the
        index entry that led here, for the error when no member starts there."""
        member = self._by_offset.get(offset)
        if member is None:
            if offset < self.first or offset + HEADER_SIZE > len(self.view):
                what = f"symbol index entry for '{symbol}'" if symbol is not None else "a member"
                _fail(self.path, 8, f"{what} points at offset {offset:#x}, which starts no member")
            member, _ = self._read_member(offset)
            if member is None:
                _fail(self.path, offset, f"symbol index entry for '{symbol}' points at a {self._name(offset)!r} member")
            self._by_offset[offset] = member
        return member

    @property
    def members(self) -> list[Member]:
        """Every member in order (each header read and checked)."""
        if self._members is None:
            members, pos = [], self.first
            while pos < len(self.view):
                member, pos = self._read_member(pos)
                if member is not None:
                    members.append(self._by_offset.setdefault(member.offset, member))
            self._members = members
        return self._members

    def _name(self, pos: int) -> str:
        return bytes(self.view[pos:pos + 16]).decode("latin-1").rstrip(" ")

    def _read_member(self, pos: int) -> tuple[Member | None, int]:
        """The member whose header is at `pos` (None for a second index or name table,
        which some tools write), and where the next header starts."""
        name, body, end = _header(self.path, self.view, pos, self.thin)
        if name in _SPECIAL:
            return None, end
        if name.startswith("/") and name[1:].isdigit():
            at = int(name[1:])
            if at >= len(self.long_names):
                _fail(self.path, pos, f"long name offset {at} outside the name table")
            stop = self.long_names.find(b"\n", at)
            name = self.long_names[at:stop if stop >= 0 else len(self.long_names)].decode("utf-8", "replace")
        name = name[:-1] if name.endswith("/") else name
        if self.thin:
            return Member(name, pos, None, os.path.join(os.path.dirname(self.path), name)), end
        return Member(name, pos, body), end


# The index (GNU "/" and "/SYM64/", BSD "__.SYMDEF") and the GNU long-name table "//".
_SPECIAL = ("/", "/SYM64/", "__.SYMDEF", "__.SYMDEF SORTED", "//")


def is_archive(data) -> bool:
    return bytes(data[:8]) in (MAGIC, THIN_MAGIC)


def _fail(path, offset, message):
    raise LinkError(f"bad archive: {message}", offset=offset, file=path)


def _header(path: str, view, pos: int, thin: bool) -> tuple[str, memoryview, int]:
    """(name as written, body, where the next header starts) of the member at `pos`: a
    BSD name (`#1/N`) read from the body's start."""
    if pos + HEADER_SIZE > len(view):
        _fail(path, pos, "truncated member header")
    header = bytes(view[pos:pos + HEADER_SIZE])
    if header[58:60] != b"`\n":
        _fail(path, pos, "member header does not end in '`\\n'")
    name = header[:16].decode("latin-1").rstrip(" ")
    try:
        size = int(header[48:58].decode("ascii").strip() or "0")
    except ValueError:
        _fail(path, pos + 48, f"member size is not a number: {header[48:58]!r}")
    start = pos + HEADER_SIZE
    # A thin archive stores the data of its index and name table only.
    stored = not thin or name in ("/", "//", "/SYM64/")
    end = start + size if stored else start
    if end > len(view):
        _fail(path, pos, f"member '{name}' of {size} bytes runs past the end of the archive")
    body = view[start:end]
    if name.startswith("#1/"):  # BSD: the name follows the header
        try:
            name_len = int(name[3:])
        except ValueError:
            _fail(path, pos, f"bad BSD name length in '{name}'")
        if name_len > size:
            _fail(path, pos, "BSD member name longer than the member")
        name = bytes(body[:name_len]).rstrip(b"\0").decode("utf-8", "replace")
        body = body[name_len:]
    return name, body, (end + (end & 1) if stored else end)


def read_archive(path: str, data) -> Archive:
    """The archive's index and long-name table, which precede its members."""
    view = memoryview(data)
    thin = bytes(view[:8]) == THIN_MAGIC
    if not thin and bytes(view[:8]) != MAGIC:
        _fail(path, 0, "missing !<arch> magic")
    pos = 8
    raw_index = None  # (kind, bytes)
    long_names = b""
    while pos < len(view):
        name, body, end = _header(path, view, pos, thin)
        if name in ("/", "__.SYMDEF", "__.SYMDEF SORTED") and raw_index is None:
            raw_index = ("gnu" if name == "/" else "bsd", bytes(body))
        elif name == "/SYM64/" and raw_index is None:
            raw_index = ("gnu64", bytes(body))
        elif name == "//":
            long_names = bytes(body)
        elif name not in _SPECIAL:
            break  # the first member
        pos = end
    index = _read_index(path, raw_index) if raw_index else None
    return Archive(path, view, thin, long_names, pos, index)


def _read_index(path, raw_index) -> dict[str, int]:
    """Symbol name -> header offset of the first member defining it (each offset is
    checked when its member is asked for: `Archive.member`)."""
    kind, body = raw_index
    if kind in ("gnu", "gnu64"):
        width = 4 if kind == "gnu" else 8
        if len(body) < width:
            _fail(path, 8, "truncated symbol index")
        count = int.from_bytes(body[:width], "big")
        names_at = width + count * width
        if names_at > len(body):
            _fail(path, 8, f"symbol index of {count} entries is longer than its member")
        names = body[names_at:].decode("utf-8", "replace").split("\0")
        if len(names) < count:
            _fail(path, 8, f"symbol index names {len(names)} of its {count} symbols")
        offsets = array("I" if width == 4 else "Q", body[width:names_at])
        if sys.byteorder == "little":
            offsets.byteswap()  # stored big-endian
        pairs = zip(names[:count], offsets)
    else:
        if len(body) < 4:
            _fail(path, 8, "truncated BSD symbol index")
        table_size = int.from_bytes(body[:4], "little")
        strtab_at = 4 + table_size
        if strtab_at + 4 > len(body):
            _fail(path, 8, "BSD symbol index is longer than its member")
        strtab = body[strtab_at + 4:]
        pairs = []
        for k in range(table_size // 8):
            entry = body[4 + 8 * k:12 + 8 * k]
            strx, offset = int.from_bytes(entry[:4], "little"), int.from_bytes(entry[4:], "little")
            end = strtab.find(b"\0", strx)
            pairs.append((strtab[strx:end if end >= 0 else len(strtab)].decode("utf-8", "replace"), offset))
    index = {}
    for name, offset in pairs:
        index.setdefault(name, offset)  # a name listed twice: its first member
    return index
