"""Run functions as Python: per-store callables, per-instance namespaces, fallbacks.

Every function instance gets a *callable* `fn(d, *args)` (see `translate.py` for the
convention): the compiled Python function, or a wrapper running the reference engine
(functions we do not translate) or a host function. A module instance gets one
namespace (the generated code's globals) binding what its code names: `F3` is function
3's callable - a stub that translates it on first call and then rebinds the name - and
`M0`, `G1`, `T0`... its memories, globals and tables.

Translations are cached per decoded module (source and code object, or the reason it
falls back), so instantiating a module again only runs `exec`.
"""

import math
import struct
import sys

from ...errors import Exhaustion, Trap
from .. import numerics, ops, simd
from ..engine import MAX_REENTRY, resolve_indirect, run
from ..prepare import check_local_count
from ..store import FuncInstance
from .translate import Untranslatable, func_name, mangle, tail_body_name, translate

OOB = "out of bounds memory access"
CACHE_ATTR = "_python_translations"


# -- helpers the generated code calls ----------------------------------------------------

def _load64(unpack, data, address):
    if address > len(data):
        raise Trap(OOB)
    return unpack(data, address)[0]


def _store64(pack, data, address, value):
    if address > len(data):
        raise Trap(OOB)
    pack(data, address, value)


class TailCall:
    """What a function body (`t{index}`) returns for a tail call: run by `run_tail`."""

    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func = func  # the FuncInstance called
        self.args = args


def _func_ref(ref):
    if ref is None:
        raise Trap("null function reference")
    return ref


def _grow(mem, delta):
    mask = 0xFFFF_FFFF_FFFF_FFFF if mem.type.limits.address64 else 0xFFFF_FFFF
    return mem.grow(delta) & mask


_as_float = struct.Struct("<d")
CANONICAL_NAN = _as_float.unpack(struct.pack("<Q", 0x7FF8_0000_0000_0000))[0]


def _float_divide(x, y):
    """f64.div on Python floats, as numerics.f64_div computes it on bits."""
    return x / y if y else numerics._divide(x, y)


def _float_sqrt(x):
    # -0.0 >= 0 holds (sqrt keeps it); a NaN or negative operand gives the canonical NaN.
    return math.sqrt(x) if x >= 0 else CANONICAL_NAN


def _non_null(ref):
    if ref is None:
        raise Trap("null reference")
    return ref


def _v128_load(mem, offset, name, address):
    stack = [address]
    if name == "v128.load":
        ops.v128_load(mem, offset, 16, None, stack)
    else:
        ops.v128_load(mem, offset, simd.LOAD_BYTES[name], ops.simd_load(name), stack)
    return stack[0]


def _v128_store(mem, offset, address, value):
    ops.v128_store(mem, offset, [address, value])


def _v128_load_lane(mem, offset, size, lane, address, vector):
    stack = [address, vector]
    ops.v128_load_lane(mem, offset, size, lane, stack)
    return stack[0]


def _v128_store_lane(mem, offset, size, lane, address, vector):
    ops.v128_store_lane(mem, offset, size, lane, [address, vector])


def _base_namespace() -> dict:
    names = {"Trap": Trap, "Exhaustion": Exhaustion, "LOAD64": _load64, "STORE64": _store64,
             "GROW": _grow, "NON_NULL": _non_null, "V128_LOAD": _v128_load,
             "V128_STORE": _v128_store, "V128_LOAD_LANE": _v128_load_lane,
             "V128_STORE_LANE": _v128_store_lane, "TailCall": TailCall, "FUNC_REF": _func_ref}
    for table in (numerics.OPS, simd.OPS):
        for name, fn in table.items():
            names[mangle(name)] = fn
    names.update(FDIV=_float_divide, FSQRT=_float_sqrt, SQRT=math.sqrt, NAN=CANONICAL_NAN,
                 DP=_as_float.pack, DU=_as_float.unpack, QP=struct.Struct("<Q").pack,
                 QU=struct.Struct("<Q").unpack, StructError=struct.error)
    for code in "bBhHiIqQd":
        names[f"U_{code}"] = struct.Struct("<" + code).unpack_from
        names[f"P_{code}"] = struct.Struct("<" + code).pack_into
    for name in ("table_grow", "table_fill", "table_copy", "table_init", "elem_drop",
                 "memory_init", "data_drop", "memory_copy", "memory_fill"):
        names["OP_" + name] = getattr(ops, name)
    return names


BASE = None


# -- translation cache ------------------------------------------------------------------------

