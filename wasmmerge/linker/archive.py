"""`ar` archives: the GNU and BSD symbol indexes, long member names, members on demand.

A member is only sliced out when a symbol it defines is needed (lazy extraction), so a
libc of hundreds of members costs one pass over its headers and its index. A thin
archive (`ar --thin`: `!<thin>` magic) holds its index and member headers only; each
member is the file its name gives, relative to the archive's directory, read when it is
needed (as wasm-ld reads it; the member is named by that path, `lib.a(dir/x.o)`).
Errors name the archive, the byte offset of the bad header and what is wrong with it.
"""

import os

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


class Archive(Record):
    __slots__ = ("path", "members", "index")

    def __init__(self, path: str, members: list[Member], index: dict[str, int] | None):
        self.path = path
        self.members = members
        # symbol name -> index into `members` of the first member defining it; None when the
        # archive has no index (the caller builds one from the members' symbol tables).
        self.index = index


def is_archive(data) -> bool:
    return bytes(data[:8]) in (MAGIC, THIN_MAGIC)


def _fail(path, offset, message):
    raise LinkError(f"bad archive: {message}", offset=offset, file=path)


def read_archive(path: str, data) -> Archive:
    view = memoryview(data)
    thin = bytes(view[:8]) == THIN_MAGIC
    if not thin and bytes(view[:8]) != MAGIC:
        _fail(path, 0, "missing !<arch> magic")
    pos = 8
    members = []
    raw_index = None  # (kind, bytes)
    long_names = b""
    by_offset = {}
    while pos < len(view):
        if pos + HEADER_SIZE > len(view):
            _fail(path, pos, "truncated member header")
        header = bytes(view[pos:pos + HEADER_SIZE])
        if header[58:60] != b"`\n":
            _fail(path, pos, "member header does not end in '`\\n'")
        name_field = header[:16].decode("latin-1").rstrip(" ")
        try:
            size = int(header[48:58].decode("ascii").strip() or "0")
        except ValueError:
            _fail(path, pos + 48, f"member size is not a number: {header[48:58]!r}")
        start = pos + HEADER_SIZE
        # A thin archive stores the data of its index and name table only.
        stored = not thin or name_field in ("/", "//", "/SYM64/")
        end = start + size if stored else start
        if end > len(view):
            _fail(path, pos, f"member '{name_field}' of {size} bytes runs past the end of the archive")
        body = view[start:end]
        if name_field.startswith("#1/"):  # BSD: the name follows the header
            try:
                name_len = int(name_field[3:])
            except ValueError:
                _fail(path, pos, f"bad BSD name length in '{name_field}'")
            if name_len > size:
                _fail(path, pos, "BSD member name longer than the member")
            name = bytes(body[:name_len]).rstrip(b"\0").decode("utf-8", "replace")
            body = body[name_len:]
        else:
            name = name_field
        if name in ("/", "__.SYMDEF", "__.SYMDEF SORTED") and raw_index is None and not members:
            raw_index = ("gnu" if name == "/" else "bsd", bytes(body))
        elif name == "/SYM64/" and raw_index is None and not members:
            raw_index = ("gnu64", bytes(body))
        elif name == "//":
            long_names = bytes(body)
        elif name in ("/", "/SYM64/", "__.SYMDEF", "__.SYMDEF SORTED"):
            pass  # a second index (as some tools write): the first one wins
        else:
            if name.startswith("/") and name[1:].isdigit():
                at = int(name[1:])
                if at >= len(long_names):
                    _fail(path, pos, f"long name offset {at} outside the name table")
                stop = long_names.find(b"\n", at)
                name = long_names[at:stop if stop >= 0 else len(long_names)].decode("utf-8", "replace")
            name = name[:-1] if name.endswith("/") else name
            by_offset[pos] = len(members)
            if stored:
                members.append(Member(name, pos, body))
            else:
                members.append(Member(name, pos, None, os.path.join(os.path.dirname(path), name)))
        pos = end + (end & 1) if stored else end
    index = _read_index(path, raw_index, by_offset) if raw_index else None
    return Archive(path, members, index)


def _read_index(path, raw_index, by_offset) -> dict[str, int]:
    kind, body = raw_index
    index = {}
    if kind in ("gnu", "gnu64"):
        width = 4 if kind == "gnu" else 8
        if len(body) < width:
            _fail(path, 8, "truncated symbol index")
        count = int.from_bytes(body[:width], "big")
        names_at = width + count * width
        if names_at > len(body):
            _fail(path, 8, f"symbol index of {count} entries is longer than its member")
        names = body[names_at:].split(b"\0")
        if len(names) < count:
            _fail(path, 8, f"symbol index names {len(names)} of its {count} symbols")
        for k in range(count):
            offset = int.from_bytes(body[width + k * width:width + (k + 1) * width], "big")
            _add(path, index, names[k], offset, by_offset)
    else:
        if len(body) < 4:
            _fail(path, 8, "truncated BSD symbol index")
        table_size = int.from_bytes(body[:4], "little")
        strtab_at = 4 + table_size
        if strtab_at + 4 > len(body):
            _fail(path, 8, "BSD symbol index is longer than its member")
        strtab = body[strtab_at + 4:]
        for k in range(table_size // 8):
            entry = body[4 + 8 * k:12 + 8 * k]
            strx, offset = int.from_bytes(entry[:4], "little"), int.from_bytes(entry[4:], "little")
            end = strtab.find(b"\0", strx)
            _add(path, index, strtab[strx:end if end >= 0 else len(strtab)], offset, by_offset)
    return index


def _add(path, index, name: bytes, offset: int, by_offset):
    member = by_offset.get(offset)
    if member is None:
        _fail(path, 8, f"symbol index entry for '{name.decode('utf-8', 'replace')}' points at "
                       f"offset {offset:#x}, which starts no member")
    index.setdefault(name.decode("utf-8", "replace"), member)
