"""The WASI host: per-program state, and its functions bound to each instance's memory.

    state = WasiState(config)                  # fd table, argv, environ
    wasi_instantiate(linker, store, module, state, name=None)

A program's instances share one `WasiState` (one fd table, one stdout), but each
instance gets its own set of host functions bound to *its* memory (the exported
`memory`, else its memory 0), because a WASI pointer means an address in the caller's
memory. The dispatcher is where guest faults become errnos: a pointer outside memory
is FAULT, a host `OSError` its errno, an unexpected value INVAL; only `ProcExit` leaves.
"""

import os
import struct

from ...binary.types import FUNC_KIND, KIND_NAMES
from ...errors import LinkError
from ..instance import instantiate
from ..store import MemoryInstance
from . import abi
from .abi import GuestFault
from .config import WasiConfig
from .errno import FAULT, INVAL, WasiError, from_os_error
from .fdtable import Descriptor, FdTable
from .streams import InputStream, OutputStream
from .table import FUNCTIONS, func_type
from .world import DeterministicWorld, RealWorld

MODULE = "wasi_snapshot_preview1"


class WasiState:
    """What every instance of one program shares: arguments, environment, descriptors."""

    def __init__(self, config: WasiConfig):
        self.config = config
        self.world = DeterministicWorld(config.seed) if config.deterministic else RealWorld()
        self.argv = [os.fsencode(arg) for arg in config.argv]
        self.environ = [os.fsencode(f"{k}={v}") for k, v in config.env.items()]
        self.fds = FdTable()
        for stream in (InputStream(config.stdin), OutputStream(config.stdout),
                       OutputStream(config.stderr)):
            self.fds.add(Descriptor(abi.FILETYPE_CHARACTER_DEVICE, abi.RIGHTS_STREAM, 0,
                                    stream=stream))
        for preopen in config.preopen_list():
            try:
                host_fd = os.open(preopen.host, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as err:
                self.close()
                raise WasiSetupError(f"--dir {preopen.host}: {err.strerror}") from None
            self.fds.add(Descriptor(abi.FILETYPE_DIRECTORY, abi.RIGHTS_DIRECTORY,
                                    abi.RIGHTS_DIRECTORY | abi.RIGHTS_FILE, host_fd=host_fd,
                                    preopen_name=preopen.guest_name))

    def close(self):
        self.fds.close_all()


class WasiSetupError(Exception):
    """A preopen that cannot be opened (reported by the caller as a user error)."""


class MemoryBinding:
    """The calling instance's memory; empty (every access faults) until bound."""

    EMPTY = bytearray()

    def __init__(self):
        self.memory = None

    def bind(self, instance):
        memory = instance.exports.get("memory")
        if not isinstance(memory, MemoryInstance):
            memory = instance.memories[0] if instance.memories else None
        self.memory = memory

    @property
    def data(self) -> bytearray:
        return self.memory.data if self.memory is not None else self.EMPTY


def dispatcher(handler, state: WasiState, binding: MemoryBinding):
    """The host function for one WASI import of one instance."""

    def call(*args):
        try:
            return handler(state, binding.data, *args)
        except WasiError as err:
            return err.errno
        except (GuestFault, struct.error):
            return FAULT
        except OSError as err:
            return from_os_error(err)
        except (ValueError, OverflowError, UnicodeError):
            return INVAL
    call.__name__ = handler.__name__
    return call


def wasi_externs(store, state: WasiState, module, binding: MemoryBinding) -> dict:
    """Host functions for the module's `wasi_snapshot_preview1` imports, by field name.
    An import WASI does not define is left out (the linker then reports it)."""
    externs = {}
    for imp in module.imports:
        if imp.module != MODULE or imp.kind != FUNC_KIND or imp.name not in FUNCTIONS:
            continue
        handler = FUNCTIONS[imp.name][2]
        externs[imp.name] = store.alloc_host_func(func_type(imp.name),
                                                  dispatcher(handler, state, binding),
                                                  name=f"{MODULE}.{imp.name}")
    return externs


def wasi_instantiate(linker, store, module, state: WasiState, name: str | None = None):
    """Instantiate `module` with its WASI imports bound to this instance's memory and the
    rest resolved by `linker`; with `name`, register its exports there."""
    binding = MemoryBinding()
    externs = wasi_externs(store, state, module, binding)
    resolved = []
    missing = []
    for imp in module.imports:
        extern = externs.get(imp.name) if imp.module == MODULE else None
        if extern is None:
            extern = linker.get(imp.module, imp.name)
        if extern is None:
            missing.append(imp)
        resolved.append(extern)
    if missing:
        names = ", ".join(f"{imp.module}.{imp.name} ({KIND_NAMES[imp.kind]})" for imp in missing)
        raise LinkError(f"unknown import: {names}")
    instance = instantiate(store, module, resolved, name=name)
    binding.bind(instance)
    if name is not None:
        linker.define_instance(name, instance)
    return instance