def translation(module, index: int, fuel: bool = False):
    """(source, code object) of function `index`, or (None, reason) when it falls back.
    Translations that count fuel are cached beside the others (key `(index, "fuel")`)."""
    cache = module.__dict__.setdefault(CACHE_ATTR, {})
    key = (index, "fuel") if fuel else index
    entry = cache.get(key)
    if entry is None:
        try:
            source = translate(module, index, fuel)
            entry = (source, compile(source, f"<wasm function {index}>", "exec"))
        except Untranslatable as why:
            entry = (None, str(why))
        except (SyntaxError, RecursionError, MemoryError, ValueError) as err:
            # CPython's limits (nesting, indentation, size): the reference engine runs it.
            entry = (None, f"CPython cannot compile it ({type(err).__name__}: {err})")
        cache[key] = entry
    return entry


# -- the per-store engine ---------------------------------------------------------------------

class CompiledEngine:
    """Callables for a store's functions, and the namespaces of its module instances."""

    def __init__(self, store, fuel: bool = False):
        self.store = store
        # With fuel, every function is translated with fuel charges against this cell,
        # which holds the store's fuel while compiled code runs (see invoke_compiled).
        self.fuel = fuel
        self.fuel_cell = [0]
        self.callables: dict[FuncInstance, object] = {}
        self.namespaces = {}
        self.fallbacks: dict[FuncInstance, str] = {}  # function -> why it is not compiled
        self.saved_depth = None  # store.max_call_depth while a fallback lowered it
        self.by_type: dict[int, dict] = {}  # canonical type id -> {function: callable}
        self.tail_bodies: dict[FuncInstance, object] = {}  # functions making tail calls

    def max_depth(self) -> int:
        return self.store.max_call_depth if self.saved_depth is None else self.saved_depth

    def callable(self, func: FuncInstance):
        fn = self.callables.get(func)
        if fn is None:
            if func.host is not None:
                fn = self.host_wrapper(func)
            else:
                check_local_count(func)
                ns = self.namespace(func.module)
                source, code = translation(func.module.module, func.index, self.fuel)
                if source is None:
                    self.fallbacks[func] = code
                    fn = self.reference_wrapper(func)
                else:
                    exec(code, ns)
                    fn = ns[func_name(func.index)]
                    body = ns.get(tail_body_name(func.index))
                    if body is not None:
                        self.tail_bodies[func] = body
                ns[f"F{func.index}"] = fn
            self.callables[func] = fn
            self.by_type.setdefault(func.type_id, {})[func] = fn
        return fn

    def namespace(self, inst) -> dict:
        ns = self.namespaces.get(inst)
        if ns is None:
            ns = self.namespaces[inst] = self.bind(inst)
        return ns

    def bind(self, inst) -> dict:
        global BASE
        if BASE is None:
            BASE = _base_namespace()
        ns = dict(BASE)
        callables = self.callables
        for i, func in enumerate(inst.funcs):
            ns[f"FI{i}"] = func
            ns[f"F{i}"] = callables.get(func) or self.stub(ns, i, func)
        for i, mem in enumerate(inst.memories):
            ns[f"M{i}"] = mem.data
            ns[f"MEM{i}"] = mem
        for i, glob in enumerate(inst.globals):
            ns[f"G{i}"] = glob
            if not glob.type.mutable:
                ns[f"g{i}"] = glob.value
        for i, table in enumerate(inst.tables):
            ns[f"T{i}"] = table
            ns[f"TE{i}"] = table.elems  # one list for the table's life (grow extends it)
        for i, type_id in enumerate(inst.type_ids):
            ns[f"TID{i}"] = type_id
            ns[f"CT{i}"] = self.by_type.setdefault(type_id, {})
        for i, elem in enumerate(inst.elems):
            ns[f"E{i}"] = elem
        for i, data in enumerate(inst.datas):
            ns[f"D{i}"] = data
        ns["CALLEE"] = self.indirect_lookup(inst.type_store)
        types = inst.type_store
        ns["RESOLVE"] = lambda table, expected, index: resolve_indirect(table, expected, types,
                                                                        index)
        ns["RUN_TAIL"] = self.run_tail
        ns["FUEL"] = self.fuel_cell
        ns["CALLEE_REF"] = self.ref_lookup()
        return ns

    def stub(self, ns, index, func):
        """Function `index`'s first call: translate it, rebind `F{index}`, call it."""
        def first_call(d, *args):
            return self.callable(func)(d, *args)
        return first_call

    def run_tail(self, d, call):
        """Run a TailCall, and the tail calls it returns in turn, in this one frame.

        Every callee runs with the caller's `d`: a tail call replaces the caller's frame.
        """
        bodies = self.tail_bodies
        while True:
            func = call.func
            body = bodies.get(func)
            if body is None:
                fn = self.callables.get(func) or self.callable(func)
                body = bodies.get(func)  # it may just have been translated
                if body is None:
                    return fn(d, *call.args)
            call = body(d, *call.args)
            if call.__class__ is not TailCall:
                return call

    def indirect_lookup(self, types):
        callables = self.callables
        make = self.callable

        def callee(table, expected, index):
            elems = table.elems
            if index < len(elems):
                func = elems[index]
                if func is not None and func.type_id == expected:
                    fn = callables.get(func)
                    return fn if fn is not None else make(func)
            return make(resolve_indirect(table, expected, types, index))
        return callee

    def ref_lookup(self):
        callables = self.callables
        make = self.callable

        def callee(func):
            if func is None:
                raise Trap("null function reference")
            fn = callables.get(func)
            return fn if fn is not None else make(func)
        return callee

    def host_wrapper(self, func):
        host = func.host
        nresults = len(func.type.results)

        def call_host(d, *args):
            result = host(*args)
            if nresults <= 1:
                return result if nresults else None
            result = tuple(result)
            if len(result) != nresults:
                raise Trap(f"host function returned {len(result)} values, expected {nresults}")
            return result
        return call_host

    def reference_wrapper(self, func):
        """Run `func` on the reference engine, within the caller's depth budget."""
        store = self.store
        nresults = len(func.type.results)

        def call_reference(d, *args):
            if not d:
                raise Exhaustion("call stack exhausted")
            stack = list(args)
            saved = store.max_call_depth
            outer = self.saved_depth
            if outer is None:
                self.saved_depth = saved
            # The reference engine counts frames from its first; this one is at depth
            # (max - d + 1), so d - 1 more are allowed.
            store.max_call_depth = d - 1
            if self.fuel:
                store.fuel = max(0, self.fuel_cell[0])  # the reference engine counts on
            try:
                run(store, func, stack)
            finally:
                store.max_call_depth = saved
                self.saved_depth = outer
                if self.fuel:
                    self.fuel_cell[0] = store.fuel
            if nresults == 1:
                return stack[-1]
            return tuple(stack[-nresults:]) if nresults else None
        return call_reference


