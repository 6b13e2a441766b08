"""The package's import structure: no cycles, lazy imports only where a comment says why,
and cheap entry points (`import wasmmerge.binary.leb`, `wasmmerge --version`, a merge).

The convention for a deliberate function-level import: a `# lazy: WHY` comment on the
import's own line, or on the line above it (one comment may head a run of imports).
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

from wasmmerge.cli import COMMANDS

from conftest import ROOT

PACKAGE = ROOT / "wasmmerge"
LAZY_MARK = "# lazy:"



def python_files():
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def nested_imports(tree):
    """Import statements inside a function or class body (not at module level)."""
    for outer in ast.walk(tree):
        if isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for node in ast.walk(outer):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    yield node


def has_lazy_comment(lines: list[str], lineno: int) -> bool:
    """A `# lazy:` comment on the import's line, or above it past a run of imports."""
    index = lineno - 1
    if LAZY_MARK in lines[index]:
        return True
    index -= 1
    while index >= 0 and lines[index].strip().startswith(("import ", "from ")):
        index -= 1
    return index >= 0 and lines[index].strip().startswith(LAZY_MARK)


def test_every_function_level_import_says_why():
    undocumented = []
    for path in python_files():
        text = path.read_text()
        lines = text.splitlines()
        relative = str(path.relative_to(ROOT))
        seen = set()
        for node in nested_imports(ast.parse(text)):
            if node.lineno in seen:
                continue
            seen.add(node.lineno)
            if has_lazy_comment(lines, node.lineno):
                continue
            undocumented.append(f"{relative}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not undocumented, ("function-level imports without a `# lazy: why` comment "
                              "(import at the top, or say why not):\n" + "\n".join(undocumented))


