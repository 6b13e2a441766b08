"""Targets: which features the merged module needs, who is responsible, and whether a
target engine has them.

`--target 1.0|2.0|3.0|node20` names a feature profile. A merge whose output needs a
feature outside it fails, naming the feature and the inputs that cause it: an input that
uses the feature itself (an instruction, a type, a section), or, for what the merge
introduces, the inputs whose memories, tables or segments make it necessary (several
memories need multi-memory, several tables reference types, a generated start function
bulk memory). Without `--target`, a feature the merge introduces that no input used is a
warning: the inputs ran where the output may not.

Feature names are `wasmmerge.features`' (the validator's); the `target_features` section
uses LLVM's (`LLVM_NAMES`).
"""

import functools

from ..binary.code import decode_instrs
from ..binary.scan import ops_outside_runs, run_pattern
from ..binary.types import FUNC_KIND, MEMORY_KIND, TABLE_KIND, FuncType, RefType, V128
from ..custom import target_features
from ..errors import LinkError, WasmError
from ..features import WASM2, WASM3

PROFILES = {
    "1.0": frozenset({"mvp"}),
    "2.0": WASM2,
    "3.0": WASM3,
    # Node 20 (V8 11.3), checked with WebAssembly.compile: 2.0, threads, legacy exceptions
    # and tail calls; no multi-memory, memory64, extended-const, relaxed SIMD, typed
    # function references or GC.
    "node20": WASM2 | frozenset({"threads", "legacy-exceptions", "tail-call"}),
}

LLVM_NAMES = {
    "sign-extension": "sign-ext", "sat-float-to-int": "nontrapping-fptoint", "multi-value": "multivalue",
    "bulk-memory": "bulk-memory", "reference-types": "reference-types", "simd": "simd128",
    "multi-memory": "multimemory", "memory64": "memory64", "tail-call": "tail-call",
    "exceptions": "exception-handling", "legacy-exceptions": "exception-handling", "gc": "gc",
    "function-references": "reference-types", "extended-const": "extended-const",
    "relaxed-simd": "relaxed-simd", "threads": "atomics",
}
OUR_NAMES = {"multimemory": "multi-memory", "reference-types": "reference-types", "bulk-memory": "bulk-memory"}

_EXTENDED_CONST = frozenset(("i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"))


@functools.cache
def _mvp_runs():
    return run_pattern(lambda op: op.feature == "mvp")


def _type_features(module, found: dict):
    for sub in module.types:
        comp = sub.comp
        if not isinstance(comp, FuncType) or sub.supers or not sub.final:
            found.setdefault("gc", "a struct, array or subtype declaration")
            continue
        if len(comp.results) > 1:
            found.setdefault("multi-value", "a function type with several results")
        for t in comp.params + comp.results:
            if t is V128:
                found.setdefault("simd", "a v128 parameter or result")
            elif isinstance(t, RefType) and (not t.nullable or isinstance(t.heap, int)):
                found.setdefault("function-references", f"the typed reference {t}")
    if module.rec_groups:
        found.setdefault("gc", "a rec group")


def module_features(module, bodies=None) -> dict[str, str]:
    """Features `module` uses, each with what uses it. `bodies` are its function bodies
    (default: the module's own)."""
    found: dict[str, str] = {}
    if module.count(MEMORY_KIND) > 1:
        found["multi-memory"] = f"{module.count(MEMORY_KIND)} memories"
    if module.count(TABLE_KIND) > 1:
        found["reference-types"] = f"{module.count(TABLE_KIND)} tables"
    for memory in module.memory_types():
        if memory.limits.address64:
            found.setdefault("memory64", "a 64-bit memory")
        if memory.limits.shared:
            found.setdefault("threads", "a shared memory")
    if any(e.mode == "passive" for e in module.elems) or any(d.mode == "passive" for d in module.datas):
        found.setdefault("bulk-memory", "a passive segment")
    if module.datacount is not None:
        found.setdefault("bulk-memory", "a data count section")
    if any(e.mode == "declarative" or e.exprs is not None for e in module.elems):
        found.setdefault("reference-types", "an element segment of expressions")
    exprs = [g.init for g in module.globals] + [s.offset for s in module.elems + module.datas if s.offset]
    if any(instr.op.name in _EXTENDED_CONST for x in exprs for instr in decode_instrs(x.code, 0, len(x.code))[0]):
        found.setdefault("extended-const", "arithmetic in a constant expression")
    _type_features(module, found)
    pattern = _mvp_runs()
    for code in module.codes if bodies is None else bodies:
        for op, _, _ in ops_outside_runs(code.body, pattern):
            found.setdefault(op.feature, f"instruction {op.name}")
    return found


