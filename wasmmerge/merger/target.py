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
uses LLVM's (`usage.target_feature_name`). What an input uses is `usage.features_used`.
"""

from ..binary.code import decode_instrs
from ..binary.scan import ops_outside_runs, run_pattern
from ..binary.types import FUNC_KIND, MEMORY_KIND, TABLE_KIND
from .. import custom
from ..errors import LinkError, WasmError
from ..features import ALL, WASM2, WASM3
from ..usage import features_used, target_feature_name

PROFILES = {
    "1.0": frozenset({"mvp"}),
    "2.0": WASM2,
    "3.0": WASM3,
    # Node 20 (V8 11.3), checked with WebAssembly.compile: 2.0, threads, legacy exceptions
    # and tail calls; no multi-memory, memory64, extended-const, relaxed SIMD, typed
    # function references, GC or the final exception handling (exnref).
    "node20": WASM2 | frozenset({"threads", "legacy-exceptions", "tail-call"}),
}

EXTENDED_CONST_OPS = frozenset(("i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"))

# `target_features` names back to ours.
OUR_NAMES = {target_feature_name(f): f for f in ALL}


def _first_instruction(bodies, feature: str) -> str | None:
    """The name of the first instruction of `feature` in `bodies`, for messages."""
    pattern = run_pattern(lambda op: op.feature != feature)
    for code in bodies:
        for op, _, _ in ops_outside_runs(code.body, pattern):
            return op.name
    return None


def merge_introduced(loaded, plan, out, init) -> dict[str, list[str]]:
    """Features the merged module needs because of the merge, each with the inputs that
    bring in the memories, tables or segments that make it necessary."""
    needed = {}
    for kind, feature in ((MEMORY_KIND, "multi-memory"), (TABLE_KIND, "reference-types")):
        if out.count(kind) > 1:
            needed[feature] = _owners(loaded, plan, kind)
    passive = [k for k in range(len(loaded))
               if not init.passive_elems.isdisjoint(plan.maps[k]["elem"])
               or not init.passive_datas.isdisjoint(plan.maps[k]["data"])]  # no set of ~10^5 indices
    if passive:
        needed["bulk-memory"] = [loaded[k].name for k in passive]
    return needed


def _owners(loaded, plan, kind: int) -> list[str]:
    space = {MEMORY_KIND: "memory", TABLE_KIND: "table"}[kind]
    return [inp.name for k, inp in enumerate(loaded) if plan.maps[k][space]]


def _uses_extended_const(module) -> bool:
    """Arithmetic in a global initialiser or segment offset (`usage` does not look there)."""
    exprs = [g.init for g in module.globals] + [seg.offset for seg in module.elems + module.datas if seg.offset]
    return any(instr.op.name in EXTENDED_CONST_OPS
               for expr in exprs if len(expr.code) > 3 for instr in decode_instrs(expr.code, 0, len(expr.code))[0])


def _bodies(loaded, out, plan, k: int) -> list:
    """Input k's function bodies, read from the merged module: the inputs hand theirs over
    while definitions are copied, and which instructions they hold does not change."""
    first = plan.bases[k][FUNC_KIND] - (out.count(FUNC_KIND) - len(out.funcs))
    return out.codes[first:first + len(loaded[k].module.funcs)]


def input_features(loaded, out, plan, scan_bodies: bool = True) -> list[set[str]]:
    """Each input's features (`usage.features_used`); without `scan_bodies`, only what its
    sections show. Tags count as legacy exceptions when only legacy instructions use them
    (`usage` cannot tell; node 20 runs those)."""
    result = []
    for k, inp in enumerate(loaded):
        bodies = _bodies(loaded, out, plan, k) if scan_bodies else []
        try:
            used = features_used(inp.module.replace(codes=bodies), scan_code=scan_bodies)
            if "legacy-exceptions" in used and _first_instruction(bodies, "exceptions") is None:
                used.discard("exceptions")
            if _uses_extended_const(inp.module):
                used.add("extended-const")
            if any(e.mode == "declarative" for e in inp.module.elems):
                # Declared for `ref.func`: a reference-types instruction, seen without a scan.
                used.add("reference-types")
        except WasmError as err:
            raise err.with_file(inp.label)
        result.append(used)
    return result


def declared_features(inp) -> set[str]:
    """The features an input's own `target_features` section says it uses (ours' names)."""
    section = inp.module.custom("target_features")
    if section is None:
        return set()
    try:
        parsed = custom.handler(section.name).parse(section.data)  # loaded only for inputs that have one
    except WasmError:
        return set()
    return {OUR_NAMES.get(f.name, f.name) for f in parsed.features if f.prefix in "+="}


def check_target(target: str | None, loaded, out, plan, introduced: dict[str, list[str]],
                 warnings: list[str]) -> None:
    """Refuse features outside `target`; without one, warn about features the merge
    introduced that no input used. Function bodies are scanned only with a target: the
    warning goes by what the inputs' sections show (a scan of every body would cost as
    much as a fifth of a large merge)."""
    used = input_features(loaded, out, plan, scan_bodies=target is not None)
    declared = [declared_features(inp) for inp in loaded]

    def unused(feature):
        return not any(feature in u for u in used) and not any(feature in d for d in declared)

    if target is not None:
        allowed = PROFILES[target]
        problems = []
        for feature in sorted((set().union(*used) | set(introduced)) - allowed):
            why = [_responsible(loaded, out, plan, k, feature) for k, u in enumerate(used) if feature in u]
            if feature in introduced:
                why.append(f"the merge: {_introduced_reason(feature)} {', '.join(introduced[feature])}")
            problems.append(f"{feature}, needed by {'; '.join(why)}")
        if problems:
            raise LinkError(f"--target {target}: the merged module needs features {target} lacks: "
                            + " | ".join(problems))
        return
    for feature, owners in introduced.items():
        if unused(feature):
            warnings.append(f"the merged module needs {feature} ({_introduced_reason(feature)} "
                            f"{', '.join(owners)}), which no input used: engines without it cannot load the "
                            "output (use --target to make this an error)")


def _responsible(loaded, out, plan, k: int, feature: str) -> str:
    instruction = _first_instruction(_bodies(loaded, out, plan, k), feature)
    return f"{loaded[k].name} (instruction {instruction})" if instruction else loaded[k].name


def _introduced_reason(feature: str) -> str:
    return {"multi-memory": "separate memories of", "reference-types": "separate tables of",
            "bulk-memory": "a generated start function applying segments of"}[feature]
