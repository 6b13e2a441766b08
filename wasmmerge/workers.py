"""The worker pool: one job run over contiguous chunks of function bodies, in forked processes.

`map_chunks(job, codes, jobs)` calls `job(start, stop)` for chunks that cover `codes` in
order and returns the results in chunk order; on one process it is a single call,
`job(0, len(codes))`. Large inputs are split over one forked worker per core (at most 8):
a worker inherits the job, with everything it closes over, from the fork, so only the
chunk bounds travel to it and only its result (or its error) back.

A job stops at its first error, a `WasmError` created complete where it happened; it
comes back pickled whole. Chunks are contiguous, so the lowest-numbered failing chunk
holds the first bad function: the error raised is the one a single process reports.
"""

import gc
import os

from .errors import WasmError

# Below this much code, starting worker processes costs more than it saves.
PARALLEL_MIN_CODE_BYTES = 1 << 20
MAX_WORKERS = 8

_JOB = None  # the job of the pool being run: set before the fork, inherited by workers


def worker_count(codes, jobs: int | None = None) -> int:
    """How many processes check `codes`: `jobs` if given, else one per core for large code."""
    if jobs is not None:
        return max(1, jobs)
    if not hasattr(os, "fork") or sum(len(c.body) for c in codes) < PARALLEL_MIN_CODE_BYTES:
        return 1
    return min(os.cpu_count() or 1, MAX_WORKERS)


def chunks(codes, parts: int) -> list[tuple[int, int]]:
    """(start, stop) of at most `parts` contiguous ranges of `codes` of about equal code size."""
    total = sum(len(c.body) for c in codes)
    bounds, start, size = [], 0, 0
    for i, code in enumerate(codes):
        size += len(code.body)
        if size >= total * (len(bounds) + 1) / parts and len(bounds) < parts - 1:
            bounds.append((start, i + 1))
            start = i + 1
    bounds.append((start, len(codes)))
    return [b for b in bounds if b[0] < b[1]]


def _run_chunk(bounds):
    """In a worker: (the job's result, None), or (None, its error) to be raised in order."""
    try:
        return _JOB(*bounds), None
    except WasmError as err:
        return None, err


def map_chunks(job, codes, jobs: int | None = None) -> list:
    """`job(start, stop)` over contiguous chunks of `codes`; the results in chunk order.

    Raises the first error in function order. Two chunks per worker even out bodies of
    uneven cost.
    """
    return run_chunks(job, *plan_chunks(codes, jobs))


def plan_chunks(codes, jobs: int | None = None) -> tuple[int, list[tuple[int, int]]]:
    """(processes, chunk bounds) for `run_chunks`: one chunk on one process, else two
    per worker."""
    workers = worker_count(codes, jobs)
    if workers == 1:
        return 1, [(0, len(codes))]
    return workers, chunks(codes, workers * 2)


def run_chunks(job, workers: int, bounds: list[tuple[int, int]]) -> list:
    """`job(start, stop)` for each of `bounds` on `workers` processes; the results in order."""
    if workers == 1:
        return [job(start, stop) for start, stop in bounds]
    # Only a large run starts workers: a small one (a build system's many tiny merges)
    # would spend a noticeable part of its time importing multiprocessing.
    # lazy: see above.
    import multiprocessing
    global _JOB
    _JOB = job
    # Objects that exist at the fork stay out of the workers' garbage collections: a
    # collection writes to every object it examines, which would copy the whole heap
    # into each worker's private memory.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_run_chunk, bounds)
    finally:
        _JOB = None
        gc.unfreeze()
    for _, error in results:
        if error is not None:
            raise error
    return [result for result, _ in results]
