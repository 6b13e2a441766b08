"""Instantiation order: the merged module must have the effects of instantiating its inputs in turn.

Instantiating input k applies its active element segments, then its active data segments,
then runs its start function, and all of that happens after input k-1's start function.
A single merged module instead applies *all* active element segments, then *all* active
data segments, then its one start function. So we walk the sequential order and keep
segments active only for the longest prefix where the merged order cannot be told apart:

* the prefix ends at the first start function (it could read, overwrite or grow what a
  later segment writes);
* an element segment of input k is written before the data segments of inputs < k in the
  merged order. Tables and memories are separate stores, so that only matters when one
  of them may trap (it decides whether the other ran). The prefix therefore also ends at
  an element segment when it, or an earlier input's data segment in the prefix, is not
  statically in bounds (constant offset, within the initial size).

Everything after the prefix becomes passive and is applied by a generated start function,
in the sequential order: `table.init`/`memory.init` then `elem.drop`/`data.drop` per segment,
interleaved with calls to the original start functions. A trap then stops the merged
instantiation at the same point sequential instantiation would have stopped, with the same
writes done before it.
"""

from dataclasses import dataclass, field

from ..binary.code import encode_instr
from ..binary.opcodes import BY_NAME
from .constexpr import constant_value

PAGE = 65536


@dataclass
class Step:
    kind: str  # "elem", "data", "call", or "memory"/"table" for a minimum-size check
    index: int  # merged segment, function, memory or table index
    target: int = 0  # merged table or memory
    offset: object = None  # merged offset Expr
    count: int = 0  # elements or bytes; for a size check, the required minimum
    wide: bool = False  # a size check of a 64-bit memory or table


@dataclass
class InitPlan:
    passive_elems: set[int] = field(default_factory=set)
    passive_datas: set[int] = field(default_factory=set)
    steps: list[Step] = field(default_factory=list)  # what the start function does
    start: int | None = None  # an original start function usable as is

    @property
    def needs_generated_start(self) -> bool:
        return bool(self.steps) and self.start is None


@dataclass
class ModuleEffects:
    """One input's instantiation effects, in merged terms."""

    elems: list[Step]  # active element segments
    datas: list[Step]  # active data segments
    start: int | None
    # Minimum sizes its imports require of memories and tables an earlier start function
    # may have grown (checked when it would have been linked).
    size_checks: list[Step] = field(default_factory=list)


def _in_bounds(step: Step, sizes: dict) -> bool:
    offset = constant_value(step.offset)
    if offset is None:
        return False
    return offset >= 0 and offset + step.count <= sizes[step.kind][step.target]


def plan_init_order(effects: list[ModuleEffects], table_sizes: list[int], memory_sizes: list[int]) -> InitPlan:
    """`*_sizes` are each merged table's and memory's size when instantiation begins
    (its minimum, in elements and bytes)."""
    sizes = {"elem": table_sizes, "data": memory_sizes}
    plan = InitPlan()
    cut = False
    prefix_has_data = False
    prefix_data_unsafe = False
    for module in effects:
        if module.size_checks:
            cut = True
            plan.steps.extend(module.size_checks)
        data_seen_before = prefix_has_data
        for step in module.elems:
            if not cut and data_seen_before and (prefix_data_unsafe or not _in_bounds(step, sizes)):
                cut = True
            if cut:
                plan.passive_elems.add(step.index)
                plan.steps.append(step)
        for step in module.datas:
            if cut:
                plan.passive_datas.add(step.index)
                plan.steps.append(step)
            else:
                prefix_has_data = True
                prefix_data_unsafe = prefix_data_unsafe or not _in_bounds(step, sizes)
        if module.start is not None:
            cut = True
            plan.steps.append(Step("call", module.start))
    if len(plan.steps) == 1 and plan.steps[0].kind == "call":
        plan.start = plan.steps[0].index
    return plan


def _size_check(step: Step) -> bytes:
    """Trap unless the memory or table has at least `count` pages or elements."""
    size = BY_NAME["memory.size" if step.kind == "memory" else "table.size"]
    const, less = (BY_NAME["i64.const"], BY_NAME["i64.lt_u"]) if step.wide else (BY_NAME["i32.const"],
                                                                                 BY_NAME["i32.lt_u"])
    return (encode_instr(size, step.index) + encode_instr(const, step.count) + encode_instr(less)
            + encode_instr(BY_NAME["if"], None) + encode_instr(BY_NAME["unreachable"])
            + encode_instr(BY_NAME["end"]))


def start_body(steps: list[Step]) -> bytes:
    """The generated start function's instructions, final `end` included."""
    const = BY_NAME["i32.const"]
    out = []
    for step in steps:
        if step.kind == "call":
            out.append(encode_instr(BY_NAME["call"], step.index))
            continue
        if step.kind in ("memory", "table"):
            out.append(_size_check(step))
            continue
        out.append(step.offset.code[:-1])  # the offset expression without its `end`
        out.append(encode_instr(const, 0) + encode_instr(const, step.count))
        if step.kind == "elem":
            out.append(encode_instr(BY_NAME["table.init"], step.index, step.target))
            out.append(encode_instr(BY_NAME["elem.drop"], step.index))
        else:
            out.append(encode_instr(BY_NAME["memory.init"], step.index, step.target))
            out.append(encode_instr(BY_NAME["data.drop"], step.index))
    out.append(encode_instr(BY_NAME["end"]))
    return b"".join(out)