def engine_of(store) -> CompiledEngine:
    """The store's compiled engine for its current fuel mode (counting or not: two sets
    of translations and callables, sharing the store's instances)."""
    fuel = store.fuel is not None
    engines = store.__dict__.setdefault("_compiled_engines", {})
    engine = engines.get(fuel)
    if engine is None:
        engine = engines[fuel] = CompiledEngine(store, fuel)
    return engine


def invoke_compiled(store, func, args) -> list:
    """`engines.invoke` on the compiled engine: the results as a list."""
    engine = engine_of(store)
    if func.host is not None:
        return _as_list(engine.callable(func)(0, *args), len(func.type.results))
    if store.reentry >= MAX_REENTRY:
        raise Exhaustion("call stack exhausted")
    depth = engine.max_depth()
    # One Python frame per wasm frame (a few more through fallbacks and host calls).
    needed = (depth + 10) * 3 * (store.reentry + 1) + 2000
    # Raised for this call only: the process's limit is the embedder's, not ours to keep.
    previous_limit = sys.getrecursionlimit()
    if previous_limit < needed:
        sys.setrecursionlimit(needed)
    if engine.fuel and not store.reentry:
        # Outermost call: the cell takes the store's fuel (nested calls from host
        # functions keep counting in it), and gives back what is left at the end.
        engine.fuel_cell[0] = store.fuel
    store.reentry += 1
    try:
        result = engine.callable(func)(depth + 1, *args)
    except struct.error:
        raise Trap(OOB) from None
    except RecursionError:
        raise Exhaustion("call stack exhausted") from None
    except MemoryError:
        raise Exhaustion("out of memory") from None
    finally:
        store.reentry -= 1
        if engine.fuel:
            store.fuel = max(0, engine.fuel_cell[0])
        if previous_limit < needed:
            sys.setrecursionlimit(previous_limit)
    return _as_list(result, len(func.type.results))


def _as_list(result, nresults) -> list:
    if nresults == 1:
        return [result]
    return list(result) if nresults else []


def python_source(module, index: int) -> str:
    """The generated source of function `index`, or a comment saying why there is none."""
    source, code = translation(module, index)
    if source is None:
        return f"# function {index}: reference engine ({code})\n"
    return source


def dump_module(module, name: str = "module") -> str:
    """Every defined function's generated source (`wasmmerge run --dump-python`)."""
    first = len(module.func_type_indices()) - len(module.codes)
    parts = [f"# {name}: {len(module.codes)} functions"]
    parts += [python_source(module, first + i) for i in range(len(module.codes))]
    return "\n".join(parts)
