"""The WASI application ABI for merged commands and reactors.

A WASI *command* exports `_start`; a *reactor* exports `_initialize`, which the host calls
once before anything else. A module may not export both, and a host runs a module with
`_start` as a command, so a merged reactor's initialiser would never run. The merged
module therefore follows the ABI:

* with a command among the inputs (its `_start` exported as `_start`): `_start` becomes a
  generated function that calls every reactor's `_initialize` in input order, then the
  command's `_start`. It cannot be the start function: WASI calls are not allowed before
  instantiation completes. No `_initialize` is exported.
* reactors only, more than one: one generated `_initialize` calls each in input order.

An input's `_initialize` or `_start` counts only when it is a function of type [] -> []
(the ABI's type); anything else is left alone with a warning. Every reactor's initialiser
runs, also one whose module `--export-from` leaves out: its code is in the merged module.
"""

from dataclasses import dataclass, field

from ..binary.code import encode_instr
from ..binary.model import Code, Export, Module
from ..binary.opcodes import BY_NAME
from ..binary.types import FUNC_KIND, MEMORY_KIND, FuncType
from .plan import KIND_SPACES, Plan

INITIALIZE, START = "_initialize", "_start"
GENERATED_START = "__wasmmerge_wasi_start"
GENERATED_INITIALIZE = "__wasmmerge_wasi_initialize"


@dataclass
class WasiRoles:
    reactors: list[tuple[int, int]] = field(default_factory=list)  # (input, merged function)
    commands: list[tuple[int, int]] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        """Whether the merged exports differ from the inputs' (a command with reactors, or
        several reactors)."""
        return bool(self.reactors) and (bool(self.commands) or len(self.reactors) > 1)


def find_roles(loaded, plan, warnings) -> WasiRoles:
    roles = WasiRoles()
    for k, inp in enumerate(loaded):
        for e in inp.module.exports:
            if e.kind != FUNC_KIND or e.name not in (INITIALIZE, START) or e.index >= len(plan.maps[k]["func"]):
                continue  # (an export of an unknown function is reported when exports are merged)
            comp = plan.types.comp(plan.maps[k]["type"][inp.module.func_type_indices()[e.index]])
            if not isinstance(comp, FuncType) or comp.params or comp.results:
                warnings.append(f"{inp.name}: export {e.name!r} has type {comp}, not the WASI ABI's [] -> []; "
                                "left as it is")
                continue
            (roles.reactors if e.name == INITIALIZE else roles.commands).append((k, plan.maps[k]["func"][e.index]))
    return roles


def hide_initializers(loaded, roles: WasiRoles) -> None:
    """Take the reactors' `_initialize` exports out of the inputs before their exports are
    merged: the merged module exports one generated entry point instead (and several
    `_initialize` exports must not count as a name clash)."""
    if not roles.applies:
        return
    reactor_inputs = {k for k, _ in roles.reactors}
    for k in reactor_inputs:
        module = loaded[k].module
        module.exports = [e for e in module.exports if not (e.kind == FUNC_KIND and e.name == INITIALIZE)]


def _caller(calls: list[int]) -> bytes:
    call = BY_NAME["call"]
    return b"".join(encode_instr(call, f) for f in calls) + encode_instr(BY_NAME["end"])


def apply_wasi_abi(roles: WasiRoles, out: Module, add_func_type) -> dict[int, str]:
    """Add the generated entry point to the merged module and export it; returns its name
    by merged function index. `add_func_type(FuncType())` gives the index of [] -> []."""
    if not roles.applies:
        return {}
    reactor_funcs = list(dict.fromkeys(f for _, f in roles.reactors))
    commands = {f for _, f in roles.commands}
    start = next((e for e in out.exports if e.kind == FUNC_KIND and e.name == START and e.index in commands), None)
    if start is None and len(reactor_funcs) == 1:
        # The command's `_start` is not exported (`--export-from`): the one reactor stays one.
        out.exports.append(Export(INITIALIZE, FUNC_KIND, reactor_funcs[0]))
        return {}
    out.funcs.append(add_func_type(FuncType()))
    index = out.count(FUNC_KIND) - 1
    if start is not None:
        out.codes.append(Code([], _caller(reactor_funcs + [start.index])))
        start.index = index
        return {index: GENERATED_START}
    out.codes.append(Code([], _caller(reactor_funcs)))
    out.exports.append(Export(INITIALIZE, FUNC_KIND, index))
    return {index: GENERATED_INITIALIZE}


WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")


def wasi_memory_warnings(loaded, plan: Plan, exports: list[Export], warnings) -> None:
    """Warn when kept WASI imports will not read the memory of the input that calls them.

    A WASI host binds a module's WASI imports to its export `memory` (else memory 0), and a
    pointer in a WASI call is an address in the caller's memory. Merged, the inputs' WASI
    imports become one set, bound to the memory the output exports as `memory`: an input
    calling WASI with another memory writes and reads the wrong bytes (say, a library with
    its own memory first, whose `memory` export keeps the name, then a command).
    """
    names = {inp.name for inp in loaded}
    space = KIND_SPACES[MEMORY_KIND]
    callers: dict[int, list[str]] = {}
    for k, inp in enumerate(loaded):
        m = inp.module
        if not any(i.module in WASI_MODULES and i.module not in names for i in m.imports):
            continue
        mems = plan.maps[k][space]
        if not mems:
            continue
        own = next((e.index for e in m.exports if e.kind == MEMORY_KIND and e.name == "memory"), 0)
        callers.setdefault(mems[own], []).append(inp.name)
    if not callers:
        return
    bound = next((e.index for e in exports if e.kind == MEMORY_KIND and e.name == "memory"), 0)
    wrong = [n for mem, ns in callers.items() if mem != bound for n in ns]
    if wrong:
        warnings.append(f"WASI calls of {', '.join(wrong)} will use merged memory {bound} (the export "
                        f"'memory'), not their own: they read and write the wrong memory (export "
                        f"only the caller's memory as 'memory', e.g. put it first or use --export-from)")
