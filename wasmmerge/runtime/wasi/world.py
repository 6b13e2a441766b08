"""Where a WASI program meets nondeterminism: clocks, sleeping, random bytes, and the
identities and times of files. `RealWorld` is the host's; `DeterministicWorld` makes two
runs of the same program observe the same values (the equivalence check runs the linked
inputs and the merged module in it, so a program reading the clock or stat-ing a file
it just wrote behaves the same both times).
"""

import os
import random
import time

from . import abi
from .errno import INVAL, WasiError

CLOCKS = {abi.CLOCK_REALTIME: (time.time_ns, time.CLOCK_REALTIME),
          abi.CLOCK_MONOTONIC: (time.monotonic_ns, time.CLOCK_MONOTONIC),
          abi.CLOCK_PROCESS_CPUTIME: (time.process_time_ns, time.CLOCK_PROCESS_CPUTIME_ID),
          abi.CLOCK_THREAD_CPUTIME: (time.thread_time_ns, time.CLOCK_THREAD_CPUTIME_ID)}


class RealWorld:
    def now(self, clock_id: int) -> int:
        clock = CLOCKS.get(clock_id)
        if clock is None:
            raise WasiError(INVAL)
        return clock[0]()

    def resolution(self, clock_id: int) -> int:
        clock = CLOCKS.get(clock_id)
        if clock is None:
            raise WasiError(INVAL)
        return max(1, int(time.clock_getres(clock[1]) * 1e9))

    def sleep(self, nanoseconds: int):
        if nanoseconds > 0:
            time.sleep(nanoseconds / 1e9)

    def random_bytes(self, count: int) -> bytes:
        return os.urandom(count)

    def inode(self, st_dev: int, st_ino: int) -> tuple:
        return st_dev, st_ino

    def file_times(self, st) -> tuple:
        return st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns


class DeterministicWorld(RealWorld):
    """Every clock starts at 2021-01-01 and advances 1 µs per reading and by every sleep;
    random bytes come from a seeded generator; inode numbers are handed out in order of
    first appearance (device 0) and every file time is the start time."""

    START = 1_609_459_200 * 10**9
    TICK = 1000

    def __init__(self, seed: int = 0):
        self.elapsed = 0
        self.generator = random.Random(seed)
        self.inodes: dict = {}

    def now(self, clock_id: int) -> int:
        if clock_id not in CLOCKS:
            raise WasiError(INVAL)
        self.elapsed += self.TICK
        return self.START + self.elapsed if clock_id == abi.CLOCK_REALTIME else self.elapsed

    def resolution(self, clock_id: int) -> int:
        if clock_id not in CLOCKS:
            raise WasiError(INVAL)
        return self.TICK

    def sleep(self, nanoseconds: int):
        self.elapsed += max(0, nanoseconds)

    def random_bytes(self, count: int) -> bytes:
        return self.generator.randbytes(count)

    def inode(self, st_dev: int, st_ino: int) -> tuple:
        return 0, self.inodes.setdefault((st_dev, st_ino), len(self.inodes) + 1)

    def file_times(self, st) -> tuple:
        return self.START, self.START, self.START
