"""The worker pool: one job run over contiguous chunks of function bodies, in forked processes.

`map_chunks(job, codes, jobs)` calls `job(start, stop)` for chunks that cover `codes` in
order and returns the results in chunk order; on one process it is a single call,
`job(0, len(codes))`. Large inputs are split over one process per core (at most 8): the
calling process and workers forked from it, all taking chunks from one shared counter.
A worker inherits the job, with everything it closes over, from the fork, so only the
chunk bounds travel to it and only its result (or its error) back. The caller working
too saves a worker's private memory (see `run_chunks`).

A job stops at its first error, a `WasmError` created complete where it happened; it
comes back pickled whole. Chunks are contiguous, so the lowest-numbered failing chunk
holds the first bad function: the error raised is the one a single process reports.
"""

import gc
import os

# Below this much code, starting worker processes costs more than it saves.
PARALLEL_MIN_CODE_BYTES = 1 << 20
MAX_WORKERS = 8

_JOB = None  # the job of the pool being run: set before the fork, inherited by workers


def worker_count(codes, jobs: int | None = None) -> int:
    """How many processes check `codes`: `jobs` if given, else one per core for large code."""
    return processes_for(sum(body_sizes(codes)), jobs)


def processes_for(size: int, jobs: int | None = None) -> int:
    """How many processes share a job over `size` bytes (the merger's and validator's
    code, the linker's objects and code section): `jobs` if given (`-j`, `--threads`),
    else one per core (at most MAX_WORKERS) from PARALLEL_MIN_CODE_BYTES on; one where
    processes cannot be forked."""
    if not hasattr(os, "fork"):
        return 1
    if jobs is not None:
        return max(1, jobs)
    if size < PARALLEL_MIN_CODE_BYTES:
        return 1
    return min(os.cpu_count() or 1, MAX_WORKERS)


def body_sizes(codes) -> list[int]:
    """The size of each body of `codes` (a list of `Code`, or a `CodeTable`, which knows
    them without making a `Code` each)."""
    sizes = getattr(codes, "body_sizes", None)
    return sizes() if sizes is not None else [len(c.body) for c in codes]


def chunks(codes, parts: int) -> list[tuple[int, int]]:
    """(start, stop) of at most `parts` contiguous ranges of `codes` of about equal code size."""
    return split_by_cost(body_sizes(codes), parts)


def split_by_cost(costs: list, parts: int) -> list[tuple[int, int]]:
    """(start, stop) of at most `parts` contiguous ranges of items of about equal total cost."""
    if parts <= 1:  # (the linker's code fill with two processes: no pass over its thousands of bodies)
        return [(0, len(costs))] if len(costs) else []
    total = sum(costs)
    bounds, start, done = [], 0, 0
    for i, cost in enumerate(costs):
        done += cost
        if done >= total * (len(bounds) + 1) / parts and len(bounds) < parts - 1:
            bounds.append((start, i + 1))
            start = i + 1
    bounds.append((start, len(costs)))
    return [b for b in bounds if b[0] < b[1]]


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
    """`job(start, stop)` for each of `bounds` on `workers` processes; the results in order.

    The calling process is one of them: it forks `workers - 1` others and takes chunks
    too, from one shared counter. Every forked worker's memory is private as soon as it
    writes to a page it shares with the parent (a reference count is a write), so each
    one costs memory; the parent's own work reuses memory it already holds.
    """
    if workers == 1:
        return [job(start, stop) for start, stop in bounds]
    # Only a large run starts workers: a small one (a build system's many tiny merges)
    # would spend a noticeable part of its time importing multiprocessing.
    # lazy: see above.
    import multiprocessing
    # lazy: as multiprocessing (a thread receives the workers' results while we work).
    import threading
    global _JOB
    _JOB = job
    context = multiprocessing.get_context("fork")
    next_chunk = context.Value("q", 0)
    outcomes: list = [None] * len(bounds)  # per chunk: (result, error)
    processes, readers = [], []
    # Objects that exist at the fork stay out of the workers' garbage collections: a
    # collection writes to every object it examines, which would copy the whole heap
    # into each worker's private memory.
    gc.freeze()
    try:
        for _ in range(workers - 1):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(next_chunk, bounds, writer), daemon=True)
            process.start()
            writer.close()
            processes.append(process)
            readers.append(reader)
        receiver = threading.Thread(target=_receive, args=(readers, outcomes))
        receiver.start()
        try:
            _take_chunks(next_chunk, bounds, outcomes.__setitem__)
        except BaseException:  # interrupted: stop the workers, whose pipes then close
            for process in processes:
                process.terminate()
            raise
        finally:
            receiver.join()
    finally:
        _JOB = None
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
        gc.unfreeze()
    for outcome in outcomes:
        if outcome is None:
            raise RuntimeError("a worker process ended before finishing its part of the job")
        if outcome[1] is not None:
            raise outcome[1]
    return [result for result, _ in outcomes]


