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

import dataclasses
import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import wasmtime

from conftest import FIXTURES, wasm_validate

SCENARIO_DIR = FIXTURES / "merge"

# Trap classes are the spec's messages, merged where engines legitimately differ in
# wording (an index past a table's end during call_indirect is "undefined element" in the
# reference interpreter and a table bounds trap in wasmtime; both are the same class).
SPEC_MESSAGE_CLASSES = {"undefined element": "out of bounds table access",
                        "out of bounds data segment": "out of bounds memory access"}

# wasm-validate (wabt 1.0.32) needs these flags; everything else a scenario may use is on
# by default there. wasmtime gets the same features switched on in its Config.
VALIDATE_FLAGS = {"multi-memory": "--enable-multi-memory", "tail-call": "--enable-tail-call",
                  "extended-const": "--enable-extended-const", "memory64": "--enable-memory64",
                  "function-references": "--enable-function-references", "threads": "--enable-threads"}


# wabt 1.0.32 predates these proposals' final form: scenarios using them (or anything else
# wabt cannot assemble, such as global.get in element expressions) are written for
# wasmtime's own assembler ("assembler": "wasmtime") and their output is checked by our
# validator and by wasmtime's, not by wasm-validate.
WABT_UNSUPPORTED = {"exceptions", "gc", "function-references"}
UNCAUGHT_EXCEPTION = "uncaught exception"


def trap_class(message: str) -> str:
    """The class of a spec trap message (for engines that report messages, not codes)."""
    if message.startswith("uninitialized element"):
        return "uninitialized element"  # our interpreter appends the index
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
    # A documented divergence: the merged instantiation's outcome where the linked one is
    # not expressible in one module (a link failure only instantiation order reveals
    # becomes a trap at the same point, after the same effects).
    merged_outcome: object = None
    # Substrings of the output's text form (wasm2wat): names from the name section.
    wat_contains: list[str] = field(default_factory=list)

    def merged_name(self, key: str) -> str | None:
        """The merged module's name for input export `key`, None when it has none."""
        if key in self.names:
            return self.names[key]
        module, name = key.split(".", 1)
        export_from = self.options.get("export_from")
        return None if export_from is not None and module not in export_from else name


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
    assembler: str = "wabt"

    def validate_flags(self) -> list[str] | None:
        """wasm-validate's flags, or None when wabt cannot read what the scenario uses."""
        if WABT_UNSUPPORTED & set(self.features) or self.assembler != "wabt":
            return None
        return [VALIDATE_FLAGS[f] for f in self.features if f in VALIDATE_FLAGS]


def scenario_names() -> list[str]:
    return sorted(p.parent.name for p in SCENARIO_DIR.glob("*/scenario.json"))


def load_scenario_spec(name: str) -> dict:
    """The raw scenario.json (cheap: nothing is assembled)."""
    return json.loads((SCENARIO_DIR / name / "scenario.json").read_text())


# What a scenario file may say: a misspelt key must not silently drop an expectation.
SCENARIO_KEYS = {"description", "modules", "features", "assembler", "debug_names", "host",
                 "host_returns", "linked", "instantiate", "steps", "merges"}
STEP_KEYS = {"invoke": {"args", "result", "trap", "log"}, "global": {"value", "log"},
             "memory": {"offset", "length", "text", "hex", "log"}}


def check_keys(name: str, spec: dict) -> None:
    unknown = set(spec) - SCENARIO_KEYS
    if unknown:
        raise ScenarioError(f"{name}: unknown keys {sorted(unknown)}")
    for step in spec.get("steps", []):
        kind = step_target(step)[0]
        unknown = set(step) - STEP_KEYS[kind] - {kind}
        if unknown:
            raise ScenarioError(f"{name}: step {step} has unknown keys {sorted(unknown)}")
    if set(spec.get("instantiate", {})) - {"outcome", "log"}:
        raise ScenarioError(f"{name}: 'instantiate' takes only outcome and log")


