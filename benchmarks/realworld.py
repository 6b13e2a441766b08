"""Real-world benchmark inputs: .wasm files from npm packages, fetched once and cached.

    from realworld import realworld_modules
    paths = realworld_modules()          # {"swc": Path, "esbuild": Path, "sqljs": Path}

    .venv/bin/python benchmarks/realworld.py     # fetch (if needed) and list them

Each package is fetched with `npm pack <package>` (the registry's tarball, no install
scripts run) into ~/.cache/wasmmerge-bench/npm (override with WASMMERGE_BENCH_CACHE),
and its .wasm file is extracted next to it. These are benchmark inputs only: they live
outside the repository and are never committed. When npm or the network is missing,
`realworld_modules` raises `RealWorldUnavailable` with a message saying what to do, so a
benchmark can print it and skip.
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


def realworld_modules(names=tuple(PACKAGES)) -> dict:
    return {name: realworld_module(name) for name in names}


def main():
    try:
        for name, path in realworld_modules().items():
            print(f"{name:8} {path.stat().st_size / 1e6:6.1f} MB  {path}")
    except RealWorldUnavailable as err:
        print(f"real-world modules unavailable: {err}")
        sys.exit(1)


if __name__ == "__main__":
    main()
