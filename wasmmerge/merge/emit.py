"""Module -> bytes for the merged module, without copying function bodies more than once.

The codec's writer concatenates each body into its section before joining the file, which
holds several copies of the largest section at once. Here the code section is a list of
references to the bodies, joined once with everything else.
"""

from dataclasses import replace

from ..binary import leb
from ..binary.code import write_valtype
from ..binary.model import CODE, CUSTOM, SECTION_ORDER, Module
from ..binary.reader import MAGIC, VERSION
from ..binary.writer import _section_bodies

_RANK = {sid: i for i, sid in enumerate(SECTION_ORDER)}


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return leb.write_unsigned(len(raw)) + raw


def _code_parts(codes) -> tuple[list, int]:
    parts = [leb.write_unsigned(len(codes))]
    size = len(parts[0])
    local_cache = {}
    for code in codes:
        key = tuple(code.locals)
        locals_raw = local_cache.get(key)
        if locals_raw is None:
            locals_raw = local_cache[key] = leb.write_unsigned(len(code.locals)) + b"".join(
                leb.write_unsigned(n) + write_valtype(t) for n, t in code.locals)
        entry = len(locals_raw) + len(code.body)
        head = leb.write_unsigned(entry)
        parts += (head, locals_raw, code.body)
        size += len(head) + entry
    return parts, size


def encode_merged(m: Module) -> bytes:
    bodies = _section_bodies(replace(m, codes=[], empty_sections=m.empty_sections - {CODE}))
    code_parts, code_size = _code_parts(m.codes) if m.codes or CODE in m.empty_sections else (None, 0)
    pending = sorted(m.customs, key=lambda c: _RANK.get(c.after, -1))
    parts = [MAGIC, VERSION]

    def customs_up_to(limit: int):
        while pending and _RANK.get(pending[0].after, -1) < limit:
            c = pending.pop(0)
            body = _name(c.name) + c.data
            parts.extend((bytes((CUSTOM,)), leb.write_unsigned(len(body)), body))

    for sid in SECTION_ORDER:
        if sid == CODE and code_parts is not None:
            customs_up_to(_RANK[sid])
            parts.extend((bytes((CODE,)), leb.write_unsigned(code_size)))
            parts.extend(code_parts)
        elif sid in bodies:
            customs_up_to(_RANK[sid])
            parts.extend((bytes((sid,)), leb.write_unsigned(len(bodies[sid])), bodies[sid]))
    customs_up_to(len(SECTION_ORDER))
    return b"".join(parts)
