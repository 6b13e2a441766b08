"""Property tests: random small programs of 2-4 modules importing from each other must behave
the same linked (wasmtime, one instance per module) and merged.

A program is drawn as WAT text: i32 functions built from arithmetic, calls and tail calls
to earlier modules' exports and to their own earlier functions, two-result functions of an
i64 (called across modules too), globals (own and imported mutable ones), loads, stores,
fills, growth and passive-segment inits on an own, a host or an imported memory with data
segments, call_indirect through an own, a host or an imported table filled by element
segments (sometimes holding a function of another type), blocks typed by a type index, and
start functions that call the host's `log`. Calls only go to earlier functions (table
entries are leaf functions), so every program terminates; traps are fine, they are
compared too.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import harness
from .test_scenarios import merger

BINOPS = ["add", "sub", "mul", "xor", "and", "or", "shl", "shr_u", "rotl", "div_u", "rem_s"]
ARGS = [0, 1, -1, 7, 1000, -2147483648]
FEATURES = ["multi-memory", "tail-call"]
FLAGS = [harness.VALIDATE_FLAGS[f] for f in FEATURES]
PADDING_TYPES = ["i64", "f32", "f64 f64", "i32 i64", "i32 i32 i32"]
HOST = {"env.mem": {"memory": {"min": 1}}, "env.tab": {"table": {"min": 4}}}
SETTINGS = settings(max_examples=100, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Scope:
    """What code in the module being drawn can name."""

    def __init__(self):
        self.callables: list[str] = []   # $names of (i32) -> i32 functions callable here
        self.wides: list[str] = []       # $names of (i64) -> (i64, i32) functions
        self.globals: list[str] = []     # $names of mutable i32 globals
        self.memory = False
        self.table = False
        self.has_param = True            # false in start functions, which take nothing
        self.passive = False             # a passive data segment $p exists


@st.composite
def expressions(draw, scope: Scope, depth: int = 3) -> str:
    leaves = [f"(i32.const {draw(st.integers(-5, 300))})"]
    leaves += ["(local.get 0)"] if scope.has_param else []
    leaves += [f"(global.get {g})" for g in scope.globals]
    if depth == 0:
        return draw(st.sampled_from(leaves))
    kind = draw(st.sampled_from(["leaf", "leaf", "binop", "binop", "call", "load", "indirect", "size", "grow",
                                 "block", "wide"]))
    sub = expressions(scope, depth - 1)
    if kind == "binop":
        return f"(i32.{draw(st.sampled_from(BINOPS))} {draw(sub)} {draw(sub)})"
    if kind == "wide" and scope.wides:
        # Two results come back; keep the low half of the first.
        return f"(i32.wrap_i64 (call {draw(st.sampled_from(scope.wides))} (i64.extend_i32_s {draw(sub)})) (drop))"
    if kind == "call" and scope.callables:
        return f"(call {draw(st.sampled_from(scope.callables))} {draw(sub)})"
    if kind == "load" and scope.memory:
        # Mostly in bounds; now and then an unmasked address, to compare bounds traps.
        mask = draw(st.sampled_from(["0xffff", "0xffff", "0xffff", "0xffffffff"]))
        load = draw(st.sampled_from(["i32.load8_u", "i32.load16_s", "i32.load"]))
        return f"({load} (i32.and {draw(sub)} (i32.const {mask})))"
    if kind == "indirect" and scope.table:
        return f"(call_indirect (type $i2i) {draw(sub)} (i32.and {draw(sub)} (i32.const 7)))"
    if kind == "block":
        # A block typed by a type index, taking a parameter: its index moves when merged.
        return f"{draw(sub)} (block (type $i2i) (param i32) (result i32) {draw(sub)} (i32.xor))"
    if kind == "size" and scope.memory:
        return "(memory.size)"
    if kind == "grow" and scope.memory:
        return f"(memory.grow (i32.and {draw(sub)} (i32.const 1)))"
    return draw(st.sampled_from(leaves))


@st.composite
def statements(draw, scope: Scope) -> str:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["log", "set", "store", "fill", "init", "drop"]))
        value = draw(expressions(scope, 2))
        address = f"(i32.and {draw(expressions(scope, 1))} (i32.const 0x1ff))"
        if kind == "set" and scope.globals:
            out.append(f"(global.set {draw(st.sampled_from(scope.globals))} {value})")
        elif kind == "store" and scope.memory:
            out.append(f"(i32.store8 {address} {value})")
        elif kind == "fill" and scope.memory:
            out.append(f"(memory.fill {address} {value} (i32.const {draw(st.integers(0, 9))}))")
        elif kind == "init" and scope.passive:
            out.append(f"(memory.init $p {address} (i32.const 0) (i32.const {draw(st.integers(0, 4))}))")
        elif kind == "drop" and scope.passive:
            out.append("(data.drop $p)")
        else:
            out.append(f"(call $log {value})")
    return " ".join(out)


def data_string(data: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in data)


@st.composite
def module_texts(draw, index: int, earlier: list[dict], unique_names: bool) -> dict:
    """One module's WAT text and what it exports (for the modules after it).

    Without `unique_names` every module exports the same names (f0, g, mem...).
    """
    name = f"m{index}"
    prefix = f"{name}_" if unique_names else ""
    scope = Scope()
    imports, body, exports = ['(import "env" "log" (func $log (param i32)))'], [], []
    for j, info in enumerate(earlier):
        for fname in draw(st.lists(st.sampled_from(info["funcs"]), unique=True, max_size=3)):
            local = f"$imp{j}_{fname}"
            imports.append(f'(import "{info["name"]}" "{fname}" (func {local} (type $i2i)))')
            scope.callables.append(local)
        for wname in draw(st.lists(st.sampled_from(info["wides"]), unique=True, max_size=2)) if info["wides"] else []:
            imports.append(f'(import "{info["name"]}" "{wname}" (func $imp{j}_{wname} (type $wide)))')
            scope.wides.append(f"$imp{j}_{wname}")
        if draw(st.booleans()):
            imports.append(f'(import "{info["name"]}" "{info["global"]}" (global $imp_g{j} (mut i32)))')
            scope.globals.append(f"$imp_g{j}")
    memory_from = [e for e in earlier if e["memory"]]
    memory_choice = draw(st.sampled_from(["own", "host", "import", "none"] if memory_from else ["own", "host", "none"]))
    memory = None
    if memory_choice == "host":
        imports.append('(import "env" "mem" (memory 1))')
        scope.memory = True
    elif memory_choice == "import":
        owner = draw(st.sampled_from(memory_from))
        imports.append(f'(import "{owner["name"]}" "{owner["memory"]}" (memory 1))')
        scope.memory = True
    elif memory_choice == "own":
        memory = f"{prefix}mem"
        body.append(f'(memory (export "{memory}") 1)')
        scope.memory = True
    table_from = [e for e in earlier if e["table"]]
    table_choice = draw(st.sampled_from(["own", "host", "import", "none"] if table_from else ["own", "host", "none"]))
    table = None
    if table_choice == "host":
        imports.append('(import "env" "tab" (table 4 funcref))')
        scope.table = True
    elif table_choice == "import":
        owner = draw(st.sampled_from(table_from))
        imports.append(f'(import "{owner["name"]}" "{owner["table"]}" (table 4 funcref))')
        scope.table = True
    elif table_choice == "own":
        table = f"{prefix}tab"
        body.append(f'(table (export "{table}") 4 funcref)')
        scope.table = True
    glob = f"{prefix}g"
    body.append(f'(global $g (export "{glob}") (mut i32) (i32.const {draw(st.integers(-50, 50))}))')
    scope.globals.append("$g")

    leaves = []
    for k in range(draw(st.integers(1, 2))):
        op = draw(st.sampled_from(["add", "mul", "xor", "sub"]))
        body.append(f"(func $leaf{k} (type $i2i) (i32.{op} (local.get 0) (i32.const {draw(st.integers(-9, 99))})))")
        leaves.append(f"$leaf{k}")
    if draw(st.booleans()):
        # Another signature in the table: call_indirect through $i2i must trap on it.
        body.append("(func $odd (param i32) (result i64) (i64.extend_i32_s (local.get 0)))")
        leaves.append("$odd")
    if scope.table:
        offset = draw(st.integers(0, 3))
        entries = draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=4 - offset))
        body.append(f"(elem (i32.const {offset}) func {' '.join(entries)})")
    if scope.memory:
        for _ in range(draw(st.integers(0, 3))):
            data = draw(st.binary(min_size=1, max_size=12))
            body.append(f'(data (i32.const {draw(st.integers(0, 300))}) "{data_string(data)}")')
        if draw(st.booleans()):
            body.append(f'(data $p "{data_string(draw(st.binary(min_size=4, max_size=8)))}")')
            scope.passive = True

    wides = []
    for k in range(draw(st.integers(0, 2))):
        # Its parameter is an i64, which i32 expressions must not read.
        scope.has_param = False
        low = draw(expressions(scope, 2))
        scope.has_param = True
        body.append(f'(func $w{k} (export "{prefix}w{k}") (type $wide) '
                    f'(i64.add (i64.mul (local.get 0) (i64.const {draw(st.integers(-3, 3))})) (i64.extend_i32_u {low})) '
                    f'(i32.wrap_i64 (local.get 0)))')
        scope.wides.append(f"$w{k}")
        wides.append(f"{prefix}w{k}")
    funcs = []
    for k in range(draw(st.integers(1, 3))):
        fname = f"{prefix}f{k}"
        stmts = draw(statements(scope))
        expr = draw(expressions(scope))
        if scope.callables and draw(st.integers(0, 3)) == 0:
            expr = f"(return_call {draw(st.sampled_from(scope.callables))} {expr})"
        body.append(f'(func $f{k} (export "{fname}") (type $i2i) {stmts} {expr})')
        scope.callables.append(f"$f{k}")
        funcs.append(fname)
    if draw(st.booleans()):
        scope.has_param = False
        stmts = draw(statements(scope))
        body.append(f"(func $start {stmts} (call $log {draw(expressions(scope, 2))}))")
        body.append("(start $start)")
    # Unused types first, a different number in each module, so $i2i has a different index
    # in every input and in the merged module.
    padding = [f"  (type (func (param {draw(st.sampled_from(PADDING_TYPES))})))" for _ in range(draw(st.integers(0, 3)))]
    text = "\n".join(["(module", *padding, "  (type $i2i (func (param i32) (result i32)))",
                      "  (type $wide (func (param i64) (result i64 i32)))",
                      *("  " + i for i in imports), *("  " + b for b in body), ")"])
    return {"name": name, "text": text, "funcs": funcs, "wides": wides, "global": glob, "memory": memory,
            "table": table}


@st.composite
def programs(draw, unique_names: bool = True) -> list[dict]:
    modules = []
    for i in range(draw(st.integers(2, 4))):
        modules.append(draw(module_texts(i, modules, unique_names)))
    return modules


def resolved_export_names(modules: list[dict], policy: str) -> dict:
    """What export_conflicts promises: the first exporter keeps a name; later ones are
    reached as <module>.<name> ("rename") or not at all ("skip", None)."""
    taken, names = set(), {}
    for m in modules:
        for export in [*m["funcs"], *m["wides"], m["global"], m["memory"], m["table"]]:
            if export is None:
                continue
            key = f'{m["name"]}.{export}'
            if export not in taken:
                names[key] = export
            else:
                names[key] = key if policy == "rename" else None
            taken.add(export)
    return names


def build_scenario(modules: list[dict], args: list[int], variant=None) -> harness.Scenario:
    wasm = {m["name"]: harness.assemble(m["text"], FLAGS, m["name"]) for m in modules}
    steps = []
    for m in modules:
        steps += [{"invoke": f'{m["name"]}.{f}', "args": [a]} for f in m["funcs"] + m["wides"] for a in args]
    for m in modules:
        steps.append({"global": f'{m["name"]}.{m["global"]}'})
        if m["memory"]:
            steps.append({"memory": f'{m["name"]}.{m["memory"]}', "offset": 0, "length": 320})
    # The host's memory survives a failed instantiation: read it in any case.
    steps.append({"memory": "env.mem", "offset": 0, "length": 320})
    return harness.Scenario("generated", "", [m["name"] for m in modules], wasm, FEATURES,
                            HOST, {}, "ok", [], steps, [variant or harness.MergeVariant({})])


def host_imports(modules: list[dict]) -> list:
    """What the merged module must import: log, and each host object some input uses, once."""
    text = "".join(m["text"] for m in modules)
    wanted = [["env", "log"]]
    wanted += [["env", "mem"]] if '"env" "mem"' in text else []
    wanted += [["env", "tab"]] if '"env" "tab"' in text else []
    return sorted(wanted)


def show(modules: list[dict]) -> str:
    return "\n".join(f';; {m["name"]}\n{m["text"]}' for m in modules)


@settings(SETTINGS, max_examples=40)
@given(modules=programs(), args=st.lists(st.sampled_from(ARGS), min_size=1, max_size=2, unique=True))
def test_generated_programs_are_valid_and_run_linked(modules, args):
    """The generator's own check: inputs validate (wabt and ours) and run to a transcript."""
    scenario = build_scenario(modules, args)
    for name, data in scenario.wasm.items():
        harness.validate_merged(data, FLAGS)
    transcript = harness.run_linked(scenario)
    assert transcript[0]["outcome"] != "unlinkable", show(modules)
    assert all("error" not in str(e["outcome"]) for e in transcript), transcript


