"""Overlapping data: two inputs whose active data segments write the same bytes of one
memory at constant offsets.

The merged module does what sequential instantiation does (the later input's bytes win),
so this is no error, but two modules laid out over each other's data is almost always a
mistake (two wasm-ld modules sharing `env.memory`, both placing their data at 1024). One
warning per pair of inputs and memory, naming both and the overlapping byte range (the
span from the first overlapping byte to the last). Segments of one input never count:
a module may well overwrite its own data.
"""

import heapq
from array import array
from itertools import repeat

from .constexpr import constant_value


def overlap_warnings(loaded, effects) -> list[str]:
    """`effects[k].datas`: input k's active data segments (merged memory, offset, length)."""
    # Only memories two inputs may write to need each input's spans (a merge of modules
    # with a memory each needs none; esbuild alone has 98,450 segments).
    writers: dict[int, int] = {}
    for module_effects in effects:
        for memory in _memories(module_effects.datas):
            writers[memory] = writers.get(memory, 0) + 1
    shared = {memory for memory, count in writers.items() if count > 1}
    by_memory: dict[int, list] = {}  # memory -> [(input, its spans' starts, ends)]
    for k, module_effects in enumerate(effects):
        if shared.isdisjoint(_memories(module_effects.datas)):
            continue
        for memory, (starts, ends) in _covered(module_effects.datas).items():
            if memory in shared:
                by_memory.setdefault(memory, []).append((k, starts, ends))
    found: dict[tuple[int, int, int], list[int]] = {}  # (memory, a, b) -> [start, end]
    for memory, writers in by_memory.items():
        if len(writers) < 2:  # one input's own overlaps never count
            continue
        # Each input's spans are sorted: merged, they come in the order of a sort of all.
        ranges = heapq.merge(*[zip(starts, ends, repeat(k)) for k, starts, ends in writers])
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


def _memories(steps) -> set[int]:
    """The memories `steps` (may) write to: asked of the pipeline's `ActiveDatas`, which
    knows without making a step per segment, or read from a list of steps."""
    known = getattr(steps, "memories", None)
    return known() if known is not None else {step.target for step in steps}


def _covered(steps) -> dict[int, tuple[array, array]]:
    """Per memory, the bytes one input's segments write: sorted, disjoint spans as two
    arrays (starts, ends), not an object each (a module may have ~10^5 segments).

    Only overlaps between inputs are reported, and the bytes two inputs both write are
    the intersection of what each writes, so overlapping or touching segments of one
    input are joined into one span. Segments mostly come in address order: the spans
    are gathered in sorted runs, and only runs are merged."""
    spans: dict[int, tuple[array, array]] = {}
    runs: dict[int, list[int]] = {}  # memory -> where each sorted run after the first begins
    for step in steps:
        offset = constant_value(step.offset)
        if offset is None or step.count == 0:
            continue
        end = offset + step.count
        starts, ends = spans.get(step.target) or spans.setdefault(step.target, (array("q"), array("q")))
        if starts and offset <= ends[-1]:
            if offset >= starts[-1]:  # continues the last span
                ends[-1] = max(ends[-1], end)
                continue
            runs.setdefault(step.target, []).append(len(starts))
        starts.append(offset)
        ends.append(end)
    for memory, breaks in runs.items():
        starts, ends = spans[memory]
        if len(breaks) <= MERGED_RUNS:
            bounds = [0, *breaks, len(starts)]
            merged = heapq.merge(*[zip(starts[a:b], ends[a:b]) for a, b in zip(bounds, bounds[1:])])
        else:
            order = sorted(range(len(starts)), key=starts.__getitem__)
            merged = ((starts[i], ends[i]) for i in order)
        spans[memory] = _joined(merged)
    return spans


# Up to this many sorted runs are merged; more are sorted whole.
MERGED_RUNS = 64


def _joined(spans) -> tuple[array, array]:
    """Spans sorted by start, with those that overlap or touch joined."""
    out_starts, out_ends = array("q"), array("q")
    for start, end in spans:
        if out_starts and start <= out_ends[-1]:
            out_ends[-1] = max(out_ends[-1], end)
        else:
            out_starts.append(start)
            out_ends.append(end)
    return out_starts, out_ends
