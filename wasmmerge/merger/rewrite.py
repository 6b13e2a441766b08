"""Copy-and-patch of instruction bytes: only the index immediates that change are rewritten.

One traversal, driven by the opcode table: every immediate kind (`binary/spaces.py`) has
a step, in `SKIPPERS` (kinds stepped over, index kinds included) or `COMPOUND_PATCHERS`,
and every index space a patcher that is used only when that space's map is not the
identity. A new index is written in the original LEB128 width when it fits, so code
offsets stay stable.

Most instructions name no remapped index, so runs of them are skipped by one regular
expression generated from the same table (matched in C); only the instructions left over
are looked at in Python. Anything the expression does not know (unusual encodings,
br_table, typed select, try_table) simply falls through to the Python path.
"""

import functools

from ..binary import leb
from ..binary.code import read_op
from ..binary.opcodes import ALL_OPS, Op
from ..binary.scan import run_pattern
from ..binary.spaces import BYTE, INDEX_KINDS, MEMORY, MODULE_SPACES, S32, S64, TAG, U32, by_layout, spaces_of
from ..errors import DecodeError, ValidationError
from .rewrite_pattern import patch_pattern

# Spaces the merger renumbers; locals, labels and fields never change.
REMAPPABLE = MODULE_SPACES


class Remap:
    """Per index space, the new index of each old one (None: identity)."""

    __slots__ = REMAPPABLE + ("active", "_plans", "_index_steps", "_scan")

    def __init__(self, **maps):
        for space in REMAPPABLE:
            value = maps.pop(space, None)
            setattr(self, space, None if value is None or _is_identity(value) else value)
        if maps:
            raise TypeError(f"unknown index spaces: {sorted(maps)}")
        self.active = frozenset(s for s in REMAPPABLE if getattr(self, s) is not None)
        self._plans = {}
        self._index_steps = {}
        self._scan = None

    def is_identity(self) -> bool:
        return not self.active

    def new(self, space: str, index: int) -> int:
        table = getattr(self, space)
        if table is None:
            return index
        try:
            return table[index]
        except IndexError:
            raise ValidationError(f"unknown {space} {index}") from None


def _is_identity(table) -> bool:
    return all(i == v for i, v in enumerate(table))


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


def _bound_index_step(remap: Remap, space: str):
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


def _plan(op: Op, remap: Remap) -> tuple:
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


# -- the skipper: a regular expression over runs of instructions needing no patch ------

def _skippable(op: Op, active: frozenset) -> bool:
    return not any(space in active for kind in op.imms for space in spaces_of(kind))


@functools.cache
def build_skipper(active: frozenset):
    """A compiled pattern matching the longest run of instructions that need no patch."""
    return run_pattern(lambda op: _skippable(op, active))


# -- the traversal ---------------------------------------------------------------------

def collect_patches(data, remap: Remap, start: int = 0, end: int | None = None,
                    use_skipper: bool = True) -> list:
    """Every (start, end, new bytes) replacement the instructions in data[start:end] need."""
    if end is None:
        end = len(data)
    patches = []
    skip = build_skipper(remap.active).match if use_skipper else None
    pos = start
    view = data if end == len(data) else memoryview(data)[:end]
    while pos < end:
        if skip is not None:
            pos = skip(data, pos, end).end()
            if pos >= end:
                break
        pos = _python_step(remap, view, pos, patches)
    if pos > end:
        raise DecodeError("unexpected end of section or function", end)
    return patches


def _python_step(remap: Remap, data, pos: int, patches: list) -> int:
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


# -- the fast path: one match per patchable instruction, replacements cached by bytes ---

_MISS = object()


