"""The equivalence check: run the inputs linked by name and the merged module on the same
invocations, in our interpreter, and find the first observable difference.

    report = check_equivalence(inputs, merged_bytes, Scenario(argv=["app", "x"]), parse, fmt)
    report.difference      # None, or "stdout differs at byte 12 (line 2): ..."

A scenario is either a WASI command (`_start` with argv, environment and preopened
directories) or a list of export calls (`MODULE.NAME` on the linked side). Both runs get
the same limits, the same standard input and their *own copy* of every preopened
directory, so a program that writes files starts from the same tree both times and the
trees it leaves are compared too. Compared, in this order: exit status and trap, each
call's results, stdout, stderr, exported memories and globals, and the preopened trees.
A linked export `mod.name` is the merged export `mod.name` when the merge renamed it,
else `name` when `mod` is the first input exporting that name (as `merge` keeps it);
with `--export-from`, only the named inputs' exports are in the merged module.
Both runs see a deterministic world (`wasi/world.py`: a virtual clock, seeded random
bytes, inode numbers by first appearance), so programs reading clocks, random numbers
or file metadata compare equal when they behave the same.
"""

import os
import shutil
import tempfile
from dataclasses import dataclass, field

from .api import load_module
from .store import FuncInstance
from .wasi import Preopen, WasiConfig
from .wasi.session import Limits, Outcome, run_program


@dataclass
class Scenario:
    argv: list = field(default_factory=list)       # command mode: argv[0] is the program name
    env: dict = field(default_factory=dict)
    preopens: list = field(default_factory=list)   # Preopen
    stdin: bytes = b""
    calls: list | None = None                      # [(MODULE.NAME, [text args])] instead of _start
    limits: Limits = field(default_factory=Limits)
    deterministic: bool = True   # both runs see the same clocks, random bytes, inodes (world.py)


@dataclass
class Run:
    outcome: Outcome
    results: list        # [(export, [formatted result, ...])]
    trees: list          # one snapshot per preopen


@dataclass
class Report:
    difference: str | None
    compared: list       # what was compared, for the summary line
    linked: Run
    merged: Run
    # Inputs with an export the merged module has under neither of its names: only a merge
    # with --export-from leaves one out (and the comparison should then be told so).
    unexported: list = field(default_factory=list)


class ExportNames:
    """Linked `(module, field)` -> the merged module's export name (or None: not exported).
    `exported_from`: the modules whose exports the merge kept (`--export-from`; None: all)."""

    def __init__(self, inputs, merged_module, exported_from=None):
        self.merged = {e.name for e in merged_module.exports}
        self.kept = None if exported_from is None else set(exported_from)
        self.first = {}
        for name, module in inputs:
            if self.kept is None or name in self.kept:
                for export in module.exports:
                    self.first.setdefault(export.name, name)

    def __call__(self, module: str, field_name: str):
        if self.kept is not None and module not in self.kept:
            return None  # its exports were left out: a merged export of that name is another's
        if f"{module}.{field_name}" in self.merged:
            return f"{module}.{field_name}"
        if field_name in self.merged and self.first.get(field_name) == module:
            return field_name
        return None


def check_equivalence(inputs, merged: bytes, scenario: Scenario, parse, format_value,
                      exported_from=None) -> Report:
    """`inputs`: [(name, bytes)] in instantiation order. `parse(type, text)` and
    `format_value(type, value)` turn call arguments and results to and from text.
    `exported_from`: the inputs whose exports the merge kept (`--export-from`), if not all."""
    linked_modules = [(name, load_module(data, name=name)) for name, data in inputs]
    merged_module = load_module(merged, name="merged module")
    names = ExportNames(linked_modules, merged_module, exported_from)
    linked_calls = merged_calls = None
    if scenario.calls is not None:
        linked_calls, merged_calls = [], []
        for export, args in scenario.calls:
            module, _, field_name = export.partition(".")
            args_of = arguments(parse, args)
            linked_calls.append((export, args_of))
            merged_calls.append((names(module, field_name) or export, args_of))
    linked = run_side(linked_modules, scenario, linked_calls, format_value)
    merged_run = run_side([(None, merged_module)], scenario, merged_calls, format_value)
    compared = []
    difference = first_difference(linked, merged_run, names, compared)
    unexported = [name for name, module in linked_modules
                  if any(e.name not in names.merged and f"{name}.{e.name}" not in names.merged
                         for e in module.exports)]
    return Report(difference, compared, linked, merged_run, unexported)


def arguments(parse, texts):
    def values_for(func: FuncInstance) -> list:
        if len(texts) != len(func.type.params):
            raise ValueError(f"takes {len(func.type.params)} arguments, got {len(texts)}")
        return [parse(t, text) for t, text in zip(func.type.params, texts)]
    return values_for


