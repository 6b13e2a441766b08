"""The embedding interface (the spec's appendix), in Pythonic form.

    store = Store()
    module = load_module(data)                       # decode + validate
    imports_of(module), exports_of(module)           # [(module, name, extern type)], [(name, extern type)]
    inst = instantiate(store, module, [externs...])  # or Linker().instantiate(store, module)
    invoke(store, inst.exports["f"], [1, 2])         # run-time values in, run-time values out
    host_func(store, FuncType((I32,), (I32,)), lambda x: x + 1)

Tables, memories and globals are the store's instance objects: `table.get/set/grow/size`,
`memory.read/write/grow/pages`, `global_.value`. Values follow `values.py`.
"""

from .. import decode
from ..binary.types import (FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, TAG_KIND, FuncType,
                            GlobalType)
from ..errors import LinkError
from ..features import ALL
from ..validator import validate_module
from .engines import invoke
from .instance import ModuleInstance, instantiate
from .store import FuncInstance, GlobalInstance, Store


def load_module(data: bytes, name: str | None = None, features=None):
    """Decode and validate a binary module."""
    module = decode(data, name=name, features=features)
    try:
        validate_module(module, ALL if features is None else features)
    except Exception as err:
        if hasattr(err, "with_file") and name:
            err.with_file(name)
        raise
    return module


def extern_type(module, kind: int, index_or_type):
    if kind == FUNC_KIND:
        return module.types[index_or_type].comp
    return index_or_type


def imports_of(module) -> list:
    """(module name, field, extern type) of each import, in order."""
    return [(imp.module, imp.name, extern_type(module, imp.kind, imp.type)) for imp in module.imports]


def exports_of(module) -> list:
    """(name, extern type) of each export, in order."""
    types = {FUNC_KIND: [module.types[i].comp for i in module.func_type_indices()],
             TABLE_KIND: module.table_types(), MEMORY_KIND: module.memory_types(),
             GLOBAL_KIND: module.global_types(), TAG_KIND: module.tag_types()}
    return [(e.name, types[e.kind][e.index]) for e in module.exports]


def host_func(store: Store, type: FuncType, fn, name: str | None = None) -> FuncInstance:
    """A host function: `fn(*args)` returns None, one value, or a sequence of values."""
    return store.alloc_host_func(type, fn, name)


def host_global(store: Store, type: GlobalType, value) -> GlobalInstance:
    return store.alloc_global(type, value)


def global_set(glob: GlobalInstance, value):
    if not glob.type.mutable:
        raise LinkError("global is immutable")
    glob.value = value


__all__ = ["Store", "ModuleInstance", "load_module", "imports_of", "exports_of", "instantiate",
           "invoke", "host_func", "host_global", "global_set"]
