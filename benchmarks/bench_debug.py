"""Debug info through a merge: time spent rewriting DWARF beside the rest of the merge.

    .venv/bin/python benchmarks/bench_debug.py [--functions 6000] [--no-validate]

Generates C for two modules (a library, and an application importing half of its
functions from it; each has its own memory, so every memory access of the application
gains a memory index and its bodies grow), compiles them with `clang -g` (DWARF 4) and
`-g -gdwarf-5 -O1` into a cache directory outside the repository
(~/.cache/wasmmerge-bench, reused while the generator is unchanged), and merges them.
Prints every phase's time and the debug-info phase's share. The target: a byte of DWARF
costs no more than a byte of code costs the rest of the merge (DWARF MB/s in the debug
phase at least the code MB/s of everything else), so the debug phase's share grows only
with the share of DWARF in the input (an -O1 DWARF 5 build carries twice as much DWARF
as code). The exit status says whether both builds met it.
"""

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wasmmerge.merger import MergeOptions, merge  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "wasmmerge-bench"
FILES = 8  # translation units per module


def _function(rng, name: str, callees: list[str]) -> str:
    lines = [f"int {name}(int a, int b) {{", "    int acc = a;"]
    for i in range(rng.randrange(4, 9)):
        kind = rng.randrange(4)
        if kind == 0:
            lines.append(f"    for (int i{i} = 0; i{i} < b; i{i}++) "
                         f"{{ acc += buffer[(acc + i{i}) & 255] * {rng.randrange(1, 99)}; }}")
        elif kind == 1 and callees:
            lines.append(f"    acc ^= {rng.choice(callees)}(acc, b + {i});")
        elif kind == 2:
            lines.append(f"    if (acc > {rng.randrange(1000)}) {{ buffer[acc & 255] = acc; acc -= b; }} "
                         f"else {{ acc += {i}; }}")
        else:
            lines.append(f"    acc = acc * {rng.randrange(3, 17)} + (b >> {rng.randrange(1, 5)});")
    lines += ["    return acc;", "}", ""]
    return "\n".join(lines)


def generate(functions: int) -> dict[str, dict[str, str]]:
    """module -> {file name: C source}."""
    rng = random.Random(12)
    per_file = functions // (2 * FILES)
    lib_names = [f"lib_{f}_{i}" for f in range(FILES) for i in range(per_file)]
    app_names = [f"app_{f}_{i}" for f in range(FILES) for i in range(per_file)]
    imported = lib_names[::2]
    modules = {"lib": {}, "app": {}}
    for module, names in (("lib", lib_names), ("app", app_names)):
        for f in range(FILES):
            own = names[f * per_file:(f + 1) * per_file]
            decls = [f"int {n}(int, int);" for n in names]
            if module == "app":
                decls += [f'__attribute__((import_module("lib"), import_name("{n}"))) int {n}(int, int);'
                          for n in imported]
            body = [f"/* generated: {module} file {f} */", *decls, "static int buffer[256];", ""]
            for i, name in enumerate(own):
                callees = names[:f * per_file + i][-20:] + (rng.sample(imported, 3) if module == "app" else [])
                body.append(_function(rng, name, callees))
            modules[module][f"{module}{f}.c"] = "\n".join(body)
    return modules


def build(functions: int, flags: list[str]) -> list[tuple[str, bytes]]:
    clang = shutil.which("clang") or shutil.which("clang-14")
    if clang is None:
        sys.exit("clang not found: `make bench` installs it")
    sources = generate(functions)
    key = hashlib.sha256(repr((sources, flags)).encode()).hexdigest()[:16]
    out = CACHE / f"debug-{key}"
    if not (out / "app.wasm").exists():
        out.mkdir(parents=True, exist_ok=True)
        for module, files in sources.items():
            objects = []
            for name, text in files.items():
                (out / name).write_text(text)
                obj = out / (name + ".o")
                subprocess.run([clang, "--target=wasm32-wasi", "-c", *flags, str(out / name), "-o", str(obj)],
                               check=True)
                objects.append(str(obj))
            exports = [f"-Wl,--export={n}" for n in _exported(files)]
            subprocess.run([clang, "--target=wasm32-wasi", "-nostdlib", "-Wl,--no-entry", "-Wl,--allow-undefined",
                            *exports, *objects, "-o", str(out / f"{module}.wasm")], check=True)
    return [(m, (out / f"{m}.wasm").read_bytes()) for m in ("lib", "app")]


def _exported(files: dict[str, str]) -> list[str]:
    names = []
    for text in files.values():
        for line in text.splitlines():
            if line.startswith("int ") and line.endswith("{"):
                names.append(line.split("(")[0][4:])
    return names


def _code_and_debug_sizes(data: bytes) -> tuple[int, int]:
    from wasmmerge.binary.reader import iter_sections  # noqa: PLC0415 (benchmark helper)
    code = debug = 0
    for info in iter_sections(data):
        if info.id == 10:
            code += info.size
        elif info.name and info.name.startswith(".debug_"):
            debug += info.size
    return code, debug


def run(name: str, modules, validate: bool) -> bool:
    phases = {}
    options = MergeOptions(on_phase=lambda phase, seconds: phases.__setitem__(phase, seconds), validate=validate,
                           export_conflicts="skip")
    start = time.perf_counter()
    result = merge(modules, options)
    total = time.perf_counter() - start
    code = sum(_code_and_debug_sizes(d)[0] for _, d in modules)
    debug = sum(_code_and_debug_sizes(d)[1] for _, d in modules)
    debug_time = phases.get("debug info", 0.0)
    rest = total - debug_time
    dwarf_rate = debug / 1e6 / max(debug_time, 1e-9)
    code_rate = code / 1e6 / max(rest, 1e-9)
    print(f"{name}: {code / 1e6:.2f} MB code, {debug / 1e6:.2f} MB DWARF in; merge {total:.2f} s: "
          f"debug info {debug_time:.2f} s ({dwarf_rate:.2f} MB/s of DWARF), everything else {rest:.2f} s "
          f"({code_rate:.2f} MB/s of code); debug share {debug_time / total:.0%}")
    print("    phases: " + ", ".join(f"{p} {s * 1000:.0f} ms" for p, s in phases.items()))
    if any("DWARF" in w for w in result.warnings):
        print("    warnings: " + "; ".join(w for w in result.warnings if "DWARF" in w))
        return False
    return dwarf_rate >= code_rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=6000)
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args()
    ok = True
    for name, flags in (("dwarf4 -O0", ["-g"]), ("dwarf5 -O1", ["-g", "-gdwarf-5", "-O1"])):
        modules = build(args.functions, flags)
        ok &= run(name, modules, not args.no_validate)
    print(f"target: DWARF MB/s at least the rest of the merge's code MB/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
