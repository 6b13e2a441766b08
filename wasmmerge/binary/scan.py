"""Fast scans over instruction bytes: a regular expression, generated from the opcode
table, matches runs of "uninteresting" instructions in C; Python looks only at the rest.

`run_pattern(wanted)` builds the expression for the instructions `wanted(op)` accepts.
Immediates that are counted vectors (br_table labels, typed select, catch clauses) cannot
be matched by a regular expression, so instructions with them always end a run.
"""

import re
import sys
from typing import Callable, Iterator

from . import leb
from .code import READERS, read_op
from .opcodes import PREFIXED, SINGLE, Op
from .spaces import BYTE, S32, S33, S64, U32, VECTOR_KINDS, by_layout

LEB = rb"(?:[\x80-\xff]*[\x00-\x7f])"
# Every index, LEB number, fixed-size value and lane by its layout; the rest one by one.
IMM_PATTERNS = by_layout({U32: LEB, S32: LEB, S33: LEB, S64: LEB, BYTE: rb"[\x00-\xff]"},
                         lambda size: rb"[\x00-\xff]{%d}" % size)
IMM_PATTERNS.update({
    "castflags": rb"[\x00-\x03]", "zero": rb"\x00",
    # empty, a value type byte, a (ref null? ht) type, or a type index as s33
    "blocktype": rb"(?:[\x63\x64]" + LEB + rb"|[\x00-\x62\x65-\x7f]|[\x80-\xff]+[\x00-\x7f])",
    # flags without the memory-index bit then the offset; or with it, the index between
    "memarg": (rb"(?:(?:[\x00-\x3f]|[\x80-\xbf][\x80-\xff]*[\x00-\x7f])" + LEB
               + rb"|(?:[\x40-\x7f]|[\xc0-\xff][\x80-\xff]*[\x00-\x7f])" + LEB + LEB + rb")"),
})
# Counted vectors (br_table labels, typed select, catch clauses) have no pattern.
COUNTED = VECTOR_KINDS

# CPython before 3.11.5 matches some possessive repeats wrongly (python/cpython#106052:
# one whose alternatives backtrack, as an LEB128's do, can end a run mid-instruction;
# Debian 12's python3 is 3.11.2). There a run is a greedy repeat: the same match, since
# nothing after the run can fail and send the engine back into it, only slower (the
# engine keeps a backtracking point per instruction: 17% on esbuild's code).
_POSSESSIVE_BROKEN = sys.version_info < (3, 11, 5)


def run_of(alternatives: list[bytes]) -> bytes:
    """The expression matching the longest run of `alternatives`, never backtracking
    into it (possessive where the engine gets that right)."""
    return b"(?:" + b"|".join(alternatives) + (b")*" if _POSSESSIVE_BROKEN else b")*+")


def _byte_class(codes) -> bytes:
    return b"[" + b"".join(re.escape(bytes((c,))) for c in sorted(codes)) + b"]"


def _alternatives(ops, opcode_pattern, patterns) -> list[bytes]:
    groups: dict[tuple, list[Op]] = {}
    for op in ops:
        groups.setdefault(op.imms, []).append(op)
    # Instructions without immediates first: they are the most frequent.
    ordered = sorted(groups.items(), key=lambda item: (len(item[0]), -len(item[1])))
    return [opcode_pattern(members) + b"".join(patterns[k] for k in imms) for imms, members in ordered]


def run_pattern(wanted: Callable[[Op], bool], patterns: dict | None = None) -> re.Pattern:
    """A compiled pattern matching the longest run of instructions `wanted` accepts."""
    patterns = IMM_PATTERNS if patterns is None else patterns

    def ok(op: Op) -> bool:
        return wanted(op) and not COUNTED.intersection(op.imms)

    alts = _alternatives([op for op in SINGLE.values() if ok(op)],
                         lambda members: _byte_class(op.code for op in members), patterns)
    for prefix, table in PREFIXED.items():
        ops = [op for op in table.values() if ok(op)]
        if not ops:
            continue

        def opcode_pattern(members):
            short = [op.code for op in members if op.code < 0x80]
            long = [re.escape(leb.write_unsigned(op.code)) for op in members if op.code >= 0x80]
            return b"(?:" + b"|".join(([_byte_class(short)] if short else []) + long) + b")"
        alts.append(re.escape(bytes((prefix,))) + b"(?:" + b"|".join(_alternatives(ops, opcode_pattern, patterns)) + b")")
    return re.compile(run_of(alts))


def ops_outside_runs(data, pattern: re.Pattern, start: int = 0, end: int | None = None) -> Iterator[tuple[Op, tuple, int]]:
    """Every instruction of data[start:end] the pattern's runs do not cover, decoded:
    (op, immediates, offset)."""
    end = len(data) if end is None else end
    skip = pattern.match
    pos = start
    while True:
        pos = skip(data, pos, end).end()
        if pos >= end:
            return
        at = pos
        op, pos = read_op(data, pos)
        args = []
        for kind in op.imms:
            value, pos = READERS[kind](data, pos)
            args.append(value)
        yield op, tuple(args), at