def test_merged_program_behaves_like_linked():
    merge_module = merger()
    if merge_module is None:
        pytest.xfail("merger not landed")
    check_merged_program(merge_module)


@SETTINGS
@given(modules=programs(), args=st.lists(st.sampled_from(ARGS), min_size=1, max_size=2, unique=True))
def check_merged_program(merge_module, modules, args):
    scenario = build_scenario(modules, args)
    inputs = [(m, scenario.wasm[m]) for m in scenario.modules]
    result = merge_module.merge(inputs, merge_module.MergeOptions())
    try:
        harness.validate_merged(result.data, FLAGS)
        imports, _ = harness.module_interface(result.data)
        assert sorted(imports) == host_imports(modules), f"merged imports {imports}"
        linked = harness.run_linked(scenario)
        merged = harness.run_merged(scenario, result.data, scenario.merges[0])
        harness.assert_same(linked, merged, "linked", "merged")
        again = merge_module.merge(inputs, merge_module.MergeOptions()).data
        assert again == result.data, "merging the same inputs twice gave different bytes"
        # The output is itself a valid input: merged alone, it must behave the same.
        single = merge_module.merge([("merged", result.data)], merge_module.MergeOptions()).data
        harness.assert_same(linked, harness.run_merged(scenario, single, scenario.merges[0]),
                            "linked", "re-merged")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{show(modules)}") from None


