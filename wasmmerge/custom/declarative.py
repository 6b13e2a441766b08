"""The one door between the `construct` library and wasmmerge.

The small custom sections that few inputs carry (dylink.0, build_id, and the linking
section's subsections when written) are declared as `construct` structures: the format
reads as a table, and these sections are read once per file, far from any hot path.
(`producers`, `target_features` and the reading of `linking`, met in nearly every
toolchain output, are hand-written in `fields.py`'s terms: importing construct costs a
small merge a third of its time.) Everything here
is built on our own LEB128 codec (`binary/leb.py`), so widths and limits are the ones the
rest of the decoder enforces.

`parse` and `build` are the only places that call into construct: every construct error
becomes our `DecodeError` naming the section and the byte offset where the failing
field starts (`base` + its position in the section's payload), never a construct
traceback.
"""

import io
from dataclasses import dataclass, field, fields

import construct as cs

from ..binary import leb
from ..errors import DecodeError, WasmError


class _Malformed(cs.ConstructError):
    """Raised by our own constructs, which know the exact offset of what is wrong."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.text = message
        self.offset = offset


class _TrackedStream(io.BytesIO):
    """Remembers where the last read began: on a construct error that is where the
    failing field starts."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.data = data
        self.size = len(data)
        self.last_read = 0

    def read(self, size=-1):
        self.last_read = self.tell()
        return super().read(size)


def parse(struct: cs.Construct, data: bytes, section: str, base: int = 0):
    """`struct` parsed from all of `data` (trailing bytes are an error)."""
    stream = _TrackedStream(data)
    try:
        value = struct.parse_stream(stream)
    except _Malformed as err:
        raise DecodeError(f"malformed {section}: {err.text}", base + err.offset) from None
    except cs.StreamError:
        raise DecodeError(f"malformed {section}: unexpected end", base + stream.last_read) from None
    except cs.ConstructError as err:
        raise DecodeError(f"malformed {section}: {_plain(err)}", base + stream.last_read) from None
    if stream.tell() != len(data):
        raise DecodeError(f"malformed {section}: {len(data) - stream.tell()} unexpected bytes at the end",
                          base + stream.tell())
    return _plain_list(value)


def _plain_list(value):
    # construct's ListContainer compares and prints differently from a list; our
    # dataclasses hold plain lists.
    return list(value) if isinstance(value, cs.ListContainer) else value


def build(struct: cs.Construct, value, section: str) -> bytes:
    """`value` written by `struct`; a value the format cannot hold (a negative count, a
    missing field) is a WasmError."""
    try:
        return struct.build(value)
    except cs.ConstructError as err:
        raise WasmError(f"cannot encode {section}: {_plain(err)}") from None


def _plain(err: cs.ConstructError) -> str:
    # construct appends "(parsing) -> field -> ..." paths; the field path is kept, the
    # phase word is noise.
    return str(err).replace("(parsing) -> ", "").replace("(building) -> ", "")


class Leb(cs.Construct):
    """LEB128 through our own codec: the spec's width limits, our error wording."""

    def __init__(self, bits: int, signed: bool = False):
        super().__init__()
        self.bits = bits
        self.max_bytes = (bits + 6) // 7
        self._read = leb.read_signed if signed else leb.read_unsigned
        self._write = leb.write_signed if signed else leb.write_unsigned

    def _parse(self, stream, context, path):
        # Read straight from the payload with our reader: its offsets are exact, and it
        # avoids a stream read per byte. (`parse` always hands constructs a _TrackedStream.)
        start = stream.tell()
        try:
            value, end = self._read(stream.data, start, self.bits)
        except DecodeError as err:
            raise _Malformed(err.message, err.offset if err.message == "unexpected end" else start) from None
        stream.seek(end)
        return value

    def _build(self, obj, stream, context, path):
        stream.write(self._write(obj))
        return obj

    def _sizeof(self, context, path):
        raise cs.SizeofError("LEB128 has no fixed size", path=path)


class Utf8Name(cs.Construct):
    """A `name` of the binary format: LEB128 byte length, then UTF-8."""

    def _parse(self, stream, context, path):
        length = U32._parsereport(stream, context, path)
        start = stream.tell()
        raw = stream.read(length)
        if len(raw) != length:
            raise _Malformed("unexpected end", start)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Malformed("malformed UTF-8 encoding", start) from None

    def _build(self, obj, stream, context, path):
        raw = obj.encode("utf-8")
        stream.write(leb.write_unsigned(len(raw)) + raw)
        return obj


