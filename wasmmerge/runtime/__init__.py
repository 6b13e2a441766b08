"""The reference interpreter: store, instantiation, linker, engine (see docs/runtime.md)."""

from .api import (exports_of, global_set, host_func, host_global, imports_of, load_module)
from .engine import WasmException
from .engines import invoke
from .instance import ModuleInstance, instantiate
from .linker import Linker
from .store import (FuncInstance, GlobalInstance, MemoryInstance, Store, TableInstance)
from .values import HostRef

__all__ = ["Store", "Linker", "ModuleInstance", "instantiate", "invoke", "load_module",
           "imports_of", "exports_of", "host_func", "host_global", "global_set", "HostRef",
           "FuncInstance", "GlobalInstance", "MemoryInstance", "TableInstance", "WasmException"]
