"""The Linker: externals by `(module name, field)`, for instantiating modules by name.

A swarm of separately instantiated modules is built by defining host externals and
registering each instance's exports under a name; later modules' imports resolve
against those definitions. Defining a name twice is an error unless the linker allows
shadowing (the spec scripts' `register` does, as the reference interpreter's does).
"""

from ..binary.types import FuncType, KIND_NAMES
from ..errors import LinkError
from .instance import ModuleInstance, instantiate
from .store import Store


class Linker:
    def __init__(self, allow_shadowing: bool = False):
        self.definitions: dict[tuple[str, str], object] = {}
        self.allow_shadowing = allow_shadowing

    def define(self, module: str, name: str, extern):
        key = (module, name)
        if key in self.definitions and not self.allow_shadowing:
            raise LinkError(f"duplicate definition of {module}.{name}")
        self.definitions[key] = extern

    def define_func(self, store: Store, module: str, name: str, type: FuncType, fn):
        """Define a host function: `fn(*args)` gets and returns run-time values."""
        func = store.alloc_host_func(type, fn, name=f"{module}.{name}")
        self.define(module, name, func)
        return func

    def define_instance(self, name: str, instance: ModuleInstance):
        """Register every export of `instance` under the module name `name`."""
        for field, extern in instance.exports.items():
            self.define(name, field, extern)

    def get(self, module: str, name: str):
        return self.definitions.get((module, name))

    def missing(self, module) -> list:
        return [imp for imp in module.imports if (imp.module, imp.name) not in self.definitions]

    def resolve(self, module) -> list:
        """The external for each of the module's imports, or LinkError naming all missing."""
        missing = self.missing(module)
        if missing:
            names = ", ".join(f"{imp.module}.{imp.name} ({KIND_NAMES[imp.kind]})" for imp in missing)
            raise LinkError(f"unknown import: {names}")
        return [self.definitions[(imp.module, imp.name)] for imp in module.imports]

    def instantiate(self, store: Store, module, name: str | None = None) -> ModuleInstance:
        """Instantiate with imports resolved here; with `name`, also register its exports."""
        if name is not None and not self.allow_shadowing:
            for export in module.exports:
                if (name, export.name) in self.definitions:
                    raise LinkError(f"duplicate definition of {name}.{export.name}")
        instance = instantiate(store, module, self.resolve(module), name=name)
        if name is not None:
            self.define_instance(name, instance)
        return instance
