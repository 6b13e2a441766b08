"""The merged index spaces, and where each input's indices land in them.

Every space is laid out the same way: the imports the output keeps (in first-use order),
then each input's definitions in input order. An input's import lands where what it is
bound to lands. Element and data segments are concatenated in input order.
"""

from dataclasses import dataclass, field

from ..binary.spaces import MODULE_SPACES
from ..binary.types import FUNC_KIND, GLOBAL_KIND, KIND_NAMES, MEMORY_KIND, TABLE_KIND, TAG_KIND
from ..validator.canon import TypeStore
from .resolve import Defined, External, Resolution
from .rewrite import Remap

KIND_SPACES = KIND_NAMES  # external kind -> the index space it adds to
SPACES = MODULE_SPACES


@dataclass
class Plan:
    types: TypeStore  # the merged type section (type index = canonical id)
    resolution: Resolution
    # Per input: space name -> the merged index of each of its indices.
    maps: list[dict[str, list[int]]] = field(default_factory=list)
    # Per kind: the merged index of each kept import (External -> index).
    external_index: dict = field(default_factory=dict)
    # Per input and kind: where its definitions start in the merged space.
    bases: list[dict[int, int]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    # Per input and kind: how many imports it has.
    imported: list[dict[int, int]] = field(default_factory=list)
    # Per input: its tables dropped as unobservable (`unused_tables.py`), module-relative.
    dropped_tables: list[set[int]] = field(default_factory=list)

    def remap(self, k: int) -> Remap:
        return Remap(**self.maps[k])

    def merged(self, k: int, space: str, index: int) -> int:
        return self.maps[k][space][index]


def _defined(module, kind: int) -> int:
    return {FUNC_KIND: len(module.funcs), TABLE_KIND: len(module.tables),
            MEMORY_KIND: len(module.memories), GLOBAL_KIND: len(module.globals),
            TAG_KIND: len(module.tags)}[kind]


def plan_spaces(inputs, type_maps, types: TypeStore, resolution: Resolution,
                dropped_tables: list[set[int]] | None = None) -> Plan:
    plan = Plan(types, resolution, dropped_tables=dropped_tables or [set() for _ in inputs])
    counts = {kind: 0 for kind in KIND_SPACES}
    for ext in resolution.externals:
        plan.external_index[ext] = counts[ext.kind]
        counts[ext.kind] += 1
    for inp in inputs:
        imported = dict.fromkeys(KIND_SPACES, 0)
        for imp in inp.module.imports:
            imported[imp.kind] += 1
        plan.imported.append(imported)
        bases = {}
        for kind in KIND_SPACES:
            bases[kind] = counts[kind]
            counts[kind] += _defined(inp.module, kind)
        counts[TABLE_KIND] -= len(plan.dropped_tables[len(plan.bases)])
        plan.bases.append(bases)
    elem_base = data_base = 0
    for k, inp in enumerate(inputs):
        m = inp.module
        maps = {space: [] for space in SPACES}
        maps["type"] = type_maps[k]
        for imp, target in zip(m.imports, resolution.targets[k]):
            maps[KIND_SPACES[imp.kind]].append(_land(plan, target, imp.kind, inputs))
        for kind, space in KIND_SPACES.items():
            base = plan.bases[k][kind]
            if kind == TABLE_KIND and plan.dropped_tables[k]:
                maps[space].extend(_tables_kept(plan.dropped_tables[k], plan.imported[k][kind], base,
                                                _defined(m, kind)))
                continue
            maps[space].extend(range(base, base + _defined(m, kind)))
        # Segments are concatenated: a range, not a list of ~10^5 integers (memory).
        maps["elem"] = range(elem_base, elem_base + len(m.elems))
        maps["data"] = range(data_base, data_base + len(m.datas))
        elem_base += len(m.elems)
        data_base += len(m.datas)
        plan.maps.append(maps)
    plan.totals = {KIND_SPACES[kind]: n for kind, n in counts.items()}
    plan.totals.update(type=len(types), elem=elem_base, data=data_base)
    return plan


def _tables_kept(dropped: set[int], imported: int, base: int, defined: int) -> list[int]:
    """Merged indices of an input's defined tables, dropped ones left out of the space.
    Nothing refers to a dropped table, so its entry is only a placeholder: the index the
    next kept table takes."""
    out, next_index = [], base
    for n in range(defined):
        out.append(next_index)
        if imported + n not in dropped:
            next_index += 1
    return out


def _land(plan: Plan, target, kind: int, inputs) -> int:
    if isinstance(target, External):
        return plan.external_index[target]
    assert isinstance(target, Defined)
    position = target.index - plan.imported[target.module][kind]
    if kind == TABLE_KIND:  # an exported table is never dropped, but earlier ones may be
        position -= sum(1 for t in plan.dropped_tables[target.module] if t < target.index)
    return plan.bases[target.module][kind] + position