@pytest.mark.parametrize("policy", ["rename", "skip"])
def test_merged_program_with_clashing_export_names_behaves_like_linked(policy):
    merge_module = merger()
    if merge_module is None:
        pytest.xfail("merger not landed")
    check_clashing_program(merge_module, policy)


@settings(SETTINGS, max_examples=30)
@given(modules=programs(unique_names=False), args=st.lists(st.sampled_from(ARGS), min_size=1, max_size=1))
def check_clashing_program(merge_module, policy, modules, args):
    names = resolved_export_names(modules, policy)
    variant = harness.MergeVariant({"export_conflicts": policy}, names=names)
    scenario = harness.restricted(build_scenario(modules, args, variant), variant)
    inputs = [(m, scenario.wasm[m]) for m in scenario.modules]
    result = merge_module.merge(inputs, merge_module.MergeOptions(export_conflicts=policy))
    try:
        harness.validate_merged(result.data, FLAGS)
        _, exports = harness.module_interface(result.data)
        assert sorted(exports) == sorted(n for n in names.values() if n), f"merged exports {exports}"
        linked = harness.run_linked(scenario)
        merged = harness.run_merged(scenario, result.data, variant)
        harness.assert_same(linked, merged, "linked", "merged")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{show(modules)}") from None


def test_merged_program_on_interpreter_behaves_like_linked_on_wasmtime():
    merge_module = merger()
    if merge_module is None:
        pytest.xfail("merger not landed")
    check_interpreter_program(merge_module)


@settings(SETTINGS, max_examples=40)
@given(modules=programs(), args=st.lists(st.sampled_from(ARGS), min_size=1, max_size=2, unique=True))
def check_interpreter_program(merge_module, modules, args):
    """Two engines and the merger at once: wasmtime runs the inputs, ours the inputs too and
    the merged module."""
    scenario = build_scenario(modules, args)
    result = merge_module.merge([(m, scenario.wasm[m]) for m in scenario.modules], merge_module.MergeOptions())
    linked = harness.run_linked(scenario)
    merged = harness.run_merged(scenario, result.data, scenario.merges[0], "interpreter")
    try:
        harness.assert_same(linked, harness.run_linked(scenario, "interpreter"), "wasmtime linked",
                            "interpreter linked")
        harness.assert_same(linked, merged, "wasmtime linked", "interpreter merged")
    except AssertionError as err:
        raise AssertionError(f"{err}\n{show(modules)}") from None
