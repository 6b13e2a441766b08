"""Which WebAssembly features a module uses, read off its sections and code.

Features are named as in `features.py` ("multi-memory"); `target_feature_name` gives the
spelling of the `target_features` custom section, which follows LLVM ("multimemory").
"""

import functools

from .binary.scan import IMM_PATTERNS, ops_outside_runs, run_pattern
from .binary.model import Module
from .binary.types import (AbsHeap, ArrayType, FuncType, RefType, StructType, FUNC, EXTERN,
                           MEMORY_KIND, TABLE_KIND, TAG_KIND)


# Runs of MVP instructions need no look: only what falls outside them can add a feature.
# A block type naming a type index (multi-value) or a reference type ends a run too.
@functools.cache
def _mvp_run():
    return run_pattern(lambda op: op.feature == "mvp", dict(IMM_PATTERNS, blocktype=rb"[\x40\x7c-\x7f]"))


def _ref_features(t, out: set):
    if isinstance(t, RefType):
        out.add("reference-types")
        if not t.nullable or not isinstance(t.heap, AbsHeap):
            out.add("function-references")
        if isinstance(t.heap, AbsHeap) and t.heap not in (FUNC, EXTERN):
            out.add("exceptions" if t.heap.name in ("exn", "noexn") else "gc")


# Our feature names that LLVM's `target_features` section spells differently.
_TARGET_FEATURE_NAMES = {
    "multi-memory": "multimemory", "multi-value": "multivalue", "simd": "simd128",
    "threads": "atomics", "exceptions": "exception-handling", "sign-extension": "sign-ext",
    "sat-float-to-int": "nontrapping-fptoint",
}


def target_feature_name(feature: str) -> str:
    """How the `target_features` custom section names one of our features."""
    return _TARGET_FEATURE_NAMES.get(feature, feature)


def space_size_features(module: Module) -> set[str]:
    """Features needed for how many entries the index spaces hold: a second memory
    needs multi-memory, a second table reference types."""
    out = set()
    if module.count(MEMORY_KIND) > 1:
        out.add("multi-memory")
    if module.count(TABLE_KIND) > 1:
        out.add("reference-types")
    return out


def features_used(module: Module, scan_code: bool = True) -> set[str]:
    out = {"mvp"}
    for sub in module.types:
        comp = sub.comp
        if isinstance(comp, (StructType, ArrayType)) or sub.supers or not sub.final:
            out.add("gc")
        if isinstance(comp, FuncType):
            if len(comp.results) > 1:
                out.add("multi-value")
            for t in comp.params + comp.results:
                _ref_features(t, out)
    if module.rec_groups:
        out.add("gc")
    limits = [imp.type.limits for imp in module.imports if imp.kind in (TABLE_KIND, MEMORY_KIND)]
    limits += [m.limits for m in module.memories] + [t.type.limits for t in module.tables]
    for lim in limits:
        if lim.address64:
            out.add("memory64")
        if lim.shared:
            out.add("threads")
    out |= space_size_features(module)
    if module.count(TAG_KIND):
        out.add("exceptions")
    for g in module.globals:
        _ref_features(g.type.type, out)
    if any(e.exprs is not None or e.mode != "active" or e.table != 0 for e in module.elems):
        out.add("bulk-memory")
    if any(d.mode == "passive" or d.memory for d in module.datas) or module.datacount is not None:
        out.add("bulk-memory")
    if scan_code:
        pattern = _mvp_run()
        for code in module.codes:
            for _, t in code.locals:
                _ref_features(t, out)
            for op, args, _ in ops_outside_runs(code.body, pattern):
                out.add(op.feature)
                if op.imms and op.imms[0] == "blocktype":
                    if isinstance(args[0], int):
                        out.add("multi-value")
                    else:
                        _ref_features(args[0], out)
    return out
