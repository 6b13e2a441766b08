"""Validator throughput on a generated module (default ~10 MB; `genmodule.large_module`)
and on the real-world modules when they are cached.

Run: .venv/bin/python benchmarks/bench_validate.py [MEGABYTES]

`validate_module` checks each function body straight from its bytes (no `Instr` objects;
see docs/validator.md). It is timed in one process (CPU seconds, which stay meaningful on
a shared machine) and as a user runs it, with bodies spread over one worker process per
core (wall seconds: the workers' CPU time is not this process's). The body check alone
(`check_codes`, one process) is timed beside the codec decoding every body into `Instr`
objects, which is what the check cost before it read bytes. Best of 3 each.

Then, for swc and esbuild from npm (`realworld.py`; only when already cached, this
benchmark fetches nothing): the body check alone in one process, CPU seconds, best of 3,
beside the number of instructions and bytes of code it went through.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from genmodule import large_module  # noqa: E402
from realworld import cache_dir  # noqa: E402

from wasmmerge import decode, encode  # noqa: E402
from wasmmerge.binary.code import decode_code  # noqa: E402
from wasmmerge.validator import validate_module  # noqa: E402
from wasmmerge.validator.module import check_codes  # noqa: E402


def best_of(runs, fn, clock=time.process_time):
    best = float("inf")
    for _ in range(runs):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def main():
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    data = encode(large_module(int(megabytes * 1e6)))
    module = decode(data, lazy=True)
    has_datacount = module.datacount is not None
    instructions = sum(len(decode_code(code, has_datacount)) for code in module.codes)
    ctx = validate_module(module)

    def decode_only():
        for code in module.codes:
            decode_code(code, has_datacount)

    whole = best_of(3, lambda: validate_module(module, jobs=1))
    parallel = best_of(3, lambda: validate_module(module), clock=time.perf_counter)
    checking = best_of(3, lambda: check_codes(ctx, jobs=1))
    decoding = best_of(3, decode_only)
    print(f"validate: module of {len(data) / 1e6:.1f} MB, {len(module.codes)} functions, "
          f"{instructions} instructions")
    print(f"  validate_module, one process         {whole:6.2f} CPU s  "
          f"{instructions / whole / 1e6:5.2f} M instructions/s  {len(data) / whole / 1e6:5.2f} MB/s")
    print(f"  validate_module, workers per core    {parallel:6.2f} s      "
          f"{instructions / parallel / 1e6:5.2f} M instructions/s  {len(data) / parallel / 1e6:5.2f} MB/s")
    print(f"  body check alone (check_codes)       {checking:6.2f} CPU s  "
          f"{instructions / checking / 1e6:5.2f} M instructions/s")
    print(f"  for comparison: decoding into Instr  {decoding:6.2f} CPU s  "
          f"{instructions / decoding / 1e6:5.2f} M instructions/s")
    realworld()


def realworld():
    """The body check on the cached real-world modules, one process."""
    for name in ("swc", "esbuild"):
        path = cache_dir() / f"{name}.wasm"
        if not path.exists():
            print(f"real-world {name}: not cached (benchmarks/realworld.py fetches it)")
            continue
        module = decode(path.read_bytes(), lazy=True)
        ctx = validate_module(module, jobs=1)
        code_bytes = sum(len(code.body) for code in module.codes)
        instructions = sum(len(decode_code(code, module.datacount is not None)) for code in module.codes)

        def check():
            ctx.call_signatures.clear()  # as a fresh context starts
            check_codes(ctx, jobs=1)

        checking = best_of(3, check)
        print(f"real-world {name} ({path.stat().st_size / 1e6:.1f} MB, {len(module.codes)} bodies, "
              f"{code_bytes / 1e6:.1f} MB of code, {instructions} instructions):")
        print(f"  body check alone (check_codes)       {checking:6.2f} CPU s  "
              f"{instructions / checking / 1e6:5.2f} M instructions/s  {code_bytes / checking / 1e6:5.2f} MB/s of code")


if __name__ == "__main__":
    main()