def resolve(package: str, node) -> list[str]:
    """The project modules a module-level import statement loads (by explicit name)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = package.split(".")
        base = base[:len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module
    names = [target]
    for alias in node.names:
        # `from . import ops` names a submodule; `from .x import f` names an attribute.
        candidate = f"{target}.{alias.name}"
        if (ROOT / (candidate.replace(".", "/") + ".py")).exists() or \
                (ROOT / candidate.replace(".", "/") / "__init__.py").exists():
            names.append(candidate)
    return names


def module_level_graph() -> dict[str, set[str]]:
    graph = {}
    for path in python_files():
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.parse(path.read_text()).body:
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    edges.update(n for n in resolve(package, inner) if n.startswith("wasmmerge"))
        # `from ..x import f` inside a submodule of x's package: the package itself is loaded
        # first anyway, so an edge to one's own ancestor package is no cycle worth reporting.
        graph[name] = {e for e in edges if e != name and not name.startswith(e + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state = {}

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for succ in sorted(graph.get(node, ())):
            if state.get(succ) == "open":
                return path[path.index(succ):] + [succ]
            if succ not in state:
                found = visit(succ, path)
                if found:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_no_import_cycles_at_module_level():
    cycle = find_cycle(module_level_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def loaded_modules(code: str, *argv: str, packages=("wasmmerge",)) -> set[str]:
    """The modules of `packages` (the project's) loaded by the end of running `code` (with
    sys.argv = argv)."""
    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: print('MODULES=' + json.dumps(sorted(m for m in sys.modules\n"
             f"                                  if m.split('.')[0] in {tuple(packages)!r})), file=sys.stderr))\n"
             f"sys.argv = {['wasmmerge', *argv]!r}\n" + code)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES=")]
    assert line, proc.stderr
    return set(json.loads(line[-1][len("MODULES="):]))


RUN_CLI = "import runpy\nrunpy.run_module('wasmmerge', run_name='__main__', alter_sys=True)\n"
HEAVY = ("wasmmerge.validator", "wasmmerge.runtime", "wasmmerge.spectest")


def heavy(modules: set[str], prefixes=HEAVY) -> list[str]:
    return sorted(m for m in modules if m.startswith(prefixes))


def test_leb_codec_loads_only_what_it_needs():
    modules = loaded_modules("import wasmmerge.binary.leb\n")
    assert "wasmmerge.binary.leb" in modules
    # The package, its errors, `binary` and the codec itself: not even the model.
    assert len(modules) <= 4, sorted(modules)


def test_version_loads_no_validator_runtime_or_spec_runner():
    modules = loaded_modules(RUN_CLI, "--version")
    assert "wasmmerge.cli" in modules
    assert not heavy(modules), heavy(modules)
    # The package, its errors, the entry point, the shared helpers and the collector's
    # pause (which the entry point tells that the process ends with the command): no
    # command's module, and not the click group (the version is answered without click).
    assert modules == {"wasmmerge", "wasmmerge.errors", "wasmmerge.cli", "wasmmerge.cliutil",
                       "wasmmerge.collector"}, sorted(modules)
    assert "click" not in loaded_modules(RUN_CLI, "--version", packages=("click",))


def test_merge_loads_no_runtime_or_spec_runner(tmp_path):
    # A module exporting a function (hand-assembled: no tool needed), merged with itself
    # under two names; the validator is loaded to check the output, nothing that runs code.
    body = bytes([0x02, 0x00, 0x0B])  # one code entry: size 2, no locals, end
    data = (b"\0asm\1\0\0\0" + bytes([1, 4, 1, 0x60, 0, 0]) + bytes([3, 2, 1, 0])
            + bytes([7, 5, 1, 1, ord("f"), 0, 0]) + bytes([10, 4, 1]) + body)
    (tmp_path / "a.wasm").write_bytes(data)
    out = tmp_path / "out.wasm"
    modules = loaded_modules(RUN_CLI, f"a={tmp_path / 'a.wasm'}", f"b={tmp_path / 'a.wasm'}",
                             "--rename-export-conflicts", "-o", str(out), packages=("wasmmerge", "construct"))
    assert out.read_bytes().startswith(b"\0asm")
    assert "wasmmerge.merger.pipeline" in modules
    assert not heavy(modules, ("wasmmerge.runtime", "wasmmerge.spectest")), heavy(modules)
    # Inputs without custom sections load no section handler, nor the library under them;
    # nor what only other options use.
    unneeded = heavy(modules, ("wasmmerge.custom.", "construct", "wasmmerge.debuginfo", "wasmmerge.merger.debug",
                               "wasmmerge.merger.single_memory", "wasmmerge.merger.lower_memory",
                               "wasmmerge.linker"))
    assert not unneeded, unneeded
    # 55 today, binary.bodies, binary.segments and binary.rows among them (the merger reads bodies and
    # data segments as rows), cligroup (the click group, split from cli.py so that `link`
    # runs without click) and binary.valtypes (split from binary.code so that a link
    # need not load the opcode table): a new import on this path has to be argued for.
    assert len(modules) <= 56, sorted(modules)  # 55 before collector.py


def test_merge_loads_the_handler_of_each_custom_section_present(tmp_path):
    # The module above with a `producers` section (one field, `language`: `C` `11`).
    body = bytes([0x02, 0x00, 0x0B])
    producers = b"\x09producers" + bytes([1, 8]) + b"language" + bytes([1, 1]) + b"C" + bytes([2]) + b"11"
    data = (b"\0asm\1\0\0\0" + bytes([1, 4, 1, 0x60, 0, 0]) + bytes([3, 2, 1, 0])
            + bytes([7, 5, 1, 1, ord("f"), 0, 0]) + bytes([10, 4, 1]) + body
            + bytes([0, len(producers)]) + producers)
    (tmp_path / "a.wasm").write_bytes(data)
    out = tmp_path / "out.wasm"
    modules = loaded_modules(RUN_CLI, f"a={tmp_path / 'a.wasm'}", f"b={tmp_path / 'a.wasm'}",
                             "--rename-export-conflicts", "-o", str(out), packages=("wasmmerge", "construct"))
    assert b"producers" in out.read_bytes()
    handlers = sorted(m for m in modules if m.startswith("wasmmerge.custom."))
    assert handlers == ["wasmmerge.custom.fields", "wasmmerge.custom.producers"], handlers
    # producers is read by hand: a toolchain's output does not cost the import of construct.
    assert "construct" not in modules


def _tiny_objects(directory):
    from link.objdsl import caller_and_callee
    return caller_and_callee(directory)


# What only some options or inputs need, which a plain link of C objects must not load: the
# click command line (`link` parses its own), the map, the -r/--emit-relocs writer, the C++
# demangler's grammar (until a mangled name is met), construct (build-id), shlex (response
# files are split by options.py, as LLVM splits them), and tempfile (outputs.py names its temporaries itself). Nor dataclasses
# (and the inspect module under it): the linker's classes are records (`binary/record.py`),
# whose methods are compiled once into the .pyc rather than generated at every start-up.
# Nor the instruction decoder and its opcode table: a link copies bodies as bytes.
LINK_UNNEEDED = ("click", "construct", "tempfile", "shlex", "dataclasses", "inspect", "wasmmerge.cligroup",
                 "wasmmerge.linker.mapfile", "wasmmerge.linker.relocatable", "wasmmerge.linker.demangle",
                 "wasmmerge.custom.build_id", "wasmmerge.binary.code", "wasmmerge.binary.opcodes")


def test_link_loads_neither_click_nor_what_only_some_options_use(tmp_path):
    out = tmp_path / "out.wasm"
    modules = loaded_modules(RUN_CLI, "link", "--no-entry", "--export=main", *_tiny_objects(tmp_path),
                             "-o", str(out), packages=("wasmmerge", *{m.split(".")[0] for m in LINK_UNNEEDED}))
    assert out.read_bytes().startswith(b"\0asm")
    assert "wasmmerge.linker.writer" in modules
    unneeded = sorted(modules & set(LINK_UNNEEDED))
    assert not unneeded, unneeded
    assert not heavy(modules, ("wasmmerge.validator", "wasmmerge.runtime", "wasmmerge.spectest", "wasmmerge.merger",
                               "wasmmerge.debuginfo")), heavy(modules)
    # 52 today: the linker's 27 (its package included; symbol_order for the order of the
    # symbols wasm-ld makes first, which the exports follow; chunk_relocs, patching,
    # memory_plan, object_imports and mismatch, split out of objects.py, writer.py,
    # layout.py and symtab.py to keep them readable), `workers` for the one decision of
    # when to fork (it imports only os and gc), the codec's 11 it reads objects with
    # (value types from binary.valtypes: a link decodes no instruction, and the opcode
    # table was a third of its imports),
    # 7 of `custom` (the `linking`, `reloc`, `producers` and `target_features` handlers and
    # what they share), cli, cliutil and outputs, and the package with its errors and features.
    # A new import on this path (the start-up of every link a build runs) has to be argued for.
    assert len(modules) <= 53, sorted(modules)  # 52 before collector.py


def test_link_loads_what_an_option_needs_when_it_is_given(tmp_path):
    """The deferred imports are still made where they are needed (the map, -r, a response file)."""
    objects = _tiny_objects(tmp_path)
    (tmp_path / "args.rsp").write_text(" ".join(objects) + "\n")
    modules = loaded_modules(RUN_CLI, "link", "--no-entry", "--export=main", f"@{tmp_path / 'args.rsp'}", "-r",
                             f"-Map={tmp_path / 'out.map'}", "-o", str(tmp_path / "out.o"),
                             packages=("wasmmerge", "shlex"))
    assert (tmp_path / "out.o").exists() and (tmp_path / "out.map").exists()
    assert {"wasmmerge.linker.mapfile", "wasmmerge.linker.relocatable"} <= modules and "shlex" not in modules


def test_help_lists_every_command():
    proc = subprocess.run([sys.executable, "-m", "wasmmerge", "--help"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    listed = proc.stdout.split("Commands:")[1].split()
    assert set(COMMANDS) <= set(listed), proc.stdout