def _scanner(remap: Remap):
    """(pattern, caches, steps, fields) for this remap. An instruction a match captured is
    named by the match's `lastindex`, g: when it has one patchable immediate (nearly all
    do), that is group g, `caches[g]` maps the immediate's bytes to its replacement (None:
    unchanged) and `steps[g]` computes one; otherwise `fields[g]` lists (group, cache,
    step) for each. The same bytes always give the same replacement, and most immediates
    repeat (the same callee, memory argument or global), so most sites cost a lookup."""
    scan = remap._scan
    if scan is None:
        found = patch_pattern(remap.active)
        by_kind: dict[str, dict] = {}
        caches, steps, fields = {}, {}, {}
        for last, groups in found.fields.items():
            bound = tuple((group, by_kind.setdefault(kind, {}), _field_step(remap, kind)) for group, kind in groups)
            if len(bound) == 1:
                caches[last], steps[last] = bound[0][1], bound[0][2]
            else:
                fields[last] = bound
        scan = remap._scan = (found.pattern, caches, steps, fields)
    return scan


def _field_step(remap: Remap, kind: str):
    if kind == "memarg":
        return _patch_memarg_head  # the pattern captures the flags and memory index only
    if kind in COMPOUND_PATCHERS:
        return COMPOUND_PATCHERS[kind]
    return _bound_index_step(remap, kind)


def _replacement(step, remap: Remap, data, begin: int, stop: int):
    """The bytes replacing data[begin:stop] (one captured immediate), None if unchanged."""
    patches = []
    if step(remap, data, begin, patches) != stop:
        raise DecodeError("malformed immediate", begin)  # the pattern and the reader disagree
    return apply_patches(data, patches, begin, stop) if patches else None


def _rewritten(data, remap: Remap) -> bytes:
    if not isinstance(data, bytes):
        data = bytes(data)  # immediates are looked up by their bytes (a view may be unhashable)
    pattern, caches, steps, fields = _scanner(remap)
    pieces = []
    append = pieces.append
    last = 0
    end = len(data)
    # A scanner's match() continues where the previous match ended.
    next_match = pattern.scanner(data).match
    while True:
        found = next_match()
        group = found.lastindex
        if group is None:  # a run, then the end or an instruction the pattern leaves to us
            pos = found.end()
            if pos >= end:
                break
            patches = []
            pos = _python_step(remap, data, pos, patches)
            for begin, stop, new in patches:
                append(data[last:begin])
                append(new)
                last = stop
            next_match = pattern.scanner(data, pos).match
            continue
        cache = caches.get(group)
        if cache is not None:
            begin, stop = found.span(group)
            raw = data[begin:stop]
            new = cache.get(raw, _MISS)
            if new is _MISS:
                new = cache[raw] = _replacement(steps[group], remap, data, begin, stop)
            if new is not None:
                append(data[last:begin])
                append(new)
                last = stop
            continue
        for field, cache, step in fields[group]:
            begin, stop = found.span(field)
            raw = data[begin:stop]
            new = cache.get(raw, _MISS)
            if new is _MISS:
                new = cache[raw] = _replacement(step, remap, data, begin, stop)
            if new is not None:
                append(data[last:begin])
                append(new)
                last = stop
    if pos > end:
        raise DecodeError("unexpected end of section or function", end)
    if not pieces:
        return data
    append(data[last:])
    return b"".join(pieces)


_SHORT = 32  # bytes: below this, a body or expression is first checked whole


def rewrite(data: bytes, remap: Remap, base: int = 0, use_skipper: bool = True) -> bytes:
    """`data` (instructions) with every remapped index immediate rewritten.

    `base` is the offset of `data` in its file, for error messages. `use_skipper=False`
    takes every instruction through the Python steps (the tests compare both paths).
    """
    if remap.is_identity():
        return data
    try:
        if use_skipper:
            if len(data) <= _SHORT:
                # Constant expressions (98,450 data segment offsets in esbuild): one call
                # in C says whether anything in them needs a patch.
                whole = (remap._scan or _scanner(remap))[0].fullmatch(data)
                if whole is not None and whole.lastindex is None:
                    return data if isinstance(data, bytes) else bytes(data)
            return _rewritten(data, remap)
        return apply_patches(data, collect_patches(data, remap, use_skipper=False))
    except (DecodeError, ValidationError) as err:
        raise err.at_base(base) from None


def every_index_immediate() -> list[tuple[Op, str]]:
    """(instruction, immediate kind) for every immediate that names a remappable index."""
    out = []
    for op in ALL_OPS:
        for kind in op.imms:
            if any(s in REMAPPABLE for s in spaces_of(kind)):
                out.append((op, kind))
    return out