def load_scenario(name: str) -> Scenario:
    directory = SCENARIO_DIR / name
    spec = load_scenario_spec(name)
    check_keys(name, spec)
    modules = spec["modules"]
    if any("." in m for m in modules):
        raise ScenarioError(f"{name}: module names may not contain '.'")
    flags = [VALIDATE_FLAGS[f] for f in spec.get("features", []) if f in VALIDATE_FLAGS]
    flags += ["--debug-names"] if spec.get("debug_names") else []
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
                    normalise(expected), steps, merges, assembler)


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
    kind, key = step_target(step)
    return f"{kind} {key}{tuple(step.get('args', ())) if kind == 'invoke' else ''}"


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


# --- running a scenario on an engine --------------------------------------------------------
#
# An engine session (engine_wasmtime.WasmtimeSession, engine_interp.InterpreterSession)
# holds one store and linker and offers: compile, imports (module, name, function type
# or None), make_host_object, make_stub, define, instantiate (the instance, or the
# outcome when it fails), register, export, call, global_value and read_memory. Everything
# else (host stubs, order, transcripts) is here, shared.

def observed_value(value):
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value
    if value is None or isinstance(value, int):
        return value
    return "ref"


def new_session(scenario: Scenario, engine: str):
    if engine == "wasmtime":
        from .engine_wasmtime import WasmtimeSession
        return WasmtimeSession(scenario)
    if engine == "interpreter":
        from .engine_interp import InterpreterSession
        return InterpreterSession(scenario)
    raise ValueError(f"unknown engine {engine}")


class Run:
    """One run of a scenario: the session, the host objects, the log, live instances."""

    def __init__(self, scenario: Scenario, engine: str):
        self.scenario = scenario
        self.session = new_session(scenario, engine)
        self.log: list = []
        self.host_objects = {key: self.session.make_host_object(key, spec)
                             for key, spec in scenario.host.items()}
        self.defined: set[str] = set()
        self.instances: dict = {}

    def provide_host_imports(self, module, internal: set[str]) -> None:
        """Define, once per key, whatever `module` imports from outside the inputs."""
        for mod, name, ftype in self.session.imports(module):
            key = f"{mod}.{name}"
            if mod in internal or key in self.host_objects:
                continue
            if ftype is None:
                raise ScenarioError(f"{self.scenario.name}: host import {key} is not declared in 'host'")
            returns = self.scenario.host_returns.get(key)
            self.host_objects[key] = self.session.make_stub(ftype, self.stub_body(key, returns))
        for key, item in self.host_objects.items():
            if key not in self.defined:
                self.session.define(key, item)
                self.defined.add(key)

    def stub_body(self, key: str, returns):
        """What a host stub does, given Python values: log the call, return the pinned results."""
        def body(args, result_count):
            self.log.append([key, [observed_value(a) for a in args]])
            return list(returns) if returns is not None else [0] * result_count
        return body

    def entry(self, what: str, outcome) -> dict:
        logged, self.log = self.log, []
        return {"do": what, "outcome": outcome, "log": logged}

    def lookup(self, key: str, export_name: str):
        """The extern a step names: a host object, or an export of a live instance."""
        if key in self.host_objects:
            return self.host_objects[key]
        instance = self.instances.get(key.split(".", 1)[0])
        return None if instance is None else self.session.export(instance, export_name)

    def step(self, step: dict, export_name: str):
        kind, key = step_target(step)
        item = self.lookup(key, export_name)
        if item is None:
            return "missing"
        if kind == "invoke":
            return self.session.call(item, step.get("args", []))
        if kind == "global":
            return {"value": observed_value(self.session.global_value(item))}
        data = self.session.read_memory(item, step.get("offset", 0), step_length(step))
        return {"hex": data.hex()} if isinstance(data, bytes) else {"error": data}


def step_target(step: dict) -> tuple[str, str]:
    for kind in ("invoke", "global", "memory"):
        if kind in step:
            return kind, step[kind]
    raise ScenarioError(f"unknown step {step}")


