"""Relocations: read from an object's `reloc.*` sections, checked, handed between
processes, and walked a chunk at a time by the passes that follow them.

Each `reloc.*` section becomes one `RelocColumns`: its entries as four columns of machine
integers (type numbers, field offsets, indices, addends), 7 bytes an entry in most
objects, where a Python object per entry would take twenty times that (a program has
hundreds of thousands). Offsets stay as the section gives them, from a file offset kept
beside them (`base`), so that a pass maps them to the output by adding one number per
chunk. Entries are in offset order (LLVM writes them so, and wasm-ld refuses any other),
so a chunk's relocations are a run of the section's: code and data chunks find theirs
through their object's bounds arrays (`chunk.reloc_span()`, objects.py); a custom
section's are its own.
"""

from array import array
from bisect import bisect_left
from itertools import compress
from operator import attrgetter
from struct import error as struct_error
from struct import pack

from ..binary.model import CODE, CUSTOM, DATA
from ..custom import linking as linking_section
from ..custom import reloc as reloc_section
from ..errors import LinkError
from .relocations import RELOC_TYPES, ROW_OF, SYMBOL_KINDS_FOR_TARGET, TYPE_SELECTOR


def fail(file, message, offset=None):
    """A malformed object: one LinkError naming the file (and the offset)."""
    raise LinkError(message, offset=offset, file=file)


class RelocColumns:
    """One reloc.* section's entries, in offset order, as columns: `kinds` (bytes: type
    numbers), `offsets` (of the fields, as the section gives them: from `base`, a file
    offset), `indices` (symbol or type index), `addends` (0 where the type has none).
    Each column is as narrow as its values allow: offsets in a section under 64 KiB,
    indices and addends under 32 KiB, take two bytes each (most objects' sections)."""

    __slots__ = ("kinds", "offsets", "indices", "addends", "base")

    def __init__(self, kinds: bytes, offsets: array, indices: array, addends: array, base: int = 0):
        self.kinds = kinds
        self.offsets = offsets
        self.indices = indices
        self.addends = addends
        self.base = base

    def __len__(self) -> int:
        return len(self.kinds)

    def pack(self) -> tuple:
        """Plain values (marshal's), for another process: `unpack` makes the columns again."""
        columns = (self.offsets, self.indices, self.addends)
        return (self.kinds, "".join(column.typecode for column in columns), *(column.tobytes() for column in columns),
                self.base)

    @classmethod
    def unpack(cls, packed: tuple) -> "RelocColumns":
        kinds, typecodes, offsets, indices, addends, base = packed
        columns = tuple(map(array, typecodes))
        for column, raw in zip(columns, (offsets, indices, addends)):
            column.frombytes(raw)
        return cls(kinds, *columns, base)

    def widen_indices(self):
        """Indices as 32-bit integers, for a pass that renumbers them (wrap.py)."""
        if self.indices.typecode != "I":
            self.indices = array("I", self.indices)


def _machine(values, *typecodes: str) -> array:
    """Values as machine integers, in the first of `typecodes` that holds them all.

    Packed by `struct` (native sizes: those of `array`) and taken as the array's bytes:
    a third of the time `array` takes to convert a list item by item into two-byte
    integers (3.5 against 11.8 us for 620 values)."""
    for typecode in typecodes:
        try:
            return array(typecode, pack(f"{len(values)}{typecode}", *values))
        except struct_error:  # a value the type cannot hold
            if typecode == typecodes[-1]:
                raise


def packed_relocations(obj) -> tuple:
    """An object's relocations as plain values: what a process reading objects ahead sends
    back (`attach_packed` gives them to the same object read again without them)."""
    customs = [(k, chunk.relocs.pack()) for k, chunk in enumerate(obj.customs) if chunk.relocs is not None]
    code = obj.code_relocs.pack() if obj.code_relocs is not None else None
    data = obj.data_relocs.pack() if obj.data_relocs is not None else None
    return (obj.names_got, obj.code_types, code, obj.code_bounds.tobytes(), data, obj.data_bounds.tobytes(),
            customs)


