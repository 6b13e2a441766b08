"""The link report (`--map`, as text or JSON) and the Make dependency file (`--depfile`)."""

from ..binary.types import KIND_NAMES
from .plan import SPACES
from .resolve import External


# How the text report names each external kind's space when it counts several.
_PLURALS = {kind: {"func": "functions", "memory": "memories"}.get(space, space + "s")
            for kind, space in KIND_NAMES.items()}


def build_report(loaded, plan, out, output_size: int, init) -> dict:
    """Every import and what it was bound to, the index map per input and space, sizes."""
    imports = []
    for k, inp in enumerate(loaded):
        position = dict.fromkeys(KIND_NAMES, 0)
        for imp, target, chain in zip(inp.module.imports, plan.resolution.targets[k],
                                      plan.resolution.chains[k]):
            space = KIND_NAMES[imp.kind]
            via = [f"{loaded[m].name}.{name}" for m, name in chain]
            if isinstance(target, External):
                bound = {"import": target.label}
            else:
                bound = {"module": loaded[target.module].name,
                         "definition": target.index}
            imports.append({
                "module": inp.name, "import": f"{imp.module}.{imp.name}", "kind": space,
                "via": via, "bound_to": bound,
                "index": plan.merged(k, space, position[imp.kind]),
            })
            position[imp.kind] += 1
    inputs = []
    for k, inp in enumerate(loaded):
        inputs.append({
            "name": inp.name, "file": inp.file, "size": inp.size,
            "code_size": inp.code_size,
            "index_map": {space: list(plan.maps[k][space]) for space in SPACES},
        })
    return {
        "inputs": inputs,
        "imports": imports,
        "kept_imports": [{"import": e.label, "kind": KIND_NAMES[e.kind]} for e in plan.resolution.externals],
        "exports": [{"name": e.name, "kind": KIND_NAMES[e.kind], "index": e.index} for e in out.exports],
        "start": out.start,
        "passive_segments": {"elem": sorted(init.passive_elems), "data": sorted(init.passive_datas)},
        # Tables nothing could observe (unused_tables.py), left out of the output.
        "dropped_tables": [{"module": inp.name, "table": t}
                           for inp, dropped in zip(loaded, plan.dropped_tables) for t in sorted(dropped)],
        "output": {"size": output_size, "types": len(out.types),
                   **{_PLURALS[kind]: out.count(kind) for kind in KIND_NAMES},
                   "elems": len(out.elems), "datas": len(out.datas)},
    }


def _ranges(mapping: list[int]) -> list[str]:
    """`old -> new` runs, consecutive indices moved by the same amount collapsed."""
    out = []
    i = 0
    while i < len(mapping):
        j = i
        while j + 1 < len(mapping) and mapping[j + 1] == mapping[j] + 1:
            j += 1
        if i == j:
            out.append(f"{i} -> {mapping[i]}")
        else:
            out.append(f"{i}..{j} -> {mapping[i]}..{mapping[j]}")
        i = j + 1
    return out


def format_text(report: dict) -> str:
    lines = ["# wasmmerge link map", ""]
    lines.append("## inputs")
    for inp in report["inputs"]:
        lines.append(f"{inp['name']}: {inp['size']} bytes ({inp['code_size']} bytes of code)"
                     + (f" from {inp['file']}" if inp["file"] else ""))
    lines += ["", "## imports"]
    for imp in report["imports"]:
        bound = imp["bound_to"]
        target = (f"kept as import {bound['import']}" if "import" in bound
                  else f"{bound['module']} {imp['kind']} {bound['definition']}")
        via = f" via {' -> '.join(imp['via'])}" if imp["via"] else ""
        lines.append(f"{imp['module']}: {imp['kind']} {imp['import']}{via} => {target} "
                     f"(merged {imp['kind']} {imp['index']})")
    lines += ["", "## kept imports"]
    lines += [f"{e['kind']} {e['import']}" for e in report["kept_imports"]] or ["(none)"]
    lines += ["", "## exports"]
    lines += [f"{e['kind']} {e['name']} = {e['index']}" for e in report["exports"]] or ["(none)"]
    lines += ["", "## index maps"]
    for inp in report["inputs"]:
        for space, mapping in inp["index_map"].items():
            if mapping:
                lines.append(f"{inp['name']} {space}: {', '.join(_ranges(mapping))}")
    lines += ["", "## output"]
    lines += [f"{key}: {value}" for key, value in report["output"].items()]
    lines.append(f"start: {'-' if report['start'] is None else report['start']}")  # as inspect prints it
    passive = report["passive_segments"]
    if passive["elem"] or passive["data"]:
        lines.append(f"made passive for instantiation order: elem {passive['elem']}, data {passive['data']}")
    for dropped in report.get("dropped_tables", []):
        lines.append(f"dropped {dropped['module']} table {dropped['table']}: defined, empty, not exported, "
                     "used by no instruction or segment")
    return "\n".join(lines) + "\n"


def format_json(report: dict) -> str:
    import json  # lazy: only `--report` in JSON needs it, not every merge.
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def _escape_make(path: str) -> str:
    return path.replace("$", "$$").replace(" ", "\\ ").replace("#", "\\#")


def format_depfile(output: str, inputs: list[str]) -> str:
    """`out: in...`, then an empty rule per input (gcc's -MP), so that a build which no
    longer has an input does not stop with "No rule to make target" (stdin, `-`, is no file)."""
    files = [_escape_make(p) for p in inputs if p != "-"]
    return f"{_escape_make(output)}: {' '.join(files)}\n" + "".join(f"\n{p}:\n" for p in files)
