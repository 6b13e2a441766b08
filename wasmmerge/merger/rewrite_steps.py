"""The rewriter's per-immediate steps: one skipper or patcher per immediate kind, and an
instruction taken through them, for what the scanning expression leaves to Python.

A step is `(remap, data, pos, patches) -> pos`: it reads the immediate at `pos`, appends
a `(start, end, new bytes)` patch when the remap changes it, and returns the position
after it. Every index, number, fixed-size value and one-byte immediate is stepped over by
its layout; the compound kinds, which may hold an index, have a patcher of their own, and
an index kind whose space is remapped gets that space's table bound in
(`_bound_index_step`). A new index keeps the old LEB128 width when it fits.
"""

from ..binary import leb
from ..binary.code import read_op
from ..binary.opcodes import Op
from ..binary.spaces import BYTE, INDEX_KINDS, MEMORY, S32, S64, TAG, U32, by_layout
from ..errors import DecodeError, ValidationError


# -- LEB helpers that keep the original width ------------------------------------------

def _leb_end(data, pos: int) -> int:
    n = len(data)
    while pos < n:
        if data[pos] < 0x80:
            return pos + 1
        pos += 1
    raise DecodeError("unexpected end", pos)


# -- one skipper per immediate kind: (data, pos) -> pos -------------------------------

def _skip_fixed(size):
    def skip(data, pos):
        if pos + size > len(data):
            raise DecodeError("unexpected end", len(data))
        return pos + size
    return skip


def _skip_byte(data, pos):
    if pos >= len(data):
        raise DecodeError("unexpected end", pos)
    return pos + 1


# -- patchers: (remap, data, pos, patches) -> pos -------------------------------------

def _index_patcher(space):
    def patch(remap, data, pos, patches):
        return _bound_index_step(remap, space)(remap, data, pos, patches)
    return patch


def _bound_index_step(remap, space: str):
    """The patcher of one space's index immediates, with that space's table bound in."""
    step = remap._index_steps.get(space)
    if step is not None:
        return step
    table = getattr(remap, space)
    if table is None:
        step = _wrap_skip(_leb_end)
        remap._index_steps[space] = step
        return step
    encoded = {}  # (new index, width) -> bytes
    size = len(table)
    read_u32 = leb.read_u32

    def step(_remap, data, pos, patches):
        try:
            value = data[pos]
        except IndexError:
            raise DecodeError("unexpected end", pos) from None
        if value < 0x80:
            end = pos + 1
        else:
            value, end = read_u32(data, pos)
        if value >= size:
            raise ValidationError(f"unknown {space} {value}", pos)
        new = table[value]
        if new != value:
            key = (new, end - pos)
            raw = encoded.get(key)
            if raw is None:
                raw = encoded[key] = leb.write_unsigned_width(new, end - pos)
            patches.append((pos, end, raw))
        return end
    remap._index_steps[space] = step
    return step


def _patch_heaptype(remap, data, pos, patches):
    value, end = leb.read_s33(data, pos)
    if value >= 0 and remap.type is not None:
        new = remap.new("type", value)
        if new != value:
            patches.append((pos, end, leb.write_signed_width(new, end - pos)))
    return end


def _patch_valtype(remap, data, pos, patches):
    if pos >= len(data):
        raise DecodeError("unexpected end", pos)
    if data[pos] in (0x63, 0x64):
        return _patch_heaptype(remap, data, pos + 1, patches)
    return pos + 1


def _patch_blocktype(remap, data, pos, patches):
    if pos >= len(data):
        raise DecodeError("unexpected end", pos)
    byte = data[pos]
    if byte in (0x63, 0x64):
        return _patch_heaptype(remap, data, pos + 1, patches)
    if 0x40 <= byte < 0x80:  # empty, a number type or an abstract reference shorthand
        return pos + 1
    return _patch_heaptype(remap, data, pos, patches)  # a type index, as s33


