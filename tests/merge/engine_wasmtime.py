"""The scenario harness's wasmtime session: the independent engine of the differential tests."""

import ctypes

import wasmtime

from .harness import UNCAUGHT_EXCEPTION, observed_value

FEATURES = {"multi-memory": "wasm_multi_memory", "tail-call": "wasm_tail_call",
            "memory64": "wasm_memory64", "exceptions": "wasm_exceptions", "gc": "wasm_gc",
            "function-references": "wasm_function_references", "threads": "wasm_threads shared_memory"}

# wasmtime reports trap codes; these are the spec messages' classes (see harness.trap_class).
TRAP_CLASSES = {
    wasmtime.TrapCode.UNREACHABLE: "unreachable",
    wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO: "integer divide by zero",
    wasmtime.TrapCode.INTEGER_OVERFLOW: "integer overflow",
    wasmtime.TrapCode.BAD_CONVERSION_TO_INTEGER: "invalid conversion to integer",
    wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS: "out of bounds memory access",
    wasmtime.TrapCode.HEAP_MISALIGNED: "unaligned atomic",
    wasmtime.TrapCode.TABLE_OUT_OF_BOUNDS: "out of bounds table access",
    wasmtime.TrapCode.INDIRECT_CALL_TO_NULL: "uninitialized element",
    wasmtime.TrapCode.BAD_SIGNATURE: "indirect call type mismatch",
    wasmtime.TrapCode.STACK_OVERFLOW: "call stack exhausted",
    wasmtime.TrapCode.NULL_REFERENCE: "null reference",
    wasmtime.TrapCode.CAST_FAILURE: "cast failure",
    wasmtime.TrapCode.ARRAY_OUT_OF_BOUNDS: "out of bounds array access",
}


def classify(trap: wasmtime.Trap) -> str:
    if trap.trap_code is None and "thrown Wasm exception" in str(trap):
        return UNCAUGHT_EXCEPTION
    return TRAP_CLASSES.get(trap.trap_code, f"{trap.trap_code}: {trap.message}")


class WasmtimeSession:
    def __init__(self, scenario):
        config = wasmtime.Config()
        for feature in scenario.features:
            for setting in FEATURES.get(feature, "").split():
                setattr(config, setting, True)
        self.engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(self.engine)
        self.linker = wasmtime.Linker(self.engine)

    def compile(self, data: bytes, what: str) -> wasmtime.Module:
        try:
            return wasmtime.Module(self.engine, data)
        except wasmtime.WasmtimeError as err:
            raise AssertionError(f"wasmtime rejects {what}: {err}") from None

    def imports(self, module: wasmtime.Module) -> list:
        return [(i.module, i.name, i.type if isinstance(i.type, wasmtime.FuncType) else None)
                for i in module.imports]

    def make_host_object(self, key: str, spec: dict):
        if "memory" in spec:
            limits = wasmtime.Limits(spec["memory"]["min"], spec["memory"].get("max"))
            return wasmtime.Memory(self.store, wasmtime.MemoryType(limits))
        if "global" in spec:
            g = spec["global"]
            gtype = wasmtime.GlobalType(getattr(wasmtime.ValType, g["type"])(), g.get("mutable", False))
            return wasmtime.Global(self.store, gtype, getattr(wasmtime.Val, g["type"])(g["value"]))
        if "table" in spec:
            t = spec["table"]
            ttype = wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(t["min"], t.get("max")))
            return wasmtime.Table(self.store, ttype, None)
        raise ValueError(f"host object {key} has no memory/global/table")

    def make_stub(self, ftype: wasmtime.FuncType, body) -> wasmtime.Func:
        count = len(ftype.results)

        def stub(*args):
            results = body(list(args), count)
            return results[0] if count == 1 else (results or None)
        return wasmtime.Func(self.store, ftype, stub)

    def define(self, key: str, item) -> None:
        module, name = key.split(".", 1)
        self.linker.define(self.store, module, name, item)

    def instantiate(self, module: wasmtime.Module):
        """The instance, or the outcome ("unlinkable" or a trap) when it fails."""
        try:
            return self.linker.instantiate(self.store, module)
        except wasmtime.Trap as trap:
            return {"trap": classify(trap)}
        except wasmtime.WasmtimeError:
            return "unlinkable"

    def register(self, name: str, instance) -> None:
        self.linker.define_instance(self.store, name, instance)

    def export(self, instance, name: str):
        return instance.exports(self.store).get(name)

    def call(self, func, args: list):
        try:
            results = func(self.store, *args)
        except wasmtime.Trap as trap:
            return {"trap": classify(trap)}
        if results is None:
            results = []
        elif not isinstance(results, list):
            results = [results]
        return {"result": [observed_value(r) for r in results]}

    def global_value(self, glob):
        return glob.value(self.store)

    def read_memory(self, memory, offset: int, length: int):
        """The bytes, or why they could not be read (a scenario mistake, shown as such)."""
        try:
            if isinstance(memory, wasmtime.SharedMemory):
                # No read method: shared memories are reached through their raw pointer.
                if offset + length > memory.data_len():
                    raise IndexError("past the end")
                data = ctypes.cast(memory.data_ptr(), ctypes.POINTER(ctypes.c_ubyte * memory.data_len()))
                return bytes(data.contents[offset:offset + length])
            return bytes(memory.read(self.store, offset, offset + length))
        except Exception as err:
            return f"read failed: {err}"
