"""The scenario harness's session on our own interpreter (wasmmerge.runtime).

Values cross the boundary as Python values (signed ints, floats), like wasmtime's, so the
transcripts of both engines compare directly.
"""

from wasmmerge.binary.types import F32, F64, FUNC, I32, I64, FuncType, GlobalType, Limits, MemType, RefType, TableType
from wasmmerge.errors import LinkError, Trap, Unsupported, WasmError
from wasmmerge.runtime import Linker, Store, host_func, imports_of, invoke, load_module
from wasmmerge.runtime.values import from_python, to_python

from .harness import observed_value, trap_class

VALUE_TYPES = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}


class InterpreterSession:
    def __init__(self, scenario):
        self.store = Store()
        self.linker = Linker()

    def compile(self, data: bytes, what: str):
        return load_module(data, name=what)

    def imports(self, module) -> list:
        return [(mod, name, t if isinstance(t, FuncType) else None) for mod, name, t in imports_of(module)]

    def make_host_object(self, key: str, spec: dict):
        if "memory" in spec:
            limits = Limits(spec["memory"]["min"], spec["memory"].get("max"))
            return self.store.alloc_memory(MemType(limits))
        if "global" in spec:
            g = spec["global"]
            valtype = VALUE_TYPES[g["type"]]
            return self.store.alloc_global(GlobalType(valtype, g.get("mutable", False)),
                                           from_python(valtype, g["value"]))
        if "table" in spec:
            t = spec["table"]
            return self.store.alloc_table(TableType(RefType(True, FUNC), Limits(t["min"], t.get("max"))))
        raise ValueError(f"host object {key} has no memory/global/table")

    def make_stub(self, ftype: FuncType, body):
        def stub(*args):
            values = [to_python(t, a) for t, a in zip(ftype.params, args)]
            results = [from_python(t, r) for t, r in zip(ftype.results, body(values, len(ftype.results)))]
            return results[0] if len(results) == 1 else (results or None)
        return host_func(self.store, ftype, stub)

    def define(self, key: str, item) -> None:
        module, name = key.split(".", 1)
        self.linker.define(module, name, item)

    def instantiate(self, module):
        """The instance, or the outcome ("unlinkable" or a trap) when it fails."""
        try:
            return self.linker.instantiate(self.store, module)
        except LinkError:
            return "unlinkable"
        except Unsupported:
            raise
        except WasmError as err:  # traps, exhaustion, uncaught exceptions
            return {"trap": trap_class(err.message)}

    def register(self, name: str, instance) -> None:
        self.linker.define_instance(name, instance)

    def export(self, instance, name: str):
        return instance.exports.get(name)

    def call(self, func, args: list):
        params = [from_python(t, a) for t, a in zip(func.type.params, args)]
        try:
            results = invoke(self.store, func, params)
        except Unsupported:
            raise
        except WasmError as err:  # traps, exhaustion, uncaught exceptions
            return {"trap": trap_class(err.message)}
        return {"result": [observed_value(to_python(t, r)) for t, r in zip(func.type.results, results)]}

    def global_value(self, glob):
        return to_python(glob.type.type, glob.value)

    def read_memory(self, memory, offset: int, length: int):
        try:
            return memory.read(offset, length)
        except Trap as err:
            return f"read failed: {err}"