class OneOf(cs.Subconstruct):
    """`subcon`, whose value must be one of `allowed`; `what` names it in the error."""

    def __init__(self, subcon, allowed, what: str):
        super().__init__(subcon)
        self.allowed = frozenset(allowed)
        self.what = what

    def _parse(self, stream, context, path):
        start = stream.tell()
        value = self.subcon._parsereport(stream, context, path)
        if value not in self.allowed:
            raise _Malformed(f"unknown {self.what} {value!r}", start)
        return value

    def _build(self, obj, stream, context, path):
        return self.subcon._build(obj, stream, context, path)


class As(cs.Adapter):
    """A `construct.Struct` read into (and written from) one of our dataclasses or records."""

    def __init__(self, cls, subcon):
        super().__init__(subcon)
        self.cls = cls
        # A record's fields are its __init__'s parameters (`binary/record.py`).
        self.names = list(cls._fields) if hasattr(cls, "_fields") else [f.name for f in fields(cls) if f.init]

    def _decode(self, obj, context, path):
        return self.cls(**{name: _plain_list(obj[name]) for name in self.names if name in obj})

    def _encode(self, obj, context, path):
        return {name: getattr(obj, name) for name in self.names}


class UntilEnd(cs.Subconstruct):
    """`subcon` repeated until the payload ends (a truncated last item is an error,
    unlike construct's GreedyRange, which would stop silently)."""

    def _parse(self, stream, context, path):
        items = cs.ListContainer()
        while stream.tell() < stream.size:
            items.append(self.subcon._parsereport(stream, context, path))
        return items

    def _build(self, obj, stream, context, path):
        for item in obj:
            self.subcon._build(item, stream, context, path)
        return obj


U32 = Leb(32)
U64 = Leb(64)
S32 = Leb(32, signed=True)
S64 = Leb(64, signed=True)
NAME = Utf8Name()
BYTE = cs.Int8ul


def vec(item: cs.Construct) -> cs.Construct:
    """The binary format's vector: a LEB128 count, then the items."""
    return cs.PrefixedArray(U32, item)


# -- sections made of subsections (linking, dylink.0) ----------------------------------

@dataclass
class Frame:
    """One subsection as it sits in the file: id, payload, and where it was."""
    id: int
    payload: bytes
    offset: int = field(default=0, compare=False)  # of the payload, within the section
    size_width: int = field(default=1, compare=False)  # LLVM pads sizes to 5 bytes


_FRAME = cs.Struct("id" / BYTE, "size_at" / cs.Tell, "size" / U32, "offset" / cs.Tell,
                   "payload" / cs.Bytes(cs.this.size))


class Subsections:
    """A custom section whose body is `id:u8 size:u32 payload` subsections (after an
    optional header). Each known id is parsed by its own construct into one attribute
    of a dataclass; unknown ones are kept as bytes; the order and the width of each size
    field are recorded, so encoding what was parsed gives the same bytes back."""

    def __init__(self, section: str, known: dict[int, tuple[str, str, cs.Construct]]):
        self.section = section
        self.known = known  # id -> (attribute, subsection name, construct of its payload)

    def frames(self, data: bytes, start: int, base: int) -> list[Frame]:
        raw = parse(UntilEnd(_FRAME), data[start:], f"{self.section} section", base + start)
        return [Frame(f.id, f.payload, start + f.offset, f.offset - f.size_at) for f in raw]

    def decode_into(self, target, data: bytes, start: int, base: int):
        """Fill `target` (with `unknown: dict` and `layout: list`) from `data[start:]`."""
        for frame in self.frames(data, start, base):
            if any(frame.id == seen for seen, _ in target.layout):
                raise DecodeError(f"malformed {self.section} section: duplicate subsection {frame.id}",
                                  base + frame.offset - frame.size_width - 1)
            target.layout.append((frame.id, frame.size_width))
            if frame.id in self.known:
                attribute, name, struct = self.known[frame.id]
                value = parse(struct, frame.payload, f"{self.section} {name} subsection", base + frame.offset)
                setattr(target, attribute, value)
            else:
                target.unknown[frame.id] = frame.payload

    def encode(self, source) -> bytes:
        """Subsections in the recorded order, then any new ones: known ones in the order
        `known` lists them (LLVM's order), unknown ones by id."""
        widths = dict(source.layout)
        order = [sid for sid, _ in source.layout]
        order += [sid for sid, (attribute, _, _) in self.known.items()
                  if sid not in widths and getattr(source, attribute) is not None]
        order += [sid for sid in sorted(source.unknown) if sid not in widths]
        out = []
        for sid in order:
            if sid in self.known:
                attribute, name, struct = self.known[sid]
                value = getattr(source, attribute)
                if value is None:
                    continue
                payload = build(struct, value, f"{self.section} {name} subsection")
            elif sid in source.unknown:
                payload = source.unknown[sid]
            else:
                continue
            out.append(bytes((sid,)) + leb.write_unsigned_width(len(payload), widths.get(sid, 1)) + payload)
        return b"".join(out)
