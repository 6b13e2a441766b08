"""Copy-and-patch of instruction bytes: only the index immediates that change are rewritten.

`Remap` holds, per index space, the new index of each old one; a space whose map is the
identity is left alone. `rewrite` walks a body once with the expression of
`rewrite_pattern.py` (matched in C): each match skips a run of instructions naming no
remapped index and captures the immediates of the one after it. A captured immediate's
replacement depends only on its bytes, so it is computed once per remap by the
per-immediate steps of `rewrite_steps.py` (driven by the opcode table) and looked up
after that; each body's pieces are joined once. Anything the expression does not know
(a long br_table, typed select, try_table, unusual encodings, a truncated body) goes
through those steps for that one instruction. A new index is written in the original
LEB128 width when it fits, so code offsets stay stable.

`collect_patches` gives the same rewriting as a list of patches, for the debug-info
address map, with the older skip-only expression (`build_skipper`).
"""

import functools

from ..binary.opcodes import ALL_OPS, Op
from ..binary.scan import run_pattern
from ..binary.spaces import MODULE_SPACES, spaces_of
from ..errors import DecodeError, ValidationError
from .rewrite_pattern import patch_pattern
# The steps are re-exported: tests check their tables against the opcode table.
from .rewrite_steps import (COMPOUND_PATCHERS, SKIPPERS, _bound_index_step,  # noqa: F401
                            _patch_memarg_head, _python_step, apply_patches)

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


# -- the fast path: one match per patchable instruction, replacements cached by bytes ---

_MISS = object()


def _scanner(remap: Remap):
    """(pattern, caches, steps, fields) for this remap. An instruction a match captured is
    named by the match's `lastindex`, g: when it has one patchable immediate (nearly all
    do), that is group g, `caches[g]` (a list indexed by group) maps the immediate's bytes
    to its replacement (None: unchanged) and `steps[g]` computes one; otherwise `caches[g]`
    is None and `fields[g]` lists (group, cache, step) for each. The same bytes always give the same replacement, and most immediates
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
        top = max(found.fields, default=0) + 1
        scan = remap._scan = (found.pattern, [caches.get(g) for g in range(top)], steps, fields)
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
    miss = _MISS
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
        cache = caches[group]
        if cache is not None:
            raw = found[group]
            new = cache.get(raw, miss)
            if new is not None:
                begin, stop = found.span(group)
                if new is miss:
                    new = cache[raw] = _replacement(steps[group], remap, data, begin, stop)
                    if new is None:
                        continue
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
