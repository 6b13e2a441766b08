"""Differential harness: a merged module must behave like its inputs instantiated in order.

A scenario (fixtures/merge/<name>/scenario.json plus one <module>.wat per input) is pure
data, so any engine can run it. A runner turns a scenario into a *transcript*: one entry
for the instantiation and one per step, each with its outcome and the host calls made
meanwhile. The "linked" run instantiates the inputs one after another, each registered
under its name; the "merged" run instantiates the merger's output alone. Both get the
same logging host stubs, and the two transcripts must be equal (and equal to the one
pinned in the scenario file, so that a wrong fixture or engine is caught too).

Transcript entry: {"do": <what>, "outcome": <outcome>, "log": [[<"mod.name">, [args...]], ...]}
Outcomes: "ok", "unlinkable", {"trap": <class>}, {"result": [values]}, {"value": v},
{"hex": <bytes as hex>}, "missing" (a step whose instance does not exist).
"""

import json
import math
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime

from conftest import FIXTURES, wasm_validate

SCENARIO_DIR = FIXTURES / "merge"

# Trap classes are the spec's messages, merged where engines legitimately differ in
# wording (an index past a table's end during call_indirect is "undefined element" in the
# reference interpreter and a table bounds trap in wasmtime; both are the same class).
TRAP_CLASSES = {
    wasmtime.TrapCode.UNREACHABLE: "unreachable",
    wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO: "integer divide by zero",
    wasmtime.TrapCode.INTEGER_OVERFLOW: "integer overflow",
    wasmtime.TrapCode.BAD_CONVERSION_TO_INTEGER: "invalid conversion to integer",
    wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS: "out of bounds memory access",
    wasmtime.TrapCode.HEAP_MISALIGNED: "out of bounds memory access",
    wasmtime.TrapCode.TABLE_OUT_OF_BOUNDS: "out of bounds table access",
    wasmtime.TrapCode.INDIRECT_CALL_TO_NULL: "uninitialized element",
    wasmtime.TrapCode.BAD_SIGNATURE: "indirect call type mismatch",
    wasmtime.TrapCode.STACK_OVERFLOW: "call stack exhausted",
    wasmtime.TrapCode.NULL_REFERENCE: "null reference",
    wasmtime.TrapCode.CAST_FAILURE: "cast failure",
    wasmtime.TrapCode.ARRAY_OUT_OF_BOUNDS: "out of bounds array access",
}
SPEC_MESSAGE_CLASSES = {"undefined element": "out of bounds table access",
                        "out of bounds data segment": "out of bounds memory access"}

# wasm-validate (wabt 1.0.32) needs these flags; everything else a scenario may use is on
# by default there. wasmtime gets the same features switched on in its Config.
VALIDATE_FLAGS = {"multi-memory": "--enable-multi-memory", "tail-call": "--enable-tail-call",
                  "extended-const": "--enable-extended-const", "memory64": "--enable-memory64",
                  "function-references": "--enable-function-references"}
WASMTIME_FEATURES = {"multi-memory": "wasm_multi_memory", "tail-call": "wasm_tail_call",
                     "memory64": "wasm_memory64", "exceptions": "wasm_exceptions", "gc": "wasm_gc",
                     "function-references": "wasm_function_references"}


# wabt 1.0.32 predates these proposals' final form: scenarios using them are written for
# wasmtime's own assembler ("assembler": "wasmtime") and their output is checked by our
# validator and by wasmtime's, not by wasm-validate.
WABT_UNSUPPORTED = {"exceptions", "gc", "function-references"}
UNCAUGHT_EXCEPTION = "uncaught exception"


def trap_class(message: str) -> str:
    """The class of a spec trap message (for engines that report messages, not codes)."""
    return SPEC_MESSAGE_CLASSES.get(message, message)


class ScenarioError(Exception):
    """The scenario file itself is inconsistent (not a merger or engine failure)."""


@dataclass
class MergeVariant:
    """One way of merging the scenario's inputs and what must come of it."""

    options: dict
    error: list[str] | None = None      # LinkError expected; substrings of its message
    names: dict = field(default_factory=dict)  # "mod.export" -> merged export name or None
    imports: list | None = None          # exact [module, name] imports of the output
    exports: list | None = None          # exact export names of the output
    warnings: list[str] = field(default_factory=list)  # substrings each found in a warning
    note: str = ""
    # A known merger shortcoming: the test runs, is expected to fail, and says why.
    known_failure: str | None = None

    def merged_name(self, key: str) -> str | None:
        if key in self.names:
            return self.names[key]
        return key.split(".", 1)[1]


