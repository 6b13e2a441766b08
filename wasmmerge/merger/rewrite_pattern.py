"""The rewriter's scanning expression: a run of instructions needing no patch, then one
instruction whose remapped immediates are captured, matched in C in one call.

Built from the opcode table for one set of remapped index spaces (`patch_pattern`).
Instructions are grouped by the *text* of their immediates' patterns, not by immediate
kind: `local.get`, `br`, `i32.const` and (when functions keep their indices) `call` all
take one LEB128, so they form one alternative and the engine tries a dozen alternatives
per instruction instead of a hundred. A match stops after the first instruction naming
a remapped space; each of its patchable immediates is a capture group, and `fields`
says, by the match's `lastindex`, which groups hold which kind. What the expression
cannot match (a counted vector other than a short br_table, a non-minimal opcode
encoding, the end of the body) ends the match with no group, and the caller takes that
instruction with the table-driven Python path.
"""

import functools
import re
from dataclasses import dataclass

from ..binary import leb
from ..binary.opcodes import PREFIXED, SINGLE, Op
from ..binary.scan import COUNTED, IMM_PATTERNS, LEB, _byte_class, run_of
from ..binary.spaces import spaces_of

# br_table's labels: a one-byte count n, then n + 1 label LEBs. Larger counts are rare and
# go to the Python path; a label never needs a patch, so br_table is always skippable.
_LABELS = b"(?:" + b"|".join(re.escape(bytes((n,))) + b"(?:" + LEB + b"){%d}" % (n + 1)
                             for n in range(0x80)) + b")"

# The part of a patchable immediate that is captured (and replaced) when its space is
# remapped: the whole immediate, except for a memory argument (flags and memory index;
# the offset follows, uncaptured) and a block type (only the forms naming a type index;
# the one-byte forms stay in the skippable alternatives).
_MEMARG_HEAD = (rb"(?:[\x00-\x3f]|[\x80-\xbf][\x80-\xff]*[\x00-\x7f]"
                rb"|(?:[\x40-\x7f]|[\xc0-\xff][\x80-\xff]*[\x00-\x7f])" + LEB + b")")
_CAPTURED = {"memarg": (b"(" + _MEMARG_HEAD + b")" + LEB),
             "blocktype": rb"([\x63\x64]" + LEB + rb"|[\x00-\x3f]|[\x80-\xff]+[\x00-\x7f])"}
_SHORT_BLOCKTYPE = rb"[\x40-\x62\x65-\x7f]"


@dataclass(frozen=True)
class PatchPattern:
    """`pattern.match(data, pos)` skips a run and captures one instruction's fields;
    `fields[m.lastindex]` is ((group, kind), ...) for the instruction it captured."""

    pattern: re.Pattern
    fields: dict


def _patchable(kind: str, active: frozenset) -> bool:
    return any(space in active for space in spaces_of(kind))


@functools.cache
def patch_pattern(active: frozenset) -> PatchPattern:
    """The expression for a remap whose non-identity spaces are `active`."""
    skip_single, patch_single = [], []
    skip_prefixed, patch_prefixed = {}, {}
    for op in _all_ops():
        if "labels" in op.imms:
            continue  # br_table: added below with its own pattern
        if COUNTED.intersection(op.imms):
            continue  # left to the Python path
        captured = [k for k in op.imms if _patchable(k, active)]
        target_skip, target_patch = ((skip_single, patch_single) if op.prefix is None else
                                     (skip_prefixed.setdefault(op.prefix, []),
                                      patch_prefixed.setdefault(op.prefix, [])))
        if not captured:
            target_skip.append((op, b"".join(IMM_PATTERNS[k] for k in op.imms), ()))
            continue
        if captured == ["blocktype"]:
            # The one-byte block types name no type: those blocks need no patch.
            target_skip.append((op, _SHORT_BLOCKTYPE, ()))
        text = b"".join(_CAPTURED.get(k, b"(" + IMM_PATTERNS[k] + b")") if k in captured
                        else IMM_PATTERNS[k] for k in op.imms)
        target_patch.append((op, text, tuple(captured)))
    skip_alts = _group(skip_single, _single_opcodes)
    for prefix, rows in skip_prefixed.items():
        if rows:
            skip_alts.append(re.escape(bytes((prefix,))) + b"(?:" + b"|".join(_group(rows, _prefixed_opcodes)) + b")")
    skip_alts.append(rb"\x0e" + _LABELS)  # 0.2% of instructions, 128 alternatives: last
    patch_groups = _group_rows(patch_single, _single_opcodes, b"")
    for prefix, rows in patch_prefixed.items():
        patch_groups += _group_rows(rows, _prefixed_opcodes, re.escape(bytes((prefix,))))
    # Number the capture groups in order of appearance; an alternative's last group is
    # the match's lastindex when it matched.
    fields, texts, group = {}, [], 0
    for text, kinds in patch_groups:
        numbered = tuple((group + 1 + i, kind) for i, kind in enumerate(kinds))
        group += len(kinds)
        fields[group] = numbered
        texts.append(text)
    source = run_of(skip_alts)
    if texts:
        source += b"(?:" + b"|".join(texts) + b")?"
    return PatchPattern(re.compile(source), fields)


def _all_ops():
    yield from SINGLE.values()
    for table in PREFIXED.values():
        yield from table.values()


def _single_opcodes(ops) -> bytes:
    return _byte_class(op.code for op in ops)


def _prefixed_opcodes(ops) -> bytes:
    short = [op.code for op in ops if op.code < 0x80]
    long = [re.escape(leb.write_unsigned(op.code)) for op in ops if op.code >= 0x80]
    return b"(?:" + b"|".join(([_byte_class(short)] if short else []) + long) + b")"


def _group(rows, opcodes) -> list[bytes]:
    """Alternatives for rows (op, immediates' pattern, ()) sharing a pattern text: no
    immediates and one LEB128 first (local.get, i32.const, end, i32.add: about 70% of the
    instructions of compiled code), then the groups with most instructions."""
    groups: dict[bytes, list[Op]] = {}
    for op, text, _ in rows:
        groups.setdefault(text, []).append(op)
    ordered = sorted(groups.items(), key=lambda item: (item[0] != b"", item[0] != LEB, -len(item[1])))
    alternatives, longer = [], []
    for text, ops in ordered:
        if text == LEB:  # one-byte values (most are) without the engine's repeat machinery
            alternatives.append(opcodes(ops) + rb"[\x00-\x7f]")
            longer.append(opcodes(ops) + rb"[\x80-\xff]+[\x00-\x7f]")
        else:
            alternatives.append(opcodes(ops) + text)
    return alternatives + longer


def _group_rows(rows, opcodes, prefix: bytes) -> list[tuple[bytes, tuple]]:
    """(alternative, captured kinds) for rows sharing a pattern text and captured kinds."""
    groups: dict[tuple, list[Op]] = {}
    for op, text, kinds in rows:
        groups.setdefault((text, kinds), []).append(op)
    # Loads and stores first: when memories move, they are most of the patched instructions.
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    return [(prefix + opcodes(ops) + text, kinds) for (text, kinds), ops in ordered]