def _patch_valtypes(remap, data, pos, patches):
    count, pos = leb.read_u32(data, pos)
    for _ in range(count):
        pos = _patch_valtype(remap, data, pos, patches)
    return pos


def _patch_labels(remap, data, pos, patches):
    count, pos = leb.read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    for _ in range(count + 1):
        pos = _leb_end(data, pos)
    return pos


def _patch_catches(remap, data, pos, patches):
    count, pos = leb.read_u32(data, pos)
    patch_tag = _INDEX_PATCHERS[TAG]
    for _ in range(count):
        kind = data[pos] if pos < len(data) else None
        if kind is None or kind > 3:
            raise DecodeError("malformed catch clause", pos)
        pos += 1
        if kind < 2:
            pos = patch_tag(remap, data, pos, patches)
        pos = _leb_end(data, pos)
    return pos


def _patch_memarg(remap, data, pos, patches):
    return _leb_end(data, _patch_memarg_head(remap, data, pos, patches))


def _patch_memarg_head(remap, data, pos, patches):
    """A memory argument's flags and memory index (the offset never changes)."""
    flags, after_flags = leb.read_u32(data, pos)
    if flags & 0x40:
        return _INDEX_PATCHERS[MEMORY](remap, data, after_flags, patches)
    new = remap.new(MEMORY, 0)
    if new != 0:
        # Memory 0 is implied by the flags; naming another one needs the explicit form.
        key = (flags, after_flags - pos, new)
        raw = _EXPLICIT_MEMARG.get(key)
        if raw is None:
            raw = _EXPLICIT_MEMARG[key] = (leb.write_unsigned_width(flags | 0x40, after_flags - pos)
                                           + leb.write_unsigned(new))
        patches.append((pos, after_flags, raw))
    return after_flags


_EXPLICIT_MEMARG: dict[tuple, bytes] = {}


_INDEX_PATCHERS = {space: _index_patcher(space) for space in INDEX_KINDS}

# Every index, number, fixed-size value and one-byte immediate is stepped over by its
# layout; only the compound kinds, which may hold an index, need a patcher of their own.
SKIPPERS = by_layout({U32: _leb_end, S32: _leb_end, S64: _leb_end, BYTE: _skip_byte}, _skip_fixed)

COMPOUND_PATCHERS = {
    "blocktype": _patch_blocktype, "labels": _patch_labels, "memarg": _patch_memarg,
    "heaptype": _patch_heaptype, "valtypes": _patch_valtypes, "catches": _patch_catches,
}


def _wrap_skip(skip):
    return lambda remap, data, pos, patches: skip(data, pos)


def _plan(op: Op, remap) -> tuple:
    """The per-immediate steps of one instruction under a remap."""
    steps = []
    for kind in op.imms:
        if kind in COMPOUND_PATCHERS:
            steps.append(COMPOUND_PATCHERS[kind])
        elif kind in remap.active:  # an index kind, named after its space
            steps.append(_bound_index_step(remap, kind))
        else:
            steps.append(_wrap_skip(SKIPPERS[kind]))
    return tuple(steps)


def _python_step(remap, data, pos: int, patches: list) -> int:
    """One instruction at `pos` through the per-immediate steps; the position after it."""
    plans = remap._plans
    steps = plans.get(data[pos])  # one-byte opcodes are looked up by their byte
    if steps is not None:
        pos += 1
    else:
        op, pos = read_op(data, pos)
        steps = plans.get(op)
        if steps is None:
            steps = plans[op] = _plan(op, remap)
            if op.prefix is None:
                plans[op.code] = steps
    for step in steps:
        pos = step(remap, data, pos, patches)
    return pos


def apply_patches(data, patches, start: int = 0, end: int | None = None) -> bytes:
    if end is None:
        end = len(data)
    if not patches:
        return bytes(data[start:end])
    pieces = []
    last = start
    for begin, stop, new in patches:
        pieces.append(data[last:begin])
        pieces.append(new)
        last = stop
    pieces.append(data[last:end])
    return b"".join(pieces)