def merge_introduced(loaded, plan, out, init) -> dict[str, list[str]]:
    """Features the merged module needs because of the merge, each with the inputs that
    bring in the memories, tables or segments that make it necessary."""
    needed = {}
    for kind, feature in ((MEMORY_KIND, "multi-memory"), (TABLE_KIND, "reference-types")):
        if out.count(kind) > 1:
            needed[feature] = _owners(loaded, plan, kind)
    passive = [k for k in range(len(loaded))
               if set(plan.maps[k]["elem"]) & init.passive_elems or set(plan.maps[k]["data"]) & init.passive_datas]
    if passive:
        needed["bulk-memory"] = [loaded[k].name for k in passive]
    return needed


def _owners(loaded, plan, kind: int) -> list[str]:
    space = {MEMORY_KIND: "memory", TABLE_KIND: "table"}[kind]
    return [inp.name for k, inp in enumerate(loaded) if plan.maps[k][space]]


def input_features(loaded, out, plan, scan_bodies: bool = True) -> list[dict[str, str]]:
    """Each input's features, its bodies read from the merged module (the inputs hand
    theirs over while definitions are copied; which instructions they hold is unchanged).
    Without `scan_bodies`, only what the module's sections show."""
    imported = out.count(FUNC_KIND) - len(out.funcs)
    result = []
    for k, inp in enumerate(loaded):
        first = plan.bases[k][FUNC_KIND] - imported
        bodies = out.codes[first:first + len(inp.module.funcs)] if scan_bodies else []
        try:
            result.append(module_features(inp.module, bodies))
        except WasmError as err:
            raise err.with_file(inp.label)
    return result


def declared_features(inp) -> set[str]:
    """The features an input's own `target_features` section says it uses (ours' names)."""
    section = inp.module.custom("target_features")
    if section is None:
        return set()
    try:
        parsed = target_features.parse(section.data)
    except WasmError:
        return set()
    return {OUR_NAMES.get(f.name, f.name) for f in parsed.features if f.prefix in "+="}


def check_target(target: str | None, loaded, used: list[dict[str, str]], introduced: dict[str, list[str]],
                 warnings: list[str]) -> set[str]:
    """Refuse features outside `target`; without one, warn about features the merge
    introduced that no input used. Returns those (LLVM names), for `target_features`."""
    new = {feature: owners for feature, owners in introduced.items()
           if not any(feature in u for u in used) and not any(feature in declared_features(i) for i in loaded)}
    if target is not None:
        allowed = PROFILES[target]
        problems = []
        features = sorted((set().union(*used) | set(introduced)) - allowed)
        for feature in features:
            why = [f"{inp.name} ({u[feature]})" for inp, u in zip(loaded, used) if feature in u]
            if feature in introduced:
                why.append(f"the merge: {_introduced_reason(feature)} of {', '.join(introduced[feature])}")
            problems.append(f"{feature}, needed by {'; '.join(why)}")
        if problems:
            raise LinkError(f"--target {target}: the merged module needs features {target} lacks: "
                            + " | ".join(problems))
    else:
        for feature, owners in new.items():
            warnings.append(f"the merged module needs {feature} ({_introduced_reason(feature)} of "
                            f"{', '.join(owners)}), which no input used: engines without it cannot load the "
                            "output (use --target to make this an error)")
    return {LLVM_NAMES[f] for f in new}


def llvm_names(used: list[dict[str, str]]) -> set[str]:
    """Every feature some input uses, in `target_features` names."""
    return {LLVM_NAMES[f] for u in used for f in u if f in LLVM_NAMES}


def _introduced_reason(feature: str) -> str:
    return {"multi-memory": "one memory each", "reference-types": "one table each",
            "bulk-memory": "a generated start function applying the segments"}[feature]
