"""`wasmmerge inspect`: what a module contains, as text or JSON."""

import json

import click

from . import custom
from .binary.model import SECTION_NAMES
from .binary.reader import decode_module, iter_sections
from .binary.types import KIND_NAMES, FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND
from .cliutil import fail, label, read_input
from .errors import WasmError
from .usage import features_used


def describe(data: bytes) -> dict:
    """Everything `inspect` reports, as plain data."""
    sections = list(iter_sections(data))
    module = decode_module(data, lazy=True)
    spaces = {
        "types": len(module.types),
        "functions": module.count(FUNC_KIND),
        "tables": module.count(TABLE_KIND),
        "memories": module.count(MEMORY_KIND),
        "globals": module.count(GLOBAL_KIND),
        "tags": module.count(TAG_KIND),
        "elements": len(module.elems),
        "data": len(module.datas),
    }
    imported = {KIND_NAMES[k]: sum(1 for i in module.imports if i.kind == k) for k in KIND_NAMES}
    return {
        "size": len(data),
        "sections": [
            {"id": s.id, "name": SECTION_NAMES[s.id] if s.id else f"custom:{s.name}",
             "offset": s.offset, "size": s.size}
            for s in sections
        ],
        "index_spaces": spaces,
        "imported": imported,
        "imports": [{"module": i.module, "name": i.name, "kind": KIND_NAMES[i.kind], "type": _type_text(module, i)}
                    for i in module.imports],
        "exports": [{"name": e.name, "kind": KIND_NAMES[e.kind], "index": e.index} for e in module.exports],
        "start": module.start,
        "custom_sections": _custom_sections(module, sections),
        "features": sorted(features_used(module)),
    }


def _custom_sections(module, sections) -> list[dict]:
    """Name, size and, for a section a handler knows, a one-line summary (or what is
    malformed in it, with its file offset)."""
    infos = [s for s in sections if s.id == 0]
    out = []
    for i, c in enumerate(module.customs):
        # The payload is the tail of the section's contents, after the name.
        base = infos[i].start + infos[i].size - len(c.data) if i < len(infos) else 0
        try:
            text = custom.summary(c.name, c.data, base)
        except WasmError as err:
            text = f"malformed: {err}"
        out.append({"name": c.name, "size": len(c.data), "summary": text})
    return out


def _type_text(module, imp) -> str:
    if imp.kind == FUNC_KIND:
        if imp.type < len(module.types):
            return f"type {imp.type} {module.types[imp.type].comp}"
        return f"type {imp.type}"
    t = imp.type
    if imp.kind == TABLE_KIND:
        return f"{t.elem} {t.limits}"
    if imp.kind == MEMORY_KIND:
        return str(t.limits)
    if imp.kind == GLOBAL_KIND:
        return f"{'mut ' if t.mutable else ''}{t.type}"
    return f"type {t.type}"


_KIND_OF_SPACE = {"functions": "func", "tables": "table", "memories": "memory", "globals": "global", "tags": "tag"}


def render_text(info: dict, path: str) -> str:
    lines = [f"{path}: {info['size']} bytes"]
    lines.append("sections:")
    for s in info["sections"]:
        lines.append(f"  {s['name']:<28} offset {s['offset']:#010x}  size {s['size']}")
    lines.append("index spaces (imported + defined):")
    for name, count in info["index_spaces"].items():
        imported = info["imported"].get(_KIND_OF_SPACE.get(name, ""), 0)
        suffix = f" ({imported} imported)" if imported else ""
        lines.append(f"  {name:<10} {count}{suffix}")
    lines.append(f"imports: {len(info['imports'])}")
    for i in info["imports"]:
        lines.append(f"  {i['module']}.{i['name']}: {i['kind']} {i['type']}")
    lines.append(f"exports: {len(info['exports'])}")
    for e in info["exports"]:
        lines.append(f"  {e['name']}: {e['kind']} {e['index']}")
    lines.append(f"start: {info['start'] if info['start'] is not None else '-'}")
    lines.append(f"custom sections: {len(info['custom_sections'])}")
    for c in info["custom_sections"]:
        summary = f" ({c['summary']})" if c["summary"] else ""
        lines.append(f"  {c['name']}: {c['size']} bytes{summary}")
    lines.append(f"features: {', '.join(info['features'])}")
    return "\n".join(lines)


@click.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def inspect_command(file, as_json):
    """Show a module's sections, index spaces, imports, exports and features."""
    data = read_input(file)
    try:
        info = describe(data)
    except WasmError as err:
        fail(err.with_file(label(file)))
    click.echo(json.dumps(info, indent=2) if as_json else render_text(info, file))