@dataclass
class Scenario:
    name: str
    description: str
    modules: list[str]
    wasm: dict[str, bytes]
    features: list[str]
    host: dict            # "mod.name" -> {"memory"|"global"|"table": spec}
    host_returns: dict    # "mod.name" -> list of results the stub returns
    linked: str           # "ok", or "unlinkable" when the inputs cannot be instantiated apart
    expected: list[dict]  # the pinned transcript
    steps: list[dict]
    merges: list[MergeVariant]

    def validate_flags(self) -> list[str] | None:
        """wasm-validate's flags, or None when wabt cannot read what the scenario uses."""
        if WABT_UNSUPPORTED & set(self.features):
            return None
        return [VALIDATE_FLAGS[f] for f in self.features if f in VALIDATE_FLAGS]


def scenario_names() -> list[str]:
    return sorted(p.parent.name for p in SCENARIO_DIR.glob("*/scenario.json"))


def load_scenario_spec(name: str) -> dict:
    """The raw scenario.json (cheap: nothing is assembled)."""
    return json.loads((SCENARIO_DIR / name / "scenario.json").read_text())


def load_scenario(name: str) -> Scenario:
    directory = SCENARIO_DIR / name
    spec = load_scenario_spec(name)
    modules = spec["modules"]
    if any("." in m for m in modules):
        raise ScenarioError(f"{name}: module names may not contain '.'")
    flags = [VALIDATE_FLAGS[f] for f in spec.get("features", []) if f in VALIDATE_FLAGS]
    assembler = spec.get("assembler", "wabt")
    if assembler not in ("wabt", "wasmtime"):
        raise ScenarioError(f"{name}: unknown assembler {assembler}")
    wasm = {}
    for m in modules:
        text = (directory / f"{m}.wat").read_text()
        wasm[m] = assemble(text, flags, f"{name}/{m}.wat") if assembler == "wabt" else bytes(wasmtime.wat2wasm(text))
    steps = spec.get("steps", [])
    inst = spec.get("instantiate", {})
    expected = [{"do": "instantiate", "outcome": inst.get("outcome", "ok"), "log": inst.get("log", [])}]
    expected += [{"do": step_label(s), "outcome": expected_outcome(name, s), "log": s.get("log", [])}
                 for s in steps]
    merges = [MergeVariant(**m) for m in spec.get("merges", [{"options": {}}])]
    return Scenario(name, spec.get("description", ""), modules, wasm, spec.get("features", []),
                    spec.get("host", {}), spec.get("host_returns", {}), spec.get("linked", "ok"),
                    normalise(expected), steps, merges)


def assemble(text: str, flags: list[str], what: str = "module") -> bytes:
    """WAT to binary with only the features asked for.

    Not conftest's wat2wasm: that one always enables everything, and with
    function-references on, wabt 1.0.32 types `ref.func` as a non-null typed reference it
    then refuses to store in a funcref table.
    """
    exe = shutil.which("wat2wasm")
    if exe is None:
        raise AssertionError("wat2wasm not found: run `make test`, which installs wabt")
    proc = subprocess.run([exe, *flags, "-", "--output=-"], input=text.encode(), capture_output=True)
    if proc.returncode != 0:
        raise AssertionError(f"wat2wasm failed on {what}:\n{proc.stderr.decode()}")
    return proc.stdout


def step_label(step: dict) -> str:
    for kind in ("invoke", "global", "memory"):
        if kind in step:
            return f"{kind} {step[kind]}{tuple(step.get('args', ()))if kind == 'invoke' else ''}"
    raise ScenarioError(f"unknown step {step}")


def expected_outcome(name: str, step: dict):
    if "trap" in step:
        return {"trap": trap_class(step["trap"])}
    if "invoke" in step:
        return {"result": step.get("result", [])}
    if "global" in step:
        return {"value": step["value"]}
    if "text" in step:
        return {"hex": step["text"].encode("latin-1").hex()}
    if "hex" in step:
        return {"hex": step["hex"].replace(" ", "").lower()}
    raise ScenarioError(f"{name}: step {step} pins no outcome")


def normalise(value):
    """JSON-shaped, with tuples as lists, so pinned and observed transcripts compare equal."""
    return json.loads(json.dumps(value))


def step_length(step: dict) -> int:
    if "length" in step:
        return step["length"]
    if "text" in step:
        return len(step["text"].encode("latin-1"))
    return len(step["hex"].replace(" ", "")) // 2