def attach_packed(obj, packed: tuple):
    """The relocations `packed_relocations` made of the same bytes (all of them or a part,
    objects.relocation_parts), given to `obj` (whose `names_got` may be set already:
    synthetic.define_synthetic runs before the relocations of a link reading ahead are
    all taken)."""
    names_got, code_types, code, code_bounds, data, data_bounds, customs = packed
    obj.names_got = obj.names_got or names_got
    if code_types is not None:  # (a part of the relocations without the code's has none)
        obj.code_types = code_types
    if code is not None:
        obj.code_relocs = RelocColumns.unpack(code)
        obj.code_bounds = array("I")
        obj.code_bounds.frombytes(code_bounds)
    if data is not None:
        obj.data_relocs = RelocColumns.unpack(data)
        obj.data_bounds = array("I")
        obj.data_bounds.frombytes(data_bounds)
    for k, columns in customs:
        obj.customs[k].relocs = RelocColumns.unpack(columns)


_MAX_WIDTH = max(t.width for t in RELOC_TYPES.values())


def read_relocations(obj, infos, section_name, raw, payload, code_info, data_info):
    """Decode a reloc.* payload, check what each relocation names and where it sits, and
    keep it as the columns of its target section, with each chunk's run found.
    `raw` is the payload, `payload` its file offset.

    The entries are decoded by `custom.reloc` into one flat list; everything after that
    is done a section or a chunk at a time rather than per relocation (a program has
    hundreds of thousands): each distinct (type, index) pair is checked once, and each
    chunk's run is found by bisection."""
    target_index, flat = reloc_section.read_flat(raw, payload, section_name)
    if target_index >= len(infos):
        fail(obj.name, f"{section_name}: target section index {target_index} out of range", payload)
    target = infos[target_index]
    # Each chunk's (start, end) in the file.
    if target.id == CODE:
        ranges, base = zip(obj.body_starts, obj.size_fields[1:]), code_info.start
        count = len(obj.body_starts)
    elif target.id == DATA:
        ranges, base = ((chunk.start, chunk.end) for chunk in obj.datas), data_info.start
        count = len(obj.datas)
    elif target.id == CUSTOM:
        chunk = obj.sections.get(target_index)
        if chunk is None:
            return  # checked above, though its section is dropped
        # Offsets in a custom section count from its payload, after the name.
        ranges, base, count = ((chunk.start, chunk.end),), chunk.start, 1
    else:
        fail(obj.name, f"{section_name}: relocations for a {target.kind} section are not supported", payload)
    if not flat:
        return
    kinds, offsets, indices = flat[0::4], flat[1::4], flat[2::4]
    _check_targets(obj, section_name, payload, kinds, indices)
    if offsets != sorted(offsets):
        k = next(k for k in range(1, len(offsets)) if offsets[k] < offsets[k - 1])
        fail(obj.name, f"{section_name}: relocations not in offset order (relocation {k} at offset "
                        f"{offsets[k]:#x} follows one at {offsets[k - 1]:#x})", payload)
    bounds = array("I", bytes(4 * (count + 1)))
    lo = 0
    for k, (start, end) in enumerate(ranges):
        start, end = start - base, end - base
        lo = bisect_left(offsets, start, lo)
        if lo != bounds[k]:  # entries between the previous chunk's end and this one's start
            _outside(obj, section_name, bounds[k], offsets, flat, target, payload)
        hi = bisect_left(offsets, end, lo)
        # Only the last few entries can reach past the chunk's end.
        j = hi - 1
        while j >= lo and offsets[j] + _MAX_WIDTH > end:
            if offsets[j] + ROW_OF[flat[4 * j]].width > end:
                _outside(obj, section_name, j, offsets, flat, target, payload)
            j -= 1
        bounds[k + 1] = lo = hi
    if lo != len(offsets):  # entries past the last chunk
        _outside(obj, section_name, lo, offsets, flat, target, payload)
    columns = RelocColumns(bytes(kinds), _machine(offsets, "H", "I"), _machine(indices, "H", "I"),
                           _machine(flat[3::4], "h", "i", "q"), base)
    if target.id == CODE:
        obj.code_relocs, obj.code_bounds = columns, bounds
        # The object's types its code names, in the order it names them (what the writer
        # needs when every function is kept, without going through each function's).
        obj.code_types = list(dict.fromkeys(compress(indices, columns.kinds.translate(TYPE_SELECTOR))))
    elif target.id == DATA:
        obj.data_relocs, obj.data_bounds = columns, bounds
    else:
        chunk.relocs = columns


