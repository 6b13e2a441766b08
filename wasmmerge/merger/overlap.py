"""Overlapping data: two inputs whose active data segments write the same bytes of one
memory at constant offsets.

The merged module does what sequential instantiation does (the later input's bytes win),
so this is no error, but two modules laid out over each other's data is almost always a
mistake (two wasm-ld modules sharing `env.memory`, both placing their data at 1024). One
warning per pair of inputs and memory, naming both and the overlapping byte range (the
span from the first overlapping byte to the last). Segments of one input never count:
a module may well overwrite its own data.
"""

from .constexpr import constant_value


def overlap_warnings(loaded, effects) -> list[str]:
    """`effects[k].datas`: input k's active data segments (merged memory, offset, length)."""
    by_memory: dict[int, list[tuple[int, int, int]]] = {}
    for k, module_effects in enumerate(effects):
        for step in module_effects.datas:
            offset = constant_value(step.offset)
            if offset is None or step.count == 0:
                continue
            by_memory.setdefault(step.target, []).append((offset, offset + step.count, k))
    found: dict[tuple[int, int, int], list[int]] = {}  # (memory, a, b) -> [start, end]
    for memory, ranges in by_memory.items():
        ranges.sort()
        open_ranges: list[tuple[int, int, int]] = []
        for start, end, k in ranges:
            open_ranges = [r for r in open_ranges if r[1] > start]
            for _, other_end, other in open_ranges:
                if other == k:
                    continue
                key = (memory, min(k, other), max(k, other))
                span = (start, min(end, other_end))
                if key in found:
                    found[key] = [min(found[key][0], span[0]), max(found[key][1], span[1])]
                else:
                    found[key] = list(span)
            open_ranges.append((start, end, k))
    return [f"data of {loaded[a].name} and {loaded[b].name} overlap in memory {memory} at bytes "
            f"{start}..{end - 1} ({hex(start)}..{hex(end - 1)}): {loaded[b].name}'s bytes overwrite "
            f"{loaded[a].name}'s; their data layouts were not made for one shared memory"
            for (memory, a, b), (start, end) in sorted(found.items())]
