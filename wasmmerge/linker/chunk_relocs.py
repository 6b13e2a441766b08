"""Each chunk's relocations: read from an object's `reloc.*` sections, checked, handed
between processes, and walked by the passes that follow them.

A chunk's relocations are one `array` of machine integers, four slots each: type number,
offset, index, addend (an object has one per relocated site, a program hundreds of
thousands). Offsets stay as the object wrote them, from its section's start, beside the
chunk's own offset there (`reloc_base`): making them relative would cost an operation
per site. `relocations(chunk)` and `named(chunk)` give the type's row from the one table.
"""

from array import array
from bisect import bisect_left, bisect_right
from itertools import compress

from ..binary.model import CODE, CUSTOM, DATA
from ..custom import linking as linking_section
from ..custom import reloc as reloc_section
from ..errors import LinkError
from .relocations import RELOC_TYPES, ROW_OF, SYMBOL_KINDS_FOR_TARGET, TYPE_KINDS


def fail(file, message, offset=None):
    """A malformed object: one LinkError naming the file (and the offset)."""
    raise LinkError(message, offset=offset, file=file)


def packed_relocations(obj) -> tuple:
    """Every chunk's relocations in one array, with which chunk holds each share: what a
    process reading objects ahead sends back (one array pickles as its bytes; thousands
    of small ones would not be cheap)."""
    shares = []  # (chunk group, index in it, reloc_base, slots) per chunk with relocations
    parts = []
    for group, chunks in enumerate((obj.functions, obj.datas, obj.customs)):
        for k, chunk in enumerate(chunks):
            if chunk.relocs:
                shares += (group, k, chunk.reloc_base, len(chunk.relocs))
                parts.append(chunk.relocs)
    wide = any(part.typecode == "q" for part in parts)
    flat = array("q" if wide else "i")
    for part in parts:
        flat.extend(part if part.typecode == flat.typecode else array("q", part))
    return obj.names_got, obj.code_types, flat, shares


def attach_packed(obj, packed: tuple):
    """The chunks of `obj` given the relocations `packed_relocations` made of the same bytes."""
    obj.names_got, obj.code_types, flat, shares = packed
    groups = (obj.functions, obj.datas, obj.customs)
    pos = 0
    slots = iter(shares)
    for group, k, base, count in zip(slots, slots, slots, slots):
        chunk = groups[group][k]
        chunk.relocs = flat[pos:pos + count]
        chunk.reloc_base = base
        pos += count


_MAX_WIDTH = max(t.width for t in RELOC_TYPES.values())


def read_relocations(obj, infos, section_name, raw, payload, code_info, data_info):
    """Decode a reloc.* payload, check what each relocation names and where it sits, and
    give each chunk its own relocations. `raw` is the payload, `payload` its file offset.

    The entries are decoded by `custom.reloc` into one flat list; everything after that
    is done a section or a chunk at a time rather than per relocation (a program has
    hundreds of thousands): each distinct (type, index) pair is checked once, and as
    LLVM writes entries in offset order, each chunk's share is found by bisection and
    sliced off."""
    target_index, flat = reloc_section.read_flat(raw, payload, section_name)
    if target_index >= len(infos):
        fail(obj.name, f"{section_name}: target section index {target_index} out of range", payload)
    target = infos[target_index]
    if target.id == CODE:
        chunks, base = obj.functions, code_info.start
    elif target.id == DATA:
        chunks, base = obj.datas, data_info.start
    elif target.id == CUSTOM:
        chunk = obj.sections.get(target_index)
        if chunk is None:
            return  # checked above, though its section is dropped
        # Offsets in a custom section count from its payload, after the name.
        chunks, base = [chunk], chunk.start
    else:
        fail(obj.name, f"{section_name}: relocations for a {target.kind} section are not supported", payload)
    if not flat:
        return
    kinds, offsets, indices = flat[0::4], flat[1::4], flat[2::4]
    _check_targets(obj, section_name, payload, kinds, indices)
    if offsets != sorted(offsets):
        _attach_unsorted(obj, section_name, payload, target, chunks, base, flat)
        return
    if target.id == CODE:
        # The object's types its code names, in the order it names them (what the writer
        # needs when every function is kept, without going through each function's).
        obj.code_types = list(dict.fromkeys(compress(indices, map(TYPE_KINDS.__contains__, kinds))))
    packed = _packed(flat)  # once: each chunk's share is then a slice of machine integers
    lo = attached = 0
    for chunk in chunks:
        start, end = chunk.start - base, chunk.end - base
        lo = bisect_left(offsets, start, lo)
        hi = bisect_left(offsets, end, lo)
        if lo == hi:
            continue
        # Only the last few entries can reach past the chunk's end.
        k = hi - 1
        while k >= lo and offsets[k] + _MAX_WIDTH > end:
            if offsets[k] + ROW_OF[flat[4 * k]].width > end:
                _bad_site(obj, section_name, k, ROW_OF[flat[4 * k]], offsets[k], target, payload)
            k -= 1
        chunk.relocs = packed[4 * lo:4 * hi]
        chunk.reloc_base = start
        attached += hi - lo
        lo = hi
    if attached != len(offsets):  # some entry sits between chunks (a size field, a header)
        _attach_unsorted(obj, section_name, payload, target, chunks, base, flat)


def _attach_unsorted(obj, section_name, payload, target, chunks, base, flat):
    """The general case: each entry's chunk found on its own, entries kept in their order
    (and the first one outside every chunk reported)."""
    if target.id == CODE:
        obj.code_types = None  # the section's order may not be the functions': the writer goes by each
    starts = [chunk.start - base for chunk in chunks]
    shares = [[] for _ in chunks]
    slots = iter(flat)
    for number, (kind, offset, index, addend) in enumerate(zip(slots, slots, slots, slots)):
        k = bisect_right(starts, offset) - 1
        if k < 0 or offset + ROW_OF[kind].width > chunks[k].end - base:
            _bad_site(obj, section_name, number, ROW_OF[kind], offset, target, payload)
        shares[k] += (kind, offset, index, addend)
    for chunk, start, share in zip(chunks, starts, shares):
        chunk.relocs = _packed(share) if share else []
        chunk.reloc_base = start if share else 0


def _packed(flat: list) -> array:
    """A chunk's relocations as machine integers: a sixth of the memory of a list of
    Python ints (a program has hundreds of thousands). 64-bit addends need wider slots."""
    try:
        return array("i", flat)
    except OverflowError:
        return array("q", flat)


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


def relocations(chunk):
    """(type's row, offset in the chunk, index, addend) of each relocation of `chunk`."""
    relocs, base = chunk.relocs, chunk.reloc_base
    return zip(map(ROW_OF.__getitem__, relocs[0::4]), map(base.__rsub__, relocs[1::4]), relocs[2::4], relocs[3::4])


def named(chunk):
    """(type's row, index) of each relocation of `chunk`: what it names, for the passes
    that only follow references (marking, table slots, GOT entries, types)."""
    relocs = chunk.relocs
    return zip(map(ROW_OF.__getitem__, relocs[0::4]), relocs[2::4])


def _bad_site(obj, section_name, number, rt, offset, target, payload):
    fail(obj.name, f"{section_name}: relocation {number} ({rt.name}) at offset {offset:#x} "
                    f"is outside every {target.kind} entry", payload)
