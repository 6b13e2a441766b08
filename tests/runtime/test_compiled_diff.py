"""Differential test: random modules run on the compiled and the reference engine.

A type-directed generator writes valid functions (i32/i64 arithmetic including the
trapping divisions, comparisons, locals, globals, loads and stores that may go out of
bounds, calls, blocks with br_if, br_table, if/else, counted loops nested with breaks
across several levels, select); every export is called with the same arguments on a
store per engine, and results, traps, memory and globals must be identical.
"""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wasmmerge
from conftest import wat2wasm
from wasmmerge.errors import Exhaustion, Trap
from wasmmerge.runtime import Store, instantiate

# Trapping divisions are one pick in eight, so most calls run to completion.
BINARY = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"] * 4 + \
    ["div_s", "div_u", "rem_s", "rem_u"] + ["add", "sub", "mul"]
COMPARE = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
UNARY = ["clz", "ctz", "popcnt", "extend8_s", "extend16_s"]
INTERESTING = [0, 1, 2, 3, 7, 31, 32, 63, 64, 255, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
               0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF]


class Gen:
    def __init__(self, rng: random.Random, nfuncs: int):
        self.rng = rng
        self.nfuncs = nfuncs

    def const(self, t):
        r = self.rng
        bits = 32 if t == "i32" else 64
        v = r.choice(INTERESTING) if r.random() < 0.5 else r.getrandbits(bits)
        v &= (1 << bits) - 1
        return [f"{t}.const {v - (1 << bits) if v >> (bits - 1) else v}"]

    def expr(self, t, depth, fn) -> list[str]:
        r = self.rng
        if depth <= 0 or r.random() < 0.2:
            return self.const(t) if r.random() < 0.4 else [f"local.get {r.choice(self.locals[t])}"]
        d = depth - 1
        k = r.randrange(14)
        if k < 3:
            return self.expr(t, d, fn) + self.expr(t, d, fn) + [f"{t}.{r.choice(BINARY)}"]
        if k == 3:
            o = r.choice(["i32", "i64"])
            cmp = self.expr(o, d, fn) + self.expr(o, d, fn) + [f"{o}.{r.choice(COMPARE)}"]
            return cmp + (["i64.extend_i32_u"] if t == "i64" else [])
        if k == 4:
            ops = UNARY + (["extend32_s"] if t == "i64" else [])
            return self.expr(t, d, fn) + [f"{t}.{r.choice(ops)}"]
        if k == 5:
            if t == "i32":
                return self.expr("i64", d, fn) + ["i32.wrap_i64"]
            return self.expr("i32", d, fn) + [r.choice(["i64.extend_i32_s", "i64.extend_i32_u"])]
        if k == 6:
            return (self.expr(t, d, fn) + self.expr(t, d, fn) + self.expr("i32", d, fn) +
                    ["select"])
        if k == 7:
            return self.address(d, fn) + [self.load(t)]
        if k == 8 and fn > 0:
            callee = r.randrange(fn)
            call = self.expr("i32", d, fn) + self.expr("i64", d, fn) + [f"call {callee}"]
            return call + (["i64.extend_i32_u"] if t == "i64" else [])
        if k == 9:
            return [f"block (result {t})"] + self.expr(t, d, fn) + self.expr("i32", d, fn) + \
                ["br_if 0"] + ["drop"] + self.stmts(d, fn) + self.expr(t, d, fn) + ["end"]
        if k == 10:
            return self.expr("i32", d, fn) + [f"if (result {t})"] + self.stmts(d, fn) + \
                self.expr(t, d, fn) + ["else"] + self.expr(t, d, fn) + ["end"]
        if k == 11:
            labels = " ".join(str(r.randrange(3)) for _ in range(r.randrange(1, 12)))
            return ([f"block (result {t})", f"block (result {t})", f"block (result {t})"] +
                    self.expr(t, d, fn) + self.expr("i32", d, fn) + [f"br_table {labels}", "end"] +
                    self.expr(t, d, fn) + [f"{t}.xor", "end"] + self.expr(t, d, fn) +
                    [f"{t}.add", "end"])
        if k == 12:
            return [f"global.get {0 if t == 'i32' else 1}"]
        # f64 arithmetic on arbitrary bits (NaN payloads included) and converted ints.
        x = self.expr("i64", d, fn) + ["f64.reinterpret_i64"]
        y = self.expr("i32", d, fn) + [r.choice(["f64.convert_i32_s", "f64.convert_i32_u"])]
        if r.random() < 0.5:
            x, y = y, x
        if t == "i32":
            return x + y + [f"f64.{r.choice(['eq', 'ne', 'lt', 'gt', 'le', 'ge'])}"]
        op = r.choice(["add", "sub", "mul", "div", "min", "max", "copysign"])
        tail = ["f64.sqrt"] if r.random() < 0.3 else []
        return x + y + [f"f64.{op}"] + tail + ["i64.reinterpret_f64"]

    def address(self, depth, fn):
        r = self.rng.random()
        mask = 0xFFFF if r < 0.9 else 0x1FFFF
        address = self.expr("i32", depth, fn) + [f"i32.const {mask}", "i32.and"]
        if r < 0.2:
            # An address whose i32.add wraps around 2**32 back into the memory.
            address += ["i32.const 0x10000", "i32.or", "i32.const 0xFFFF0000", "i32.add"]
        return address

    def load(self, t):
        r = self.rng
        kind = r.choice(["load", "load8_s", "load8_u", "load16_s", "load16_u"] +
                        (["load32_s", "load32_u"] if t == "i64" else []))
        return f"{t}.{kind} offset={r.choice([0, 1, 4, 16, 100, 65530])}"

    def stmts(self, depth, fn, count=None) -> list[str]:
        r = self.rng
        out = []
        for _ in range(count if count is not None else r.randrange(0, 3)):
            out += self.stmt(depth, fn)
        return out

    def stmt(self, depth, fn) -> list[str]:
        r = self.rng
        d = depth - 1
        k = r.randrange(8 if depth > 0 else 3)
        t = r.choice(["i32", "i64"])
        if k == 0:
            return self.expr(t, d, fn) + [f"local.set {r.choice(self.locals[t])}"]
        if k == 1:
            width = r.choice(["store", "store8", "store16"] + (["store32"] if t == "i64" else []))
            return self.address(d, fn) + self.expr(t, d, fn) + [f"{t}.{width} offset={r.choice([0, 2, 8])}"]
        if k == 2:
            return self.expr(t, d, fn) + [f"global.set {0 if t == 'i32' else 1}"]
        if k == 3 and self.counters:
            counter = self.counters.pop()
            body = self.stmts(d, fn, r.randrange(1, 3))
            # A break out of the loop and an enclosing block from inside a nested block.
            escape = (["block"] + self.expr("i32", d, fn) + [f"br_if {r.choice([0, 2])}", "end"]
                      if r.random() < 0.5 else [])
            self.counters.append(counter)
            return ["block", f"i32.const {r.randrange(1, 4)}", f"local.set {counter}", "loop"] + \
                body + escape + [f"local.get {counter}", "i32.const 1", "i32.sub",
                                 f"local.tee {counter}", "br_if 0", "end", "end"]
        if k == 4:
            return self.expr("i32", d, fn) + ["if"] + self.stmts(d, fn) + ["else"] + \
                self.stmts(d, fn) + ["end"]
        if k == 5:
            return ["block"] + self.stmts(d, fn) + self.expr("i32", d, fn) + ["br_if 0"] + \
                self.stmts(d, fn) + ["end"]
        if k == 6:
            return self.expr(t, d, fn) + ["drop"]
        return self.expr("i32", d, fn) + ["if", "return", "end"] if False else \
            self.expr("i32", d, fn) + ["if"] + self.expr("i32", d, fn) + ["return", "end"]

    def function(self, fn) -> str:
        # params: 0 i32, 1 i64; locals: 2 3 i32, 4 5 i64, 6 7 8 loop counters
        self.locals = {"i32": [0, 2, 3], "i64": [1, 4, 5]}
        self.counters = [8, 7, 6]
        body = self.stmts(4, fn, 3) + self.expr("i32", 4, fn)
        return (f"(func (export \"f{fn}\") (param i32 i64) (result i32) (local i32 i32 i64 i64 "
                f"i32 i32 i32)\n  " + "\n  ".join(body) + ")")