def run_linked(scenario: Scenario, engine: str = "wasmtime") -> list[dict]:
    """Instantiate the inputs in order, each under its name, then run the steps."""
    run = Run(scenario, engine)
    internal = set(scenario.modules)
    outcome = "ok"
    for name in scenario.modules:
        module = run.session.compile(scenario.wasm[name], f"input {name}")
        run.provide_host_imports(module, internal)
        result = run.session.instantiate(module)
        if isinstance(result, (str, dict)):
            outcome = result
            # Instances that did come up are not usable as a whole program either: the
            # merged module has no instance at all after a failure, so neither do we.
            run.instances.clear()
            break
        run.instances[name] = result
        run.session.register(name, result)
    transcript = [run.entry("instantiate", outcome)]
    for step in scenario.steps:
        name = step_target(step)[1].split(".", 1)[1]
        transcript.append(run.entry(step_label(step), run.step(step, name)))
    return normalise(transcript)


def run_merged(scenario: Scenario, data: bytes, variant: MergeVariant, engine: str = "wasmtime") -> list[dict]:
    """Instantiate the merged module alone, with the same host stubs, then run the steps."""
    run = Run(scenario, engine)
    module = run.session.compile(data, "the merged module")
    leaked = [f"{mod}.{name}" for mod, name, _ in run.session.imports(module) if mod in scenario.modules]
    assert not leaked, f"merged module still imports from merged inputs: {leaked}"
    run.provide_host_imports(module, set())
    result = run.session.instantiate(module)
    outcome = "ok"
    if isinstance(result, (str, dict)):
        outcome = result
    else:
        run.instances = {name: result for name in scenario.modules}
    transcript = [run.entry("instantiate", outcome)]
    for step in scenario.steps:
        key = step_target(step)[1]
        if key in run.host_objects:
            transcript.append(run.entry(step_label(step), run.step(step, None)))
        elif variant.merged_name(key) is not None:
            transcript.append(run.entry(step_label(step), run.step(step, variant.merged_name(key))))
    return normalise(transcript)


def restricted(scenario: Scenario, variant: MergeVariant) -> Scenario:
    """The scenario with only the steps the variant's merged module can run: the skip
    policy and export_from drop exports, and the linked reference must then not run
    those steps either (they may have effects later steps see)."""
    def runnable(step):
        key = step_target(step)[1]
        return key.split(".", 1)[0] not in scenario.modules or variant.merged_name(key) is not None
    keep = [i for i, step in enumerate(scenario.steps) if runnable(step)]
    expected = scenario.expected[:1] + [scenario.expected[i + 1] for i in keep] if scenario.expected else []
    return dataclasses.replace(scenario, steps=[scenario.steps[i] for i in keep], expected=expected)


def as_merged(transcript: list[dict], variant: MergeVariant) -> list[dict]:
    """The reference transcript as the merged run must give it (the variant's merged
    outcome, if it has one, in place of the instantiation's)."""
    if variant.merged_outcome is None:
        return transcript
    first = dict(transcript[0], outcome=normalise(variant.merged_outcome))
    return [first, *transcript[1:]]


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
        from wasmmerge.validator import validate_module
    except ImportError:
        return
    import wasmmerge
    validate_module(wasmmerge.decode(data))


def disassemble(data: bytes, flags: list[str]) -> str:
    """wabt's text form of a binary (names from its name section included)."""
    with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
        f.write(data)
    try:
        proc = subprocess.run(["wasm2wat", *flags, f.name], capture_output=True)
    finally:
        os.unlink(f.name)
    assert proc.returncode == 0, f"wasm2wat rejects the merged module:\n{proc.stderr.decode()}"
    return proc.stdout.decode()


def expected_interface(scenario: Scenario, options: dict) -> tuple[list | None, list | None]:
    """What the merge contract implies for the output's imports and exports, when it is
    implied: every import naming no input stays, once per (module, name); with default
    export options every input export stays under its name."""
    interfaces = {m: module_interface(scenario.wasm[m]) for m in scenario.modules}
    imports = sorted({(mod, name) for imps, _ in interfaces.values() for mod, name in imps
                      if mod not in scenario.modules})
    exports = None
    if not options.get("export_from") and options.get("export_conflicts", "error") == "error":
        exports = sorted({name for _, exps in interfaces.values() for name in exps})
    return [list(i) for i in imports], exports


def module_interface(data: bytes) -> tuple[list, list]:
    """(imports as [module, name], export names) of a binary."""
    import wasmmerge
    module = wasmmerge.decode(data)
    return [[i.module, i.name] for i in module.imports], [e.name for e in module.exports]