def run_side(modules, scenario: Scenario, calls, format_value) -> Run:
    with tempfile.TemporaryDirectory(prefix="wasmmerge-verify-") as scratch:
        preopens = []
        for i, preopen in enumerate(scenario.preopens):
            copy = os.path.join(scratch, str(i))
            shutil.copytree(preopen.host, copy, symlinks=True)
            preopens.append(Preopen(copy, preopen.guest_name))
        config = WasiConfig(argv=list(scenario.argv), env=dict(scenario.env), preopens=preopens,
                            stdin=scenario.stdin, deterministic=scenario.deterministic)
        outcome = run_program(modules, config, scenario.limits, calls=calls)
        trees = [snapshot_tree(p.host) for p in preopens]
    results = [(r.export, [format_value(t, v) for t, v in zip(r.func.type.results, r.values)])
               for r in outcome.calls]
    return Run(outcome, results, trees)


def snapshot_tree(root: str) -> dict:
    """relative path -> ("dir",) | ("file", bytes) | ("link", target)."""
    tree = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                tree[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                tree[rel] = ("dir",)
            else:
                with open(path, "rb") as f:
                    tree[rel] = ("file", f.read())
    return tree


# -- comparing ------------------------------------------------------------------------------

def first_difference(linked: Run, merged: Run, names: ExportNames, compared: list) -> str | None:
    a, b = linked.outcome, merged.outcome
    compared.append("exit status")
    if (a.status, a.trap) != (b.status, b.trap):
        return f"exit status: linked {describe_end(a)}, merged {describe_end(b)}"
    compared.append(f"{len(linked.results)} call results")
    for (export, left), (_, right) in zip(linked.results, merged.results):
        if left != right:
            return f"results of {export}: linked {' '.join(left)}, merged {' '.join(right)}"
    for stream in ("stdout", "stderr"):
        compared.append(stream)
        text = byte_difference(getattr(a, stream), getattr(b, stream))
        if text:
            return f"{stream} differs {text}"
    difference = state_difference(a, b, names, compared)
    if difference:
        return difference
    for i, (left, right) in enumerate(zip(linked.trees, merged.trees)):
        compared.append(f"preopen {i}")
        for path in sorted(set(left) | set(right)):
            if left.get(path) != right.get(path):
                return (f"preopened directory {i}: {path}: linked {describe_entry(left.get(path))}, "
                        f"merged {describe_entry(right.get(path))}")
    return None


def describe_end(outcome: Outcome) -> str:
    if outcome.trap is not None:
        return f"trap ({outcome.trap})"
    return "returned normally" if outcome.status is None else f"exit {outcome.status}"


def byte_difference(left: bytes, right: bytes) -> str | None:
    """Where two outputs first differ: byte offset, line, and a short excerpt of each."""
    if left == right:
        return None
    at = next((i for i, (x, y) in enumerate(zip(left, right)) if x != y), min(len(left), len(right)))
    line = left[:at].count(b"\n") + 1
    return (f"at byte {at} (line {line}): linked {left[at:at + 40]!r}, "
            f"merged {right[at:at + 40]!r}")


def describe_entry(entry) -> str:
    if entry is None:
        return "absent"
    if entry[0] == "file":
        return f"file of {len(entry[1])} bytes"
    return entry[0] if entry[0] == "dir" else f"symlink to {entry[1]}"


def state_difference(a: Outcome, b: Outcome, names: ExportNames, compared: list) -> str | None:
    """Exported memories (bytes, with the first differing offset) and globals (values)."""
    merged_exports = b.instances[None].exports
    merged_state = {}
    for field_name, extern in merged_exports.items():
        merged_state[field_name] = extern
    count = 0
    for module, instance in a.instances.items():
        for field_name, extern in instance.exports.items():
            other_name = names(module, field_name)
            other = merged_state.get(other_name) if other_name else None
            if other is None or isinstance(extern, FuncInstance):
                continue
            label = f"{module}.{field_name}"
            if hasattr(extern, "data") and hasattr(other, "data"):
                count += 1
                text = memory_difference(bytes(extern.data), bytes(other.data))
                if text:
                    return f"memory {label} (merged: {other_name}) {text}"
            elif hasattr(extern, "value") and hasattr(other, "value"):
                count += 1
                if comparable(extern.value) != comparable(other.value):
                    return (f"global {label} (merged: {other_name}): linked {extern.value!r}, "
                            f"merged {other.value!r}")
    compared.append(f"{count} exported memories and globals")
    return None


def memory_difference(left: bytes, right: bytes) -> str | None:
    if len(left) != len(right):
        return f"has {len(left) // 65536} pages linked, {len(right) // 65536} merged"
    if left == right:
        return None
    at = next(i for i, (x, y) in enumerate(zip(left, right)) if x != y)
    return f"differs at offset {at:#x}: linked {left[at:at + 8].hex()}, merged {right[at:at + 8].hex()}"


def comparable(value):
    """Numbers compare by bits; references only by kind (null or not): identities differ."""
    if isinstance(value, int) or value is None:
        return value
    return type(value).__name__