def random_module(seed: int) -> str:
    rng = random.Random(seed)
    nfuncs = rng.randrange(1, 5)
    gen = Gen(rng, nfuncs)
    funcs = "\n".join(gen.function(i) for i in range(nfuncs))
    data = "".join(f"\\{rng.getrandbits(8):02x}" for _ in range(64))
    return (f"(module (memory (export \"mem\") 1) (data (i32.const 0) \"{data}\")\n"
            f"(global (export \"g\") (mut i32) (i32.const 7)) (global (mut i64) (i64.const -1))\n"
            f"{funcs})")


def outcome(store, inst, name, args):
    try:
        return ("ok", inst.invoke(store, name, *args))
    except (Trap, Exhaustion) as err:
        return (type(err).__name__, err.message)


def run_both(source: str, calls):
    data = wat2wasm(source)
    module = wasmmerge.decode(data)
    observed = []
    for engine in ("reference", "compiled"):
        store = Store(engine=engine)
        inst = instantiate(store, module, [])
        results = [outcome(store, inst, name, args) for name, args in calls]
        observed.append((results, bytes(inst.exports["mem"].data), inst.exports["g"].value))
    return observed


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32))
def test_random_modules_agree(seed):
    source = random_module(seed)
    rng = random.Random(seed ^ 0x5EED)
    nfuncs = source.count("(func ")
    calls = [(f"f{rng.randrange(nfuncs)}", (rng.choice(INTERESTING) & 0xFFFF_FFFF,
                                             rng.choice(INTERESTING))) for _ in range(6)]
    reference, compiled = run_both(source, calls)
    assert compiled[0] == reference[0], source
    assert compiled[1:] == reference[1:], source