def _outside(obj, section_name, number, offsets, flat, target, payload):
    rt = ROW_OF[flat[4 * number]]
    fail(obj.name, f"{section_name}: relocation {number} ({rt.name}) at offset {offsets[number]:#x} "
                    f"is outside every {target.kind} entry", payload)


# By type number: the symbol kinds it may name (None: it names a type), and whether it
# is a global's (a GOT entry when it names a data or function symbol).
_ALLOWED = [SYMBOL_KINDS_FOR_TARGET.get(row.target) if row is not None else () for row in ROW_OF]
_NAMES_GLOBAL = [row is not None and row.target == "global" for row in ROW_OF]


def _check_targets(obj, section_name, payload, kinds, indices):
    """Each relocation names a type of the object or a symbol of a kind its type allows
    (each distinct (type, index) pair once)."""
    symbol_kinds = obj.symbol_table.kinds
    nsyms, ntypes = len(symbol_kinds), len(obj.module.types)
    allowed_of, names_global = _ALLOWED, _NAMES_GLOBAL
    for kind, index in set(zip(kinds, indices)):
        allowed = allowed_of[kind]
        if allowed is None:  # a type index
            if index < ntypes:
                continue
            problem = f"names type {index} of {ntypes}"
        elif index >= nsyms:
            problem = f"names symbol {index}, the symbol table has {nsyms}"
        elif (named := symbol_kinds[index]) in allowed:
            if names_global[kind] and named != linking_section.SYMTAB_GLOBAL:
                obj.names_got = True
            continue
        else:
            kind_name = linking_section.SYMBOL_KIND_NAMES[named]
            problem = f"names {kind_name} symbol {obj.symbol_table.names[index] or index}"
        first = next(k for k, pair in enumerate(zip(kinds, indices)) if pair == (kind, index))
        fail(obj.name, f"{section_name}: relocation {first} ({ROW_OF[kind].name}) {problem}", payload)


_LIVE, _DISCARDED = attrgetter("live"), attrgetter("discarded")


def all_kept(chunks) -> bool:
    """Whether every chunk of `chunks` (an object's functions or data segments) is kept:
    live, and not a COMDAT copy that lost (in C-level passes: a program has thousands)."""
    return all(map(_LIVE, chunks)) and not any(map(_DISCARDED, chunks))


def kept_runs(columns, chunks) -> tuple:
    """(columns, the runs of them that the kept chunks of `chunks` hold, in order): the
    whole section's in one when every chunk is kept (most objects)."""
    if columns is None:
        return None, ()
    if all_kept(chunks):
        return columns, ((0, len(columns)),)
    runs = []
    for chunk in chunks:
        if chunk.live and not chunk.discarded:
            _, lo, hi = chunk.reloc_span()
            if lo != hi:
                runs.append((lo, hi))
    return columns, runs


def relocations(chunk):
    """(type's row, offset in the chunk, index, addend) of each relocation of `chunk`."""
    columns, lo, hi = chunk.reloc_span()
    if lo == hi:
        return iter(())
    return zip(map(ROW_OF.__getitem__, columns.kinds[lo:hi]),
               map((columns.base - chunk.start).__add__, columns.offsets[lo:hi]),
               columns.indices[lo:hi], columns.addends[lo:hi])


def named(chunk):
    """(type's row, index) of each relocation of `chunk`: what it names, for the passes
    that only follow references (marking, table slots, GOT entries, types)."""
    columns, lo, hi = chunk.reloc_span()
    if lo == hi:
        return iter(())
    return zip(map(ROW_OF.__getitem__, columns.kinds[lo:hi]), columns.indices[lo:hi])
