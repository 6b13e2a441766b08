"""`WasiConfig`: what a WASI program sees - arguments, environment, preopens, standard streams.

    config = WasiConfig(argv=["prog", "x"], env={"K": "V"}, preopens=[Preopen("/tmp/d", "/data")],
                        stdin=b"input", stdout=bytearray())

Standard streams are binary file objects (`sys.stdout.buffer`, an open file) or byte
buffers: `stdin` as `bytes`, `stdout`/`stderr` as a `bytearray` that output is appended
to. The default is no input, and output collected in fresh `bytearray`s; nothing is
preopened unless asked.
"""

import os
from dataclasses import dataclass, field


@dataclass
class Preopen:
    """A host directory the guest may use, under the name `guest` (e.g. "." or "/data")."""

    host: str
    guest: str | None = None  # defaults to the host path as given

    @classmethod
    def parse(cls, text: str) -> "Preopen":
        """`HOST[::GUEST]`, the `--dir` syntax (wasmtime's)."""
        host, sep, guest = text.partition("::")
        return cls(host, guest if sep else None)

    @property
    def guest_name(self) -> str:
        return self.guest if self.guest is not None else self.host


@dataclass
class WasiConfig:
    argv: list = field(default_factory=list)        # argv[0] is the program name
    env: dict = field(default_factory=dict)
    preopens: list = field(default_factory=list)    # Preopen objects (or "HOST[::GUEST]" strings)
    stdin: object = b""
    stdout: object = field(default_factory=bytearray)
    stderr: object = field(default_factory=bytearray)
    # Clocks, random bytes and file identities that repeat from run to run (world.py);
    # `seed` seeds the random bytes.
    deterministic: bool = False
    seed: int = 0

    def inherit_env(self):
        """Add the host's environment (explicit `env` entries win)."""
        self.env = {**os.environ, **self.env}
        return self

    def preopen_list(self) -> list:
        return [p if isinstance(p, Preopen) else Preopen.parse(p) for p in self.preopens]