# --- the wasmtime runner -------------------------------------------------------------------

def observed_value(value):
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value
    if value is None or isinstance(value, int):
        return value
    return "ref"


class WasmtimeSession:
    """One store, one linker, the host objects and the host-call log of a single run."""

    def __init__(self, scenario: Scenario):
        config = wasmtime.Config()
        for feature in scenario.features:
            if feature in WASMTIME_FEATURES:
                setattr(config, WASMTIME_FEATURES[feature], True)
        self.scenario = scenario
        self.engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(self.engine)
        self.linker = wasmtime.Linker(self.engine)
        self.log: list = []
        self.host_objects: dict = {}
        self.instances: dict = {}
        self.defined: set[str] = set()
        for key, spec in scenario.host.items():
            self.host_objects[key] = self.make_host_object(key, spec)

    def make_host_object(self, key, spec):
        store = self.store
        if "memory" in spec:
            limits = wasmtime.Limits(spec["memory"]["min"], spec["memory"].get("max"))
            return wasmtime.Memory(store, wasmtime.MemoryType(limits))
        if "global" in spec:
            g = spec["global"]
            valtype = getattr(wasmtime.ValType, g["type"])()
            gtype = wasmtime.GlobalType(valtype, g.get("mutable", False))
            return wasmtime.Global(store, gtype, typed_val(g["type"], g["value"]))
        if "table" in spec:
            t = spec["table"]
            ttype = wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(t["min"], t.get("max")))
            return wasmtime.Table(store, ttype, None)
        raise ScenarioError(f"{self.scenario.name}: host object {key} has no memory/global/table")

    def compile(self, data: bytes, what: str) -> wasmtime.Module:
        try:
            return wasmtime.Module(self.engine, data)
        except wasmtime.WasmtimeError as err:
            raise AssertionError(f"wasmtime rejects {what}: {err}") from None

    def provide_host_imports(self, module: wasmtime.Module, internal: set[str]) -> None:
        """Define, once per key, whatever `module` imports from outside the inputs."""
        for imp in module.imports:
            key = f"{imp.module}.{imp.name}"
            if imp.module in internal or key in self.host_objects:
                continue
            if not isinstance(imp.type, wasmtime.FuncType):
                raise ScenarioError(f"{self.scenario.name}: host import {key} is not declared in 'host'")
            self.host_objects[key] = self.make_stub(key, imp.type)
        for key, item in self.host_objects.items():
            if key not in self.defined:
                mod, name = key.split(".", 1)
                self.linker.define(self.store, mod, name, item)
                self.defined.add(key)

    def make_stub(self, key: str, ftype: wasmtime.FuncType) -> wasmtime.Func:
        returns = self.scenario.host_returns.get(key) or [0 for _ in ftype.results]

        def stub(*args):
            self.log.append([key, [observed_value(a) for a in args]])
            if len(returns) == 1:
                return returns[0]
            return returns or None
        return wasmtime.Func(self.store, ftype, stub)

    def instantiate(self, name: str, module: wasmtime.Module):
        """The instance, or the instantiation's outcome when it fails."""
        try:
            return self.linker.instantiate(self.store, module)
        except wasmtime.Trap as trap:
            return {"trap": classify(trap)}
        except wasmtime.WasmtimeError as err:
            self.link_error = f"{name}: {err}"
            return "unlinkable"

    def entry(self, what: str, outcome) -> dict:
        logged, self.log = self.log, []
        return {"do": what, "outcome": outcome, "log": logged}

    def lookup(self, key: str, merged_name):
        """The extern a step names: a host object, or an export of a live instance."""
        if key in self.host_objects:
            return self.host_objects[key]
        mod, name = key.split(".", 1)
        instance = self.instances.get(mod)
        if instance is None:
            return None
        return instance.exports(self.store).get(merged_name if merged_name else name)

    def run_step(self, step: dict, resolve) -> object:
        for kind in ("invoke", "global", "memory"):
            if kind in step:
                item = resolve(step[kind])
                break
        if item is None:
            return "missing"
        if kind == "invoke":
            try:
                results = item(self.store, *step.get("args", []))
            except wasmtime.Trap as trap:
                return {"trap": classify(trap)}
            if results is None:
                results = []
            elif not isinstance(results, list):
                results = [results]
            return {"result": [observed_value(r) for r in results]}
        if kind == "global":
            return {"value": observed_value(item.value(self.store))}
        offset = step.get("offset", 0)
        try:
            data = item.read(self.store, offset, offset + step_length(step))
        except Exception as err:  # reading past the end is a scenario mistake, shown as such
            return {"error": f"read failed: {err}"}
        return {"hex": bytes(data).hex()}