def _take_chunks(next_chunk, bounds, done) -> None:
    """Run chunks claimed from the shared counter until none is left: `done(i, (result,
    error))` for each. An error (a WasmError, or a bug's exception) is the chunk's
    outcome; the caller raises the first in chunk order, as one process would."""
    while True:
        with next_chunk.get_lock():
            i = next_chunk.value
            next_chunk.value = i + 1
        if i >= len(bounds):
            return
        try:
            outcome = (_JOB(*bounds[i]), None)
        except Exception as err:
            outcome = (None, err)
        done(i, outcome)


def _worker(next_chunk, bounds, writer) -> None:
    """A forked worker: take chunks and send `(i, (result, error))` for each."""

    def send(i: int, outcome) -> None:
        try:
            writer.send((i, outcome))
        except Exception as err:  # an error (or result) that does not pickle
            writer.send((i, (None, RuntimeError(f"a worker's outcome could not be sent: {err!r}"))))

    with writer:
        _take_chunks(next_chunk, bounds, send)


def _receive(readers, outcomes: list) -> None:
    """In the parent: store what the workers send until each has closed its pipe."""
    # lazy: imported by run_chunks already.
    from multiprocessing.connection import wait
    open_readers = list(readers)
    while open_readers:
        for reader in wait(open_readers):
            try:
                i, outcome = reader.recv()
            except EOFError:
                open_readers.remove(reader)
                continue
            outcomes[i] = outcome


def fill_shared(size: int, ranges: list[tuple[int, int]], fill, meanwhile=None):
    """A buffer of `size` bytes filled by `fill(buffer, start, stop)` for each of `ranges`:
    the first range in this process, each other one in a forked child, all writing to
    one shared anonymous mapping (so nothing is pickled or copied back). Returns the
    mapping (bytes-like). Each range must write only its own part of the buffer.
    `meanwhile()`, if given, runs here after the first range, while the children work;
    an error it raises comes after any error of the ranges, as if it had run last.

    A child that fails (an error in its range, or killed) has its range redone here,
    after the others: its error, if any, is then raised in this process, as when one
    process does everything. Needs os.fork; callers check `hasattr(os, "fork")`.
    """
    # lazy: only a large parallel job needs a shared mapping.
    import mmap
    try:
        buffer = mmap.mmap(-1, max(size, 1))
    except OSError:  # no room for a shared mapping: one process does it all
        buffer = bytearray(size)
        ranges = [(ranges[0][0], ranges[-1][1])] if ranges else []
    children = []
    failed_to_start = []
    try:
        for start, stop in ranges[1:]:
            try:
                pid = os.fork()
            except OSError:  # no more processes: this range is done here, after the others
                pid = None
            if pid is None:
                failed_to_start.append((start, stop))
                continue
            if pid == 0:
                status = 1
                try:
                    fill(buffer, start, stop)
                    status = 0
                finally:
                    os._exit(status)
            children.append((pid, start, stop))
        if ranges:
            fill(buffer, *ranges[0])
        later_error = None
        if meanwhile is not None:
            try:
                meanwhile()
            except Exception as err:  # raised after the ranges' own errors, which come first in order
                later_error = err
        failed = failed_to_start
        for pid, start, stop in children:
            _, status = os.waitpid(pid, 0)
            if status != 0:
                failed.append((start, stop))
        children = []
        for start, stop in sorted(failed):  # in order: the first error is the one raised
            fill(buffer, start, stop)
        if later_error is not None:
            raise later_error
    finally:
        for pid, _, _ in children:  # interrupted: stop the others
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
    return buffer
