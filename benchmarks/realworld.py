"""Real-world benchmark inputs: .wasm files from npm packages, fetched once and cached.

    from realworld import realworld_modules, npm_tool
    paths = realworld_modules()          # {"swc": Path, "esbuild": Path, "sqljs": Path}
    merge = npm_tool("wasm-merge")       # Binaryen's wasm-merge from npm, run with node

    .venv/bin/python benchmarks/realworld.py     # fetch (if needed) and list them

Each package is fetched with `npm pack <package>` (the registry's tarball, no install
scripts run) into ~/.cache/wasmmerge-bench/npm (override with WASMMERGE_BENCH_CACHE),
and its .wasm file is extracted next to it. These are benchmark inputs only: they live
outside the repository and are never committed. When npm or the network is missing,
`realworld_modules` raises `RealWorldUnavailable` with a message saying what to do, so a
benchmark can print it and skip.

`npm_tool("wasm-merge")` is the anchor the merge benchmark compares against: npm's
`binaryen` package ships each Binaryen tool as one JavaScript file with the tool compiled
to WebAssembly inside (Emscripten; it runs on node, single-threaded), fetched and cached
the same way. Debian's binaryen 108 has no wasm-merge.
"""

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# name -> (npm package, path of the .wasm inside the tarball)
PACKAGES = {
    "swc": ("@swc/wasm", "package/wasm_bg.wasm"),
    "esbuild": ("esbuild-wasm", "package/esbuild.wasm"),
    "sqljs": ("sql.js", "package/dist/sql-wasm.wasm"),
}

# name -> (npm package@version, directory of the tool inside the tarball). Pinned, so the
# anchor's numbers stay comparable between runs.
TOOLS = {
    "wasm-merge": ("binaryen@132.0.0", "package/bin"),
}


class RealWorldUnavailable(Exception):
    """The modules are not cached and cannot be fetched (no npm, no network)."""


def cache_dir() -> Path:
    base = os.environ.get("WASMMERGE_BENCH_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "wasmmerge-bench"
    return root / "npm"


def _npm_pack(package: str, into: Path) -> Path:
    """Download the package's tarball into `into`; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise RealWorldUnavailable("npm is not installed (apt-get install npm, or install node 20)")
    result = subprocess.run([npm, "pack", package, "--silent", "--pack-destination", str(into)],
                            cwd=into, capture_output=True, text=True)
    if result.returncode != 0:
        raise RealWorldUnavailable(f"npm pack {package} failed: {result.stderr.strip()[-400:]}")
    # `npm pack --silent` prints the tarball's file name as its last line.
    name = result.stdout.strip().splitlines()[-1]
    return into / name


def _extract(tarball: Path, member: str, target: Path) -> None:
    with tarfile.open(tarball, "r:gz") as tar:
        source = tar.extractfile(member)
        if source is None:
            raise RealWorldUnavailable(f"{tarball.name} has no file {member}")
        partial = target.with_suffix(".partial")
        with open(partial, "wb") as out:
            shutil.copyfileobj(source, out)
        partial.replace(target)  # atomic: a half-written file is never taken as cached


def realworld_module(name: str) -> Path:
    """Path of one cached module (`swc`, `esbuild` or `sqljs`), fetching it if needed."""
    package, member = PACKAGES[name]
    directory = cache_dir()
    target = directory / f"{name}.wasm"
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    tarball = _npm_pack(package, directory)
    _extract(tarball, member, target)
    return target


def npm_tool(name: str) -> Path:
    """Path of a cached tool script from npm (run it with `node`), fetching it if needed."""
    package, folder = TOOLS[name]
    directory = cache_dir() / package.replace("@", "-").lstrip("-")
    target = directory / name
    if target.exists():
        return target
    if shutil.which("node") is None:
        raise RealWorldUnavailable("node is not installed (install node 20)")
    directory.mkdir(parents=True, exist_ok=True)
    tarball = _npm_pack(package, cache_dir())
    # The package.json beside the tools says they are CommonJS scripts.
    _extract(tarball, f"{folder}/package.json", directory / "package.json")
    _extract(tarball, f"{folder}/{name}", target)
    return target


def realworld_modules(names=tuple(PACKAGES)) -> dict:
    return {name: realworld_module(name) for name in names}


def main():
    try:
        for name, path in realworld_modules().items():
            print(f"{name:8} {path.stat().st_size / 1e6:6.1f} MB  {path}")
        for name in TOOLS:
            print(f"{name:10} {npm_tool(name)}  (node)")
    except RealWorldUnavailable as err:
        print(f"real-world modules unavailable: {err}")
        sys.exit(1)


if __name__ == "__main__":
    main()