def classify(trap: wasmtime.Trap) -> str:
    if trap.trap_code is None and "thrown Wasm exception" in str(trap):
        return UNCAUGHT_EXCEPTION
    return TRAP_CLASSES.get(trap.trap_code, f"{trap.trap_code}: {trap.message}")


def typed_val(type_name: str, value):
    return getattr(wasmtime.Val, type_name)(value)


def run_linked(scenario: Scenario) -> list[dict]:
    """Instantiate the inputs in order, each under its name, then run the steps."""
    session = WasmtimeSession(scenario)
    internal = set(scenario.modules)
    outcome = "ok"
    for name in scenario.modules:
        module = session.compile(scenario.wasm[name], f"input {name}")
        session.provide_host_imports(module, internal)
        result = session.instantiate(name, module)
        if not isinstance(result, wasmtime.Instance):
            outcome = result
            # Instances that did come up are not usable as a whole program either: the
            # merged module has no instance at all after a failure, so neither do we.
            session.instances.clear()
            break
        session.instances[name] = result
        session.linker.define_instance(session.store, name, result)
    transcript = [session.entry("instantiate", outcome)]
    for step in scenario.steps:
        transcript.append(session.entry(step_label(step), session.run_step(step, lambda k: session.lookup(k, None))))
    return normalise(transcript)


def run_merged(scenario: Scenario, data: bytes, variant: MergeVariant) -> list[dict]:
    """Instantiate the merged module alone, with the same host stubs, then run the steps."""
    session = WasmtimeSession(scenario)
    module = session.compile(data, "the merged module")
    leaked = [f"{i.module}.{i.name}" for i in module.imports if i.module in scenario.modules]
    assert not leaked, f"merged module still imports from merged inputs: {leaked}"
    session.provide_host_imports(module, set())
    result = session.instantiate("merged", module)
    outcome = "ok"
    if isinstance(result, wasmtime.Instance):
        for name in scenario.modules:
            session.instances[name] = result
    else:
        outcome = result
    transcript = [session.entry("instantiate", outcome)]
    for step in scenario.steps:
        key = step.get("invoke") or step.get("global") or step.get("memory")
        if key not in session.host_objects and variant.merged_name(key) is None:
            continue
        outcome = session.run_step(step, lambda k: session.lookup(k, variant.merged_name(k)))
        transcript.append(session.entry(step_label(step), outcome))
    return normalise(transcript)


def without_dropped(transcript: list[dict], scenario: Scenario, variant: MergeVariant) -> list[dict]:
    """The linked transcript minus the steps whose export the variant drops (skip policy)."""
    kept = [transcript[0]]
    for entry, step in zip(transcript[1:], scenario.steps):
        key = step.get("invoke") or step.get("global") or step.get("memory")
        if key in scenario.host or variant.merged_name(key) is not None:
            kept.append(entry)
    return kept


def describe_difference(expected: list[dict], actual: list[dict], left: str, right: str) -> str:
    """A readable account of where two transcripts part."""
    lines = []
    for i in range(max(len(expected), len(actual))):
        a = expected[i] if i < len(expected) else None
        b = actual[i] if i < len(actual) else None
        if a != b:
            lines.append(f"entry {i}:\n  {left}: {a}\n  {right}: {b}")
    return "\n".join(lines)


def assert_same(expected: list[dict], actual: list[dict], left: str, right: str) -> None:
    if expected != actual:
        raise AssertionError(f"{left} and {right} runs differ\n" + describe_difference(expected, actual, left, right))


# --- checks on the merged binary -----------------------------------------------------------

def validate_merged(data: bytes, flags: list[str] | None) -> None:
    """wabt's validator (unless `flags` is None), then ours once it exists."""
    if flags is not None:
        wasm_validate(data, *flags)
    try:
        from wasmmerge.validate import validate_module
    except ImportError:
        return
    import wasmmerge
    validate_module(wasmmerge.decode(data))


def module_interface(data: bytes) -> tuple[list, list]:
    """(imports as [module, name], export names) of a binary, read with wasmtime."""
    module = wasmtime.Module(wasmtime.Engine(all_features_config()), data)
    return [[i.module, i.name] for i in module.imports], [e.name for e in module.exports]


def all_features_config() -> wasmtime.Config:
    config = wasmtime.Config()
    for attr in WASMTIME_FEATURES.values():
        setattr(config, attr, True)
    return config
