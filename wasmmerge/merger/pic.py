"""Placing PIC side modules (`dylink.0`) statically, as a dynamic loader would.

Inputs built with `-fPIC` and linked `wasm-ld --experimental-pic -shared` (or `-pie`),
emscripten `SIDE_MODULE`s, import their memory, table, `__memory_base`, `__table_base`
and `__stack_pointer` from `env`, reach other modules' data and functions through
`GOT.mem.*` / `GOT.func.*` globals and import other modules' functions from `env`. A
loader gives each one a region of one memory and of one table, fills the GOT and links
`env.*` in one global namespace. We do the same before the merge proper, by generating
one more input, the *layout module* (named `LAYOUT`), placed first, which defines:

* the one memory (exported as `memory`), the one table, `__stack_pointer` (a 64 KiB
  stack after every data region, unless an input exports one);
* per input, `<input>.__memory_base` / `<input>.__table_base` as constant globals; each
  input's imports of them are renamed to these, so the merger's constant-expression
  substitution turns its segment offsets into constants;
* one `GOT.mem.x` / `GOT.func.x` global per symbol, holding its address or table slot
  (a function already in its module's table region keeps that slot, as emscripten's
  loader does, so function pointers compare equal; others get slots of their own, filled
  by the layout module's element segment);
* `_initialize` (or a wrapping `_start` when an input exports one) that runs every
  input's `__wasm_call_ctors` in dependency order.

Input order becomes dependency order (a module's `needed` libraries before it, otherwise
as given). Data relocations run where the inputs put them: LLVM 14 makes
`__wasm_apply_data_relocs` the start function (so it runs at instantiation, in that order,
after the input's own segments); an input that only exports it gets it as its start
function. They only compute addresses from constants, so a start function is the right
place. Constructors may call the host, which the WASI ABI forbids in a start function,
so they run from `_initialize`/`_start`, never from the start function.

Every name an input exports is in one namespace, the first input in dependency order
defining it wins (later ones are not exported); `env.*` imports bind to it. Exported data
symbols (immutable i32 globals holding an offset from `__memory_base`) are rebased to
absolute addresses. A `needed` library missing from the inputs, or a `GOT.*` symbol that
no input defines, is an error listing every one; `env.*` functions nobody defines stay
imports of the output (the host's, as with emscripten's JS library).
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import custom
from ..binary import leb
from ..binary.model import Code, ElemSegment, Export, Expr, Global, Import, Module, Table
from ..binary.types import (FUNC_KIND, FUNCREF, GLOBAL_KIND, I32, MEMORY_KIND, TABLE_KIND, FuncType,
                            GlobalType, Limits, MemType, SubType, TableType)
from ..binary.writer import encode_module
from ..errors import LinkError, Unsupported
from .load import Input
from .pic_inputs import constant, dependency_order, dylink_of, function_names

if TYPE_CHECKING:  # for annotations: the handler is loaded only for inputs with the section
    from ..custom import dylink

LAYOUT = "wasmmerge:layout"
PAGE = 65536
GLOBAL_BASE = 1024  # where wasm-ld starts data: address 0 and its neighbours stay unused
STACK_SIZE = 65536  # wasm-ld's default
# Exports that are each input's own business, never the output's.
PRIVATE_EXPORTS = ("__wasm_call_ctors", "__wasm_apply_data_relocs")


@dataclass
class Placement:
    """What placing did: the new input list, and what the output must not export."""

    inputs: list[Input]
    hidden: set[tuple[str, str]] = field(default_factory=set)  # (input name, export name)
    memory_bases: dict[str, int] = field(default_factory=dict)
    table_bases: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """For the link report: where each input was placed."""
        return {name: {"memory_base": self.memory_bases[name], "table_base": self.table_bases[name]}
                for name in self.memory_bases}

    def raw_inputs(self, inputs) -> list[tuple[str, bytes]]:
        """`[(name, bytes)]` in the placed order (for messages blaming an input)."""
        data = dict(inputs)
        layout = encode_module(self.inputs[0].module)
        return [(inp.name, layout if inp.name == LAYOUT else data[inp.name]) for inp in self.inputs]

    def hide_exports(self, loaded: list[Input]) -> None:
        """Drop the exports only the merge needed; call once imports are resolved."""
        for inp in loaded:
            inp.module.exports = [e for e in inp.module.exports if (inp.name, e.name) not in self.hidden]


def _const_i32(value: int) -> Expr:
    return Expr(b"\x41" + leb.write_signed(value if value < 1 << 31 else value - (1 << 32)) + b"\x0b")


def _align(value: int, log2: int) -> int:
    step = 1 << log2
    return (value + step - 1) // step * step


def place_pic(loaded: list[Input]) -> Placement | None:
    """None when no input is a PIC module; else the inputs with the layout module added."""
    infos = [dylink_of(inp) for inp in loaded]
    if all(info is None for info in infos):
        return None
    plain = [inp.label for inp, info in zip(loaded, infos) if info is None]
    if plain:
        pic = [inp.label for inp, info in zip(loaded, infos) if info is not None]
        raise Unsupported(f"{', '.join(pic)} are PIC modules (dylink.0) but {', '.join(plain)} "
                          "are not; placing PIC modules beside ordinary ones is not supported: "
                          "merge the PIC modules first, or build every input as a side module")
    order = dependency_order(loaded, infos)
    return _Placer([loaded[k] for k in order], [infos[k] for k in order]).place()


class _Placer:
    def __init__(self, inputs: list[Input], infos: "list[dylink.Dylink]"):
        self.inputs, self.infos = inputs, infos
        self.layout = Module()
        self.placement = Placement([])
        self.unresolved: list[str] = []
        self._types: dict[FuncType, int] = {}
        self._globals: dict[str, int] = {}  # layout export name -> its global index
        self._func_imports: dict[tuple, int] = {}  # (input, export) -> layout func index
        self._slots: dict[tuple, int] = {}  # (input, function index) -> table slot

    # -- the layout module's items ---------------------------------------------------------

    def _type(self, functype: FuncType) -> int:
        if functype not in self._types:
            self._types[functype] = len(self.layout.types)
            self.layout.types.append(SubType(functype))
        return self._types[functype]

    def _global(self, name: str, value: int, mutable: bool) -> str:
        if name not in self._globals:
            self._globals[name] = len(self.layout.globals)
            self.layout.globals.append(Global(GlobalType(I32, mutable), _const_i32(value)))
            self.layout.exports.append(Export(name, GLOBAL_KIND, self._globals[name]))
            self.placement.hidden.add((LAYOUT, name))
        return name

    def _import_func(self, k: int, name: str) -> int:
        key = (k, name)
        if key not in self._func_imports:
            module = self.inputs[k].module
            index = next(e.index for e in module.exports if e.name == name and e.kind == FUNC_KIND)
            functype = module.func_type(index)
            # Function imports come before definitions, and the layout defines its
            # functions last: indices are fixed when the module is finished.
            self._func_imports[key] = len(self.layout.imports)
            self.layout.imports.append(Import(self.inputs[k].name, name, FUNC_KIND, self._type(functype)))
        return self._func_imports[key]

    # -- placing -------------------------------------------------------------------------

    def place(self) -> Placement:
        self._assign_regions()
        self._collect_symbols()
        stack_top = self._stack_top
        for k, inp in enumerate(self.inputs):
            self._bind_imports(k, inp, stack_top)
        if self.unresolved:
            raise LinkError("undefined symbols: " + ", ".join(self.unresolved))
        self._finish_layout()
        for inp in self.inputs:  # placed: nothing is left for a loader to do
            inp.module.customs = [c for c in inp.module.customs if c.name != custom.DYLINK]
        self.placement.inputs = [Input(LAYOUT, self.layout, 0)] + self.inputs
        return self.placement

    def _assign_regions(self):
        memory, table = GLOBAL_BASE, 1  # table slot 0 stays null, like wasm-ld's
        for inp, info in zip(self.inputs, self.infos):
            mem = info.mem_info or custom.handler(custom.DYLINK).MemInfo(0, 0, 0, 0)
            memory = _align(memory, mem.memory_alignment)
            table = _align(table, mem.table_alignment)
            self.placement.memory_bases[inp.name] = memory
            self.placement.table_bases[inp.name] = table
            memory += mem.memory_size
            table += mem.table_size
        self._stack_top = _align(memory, 4) + STACK_SIZE
        self._stack_top = _align(self._stack_top, 4)
        self._memory_end = self._stack_top
        self._table_end = table

    def _collect_symbols(self):
        """The global namespace: name -> (input, export), first in dependency order wins;
        data symbols rebased to absolute addresses; later duplicates not exported."""
        self.symbols: dict[str, tuple[int, Export]] = {}
        for k, inp in enumerate(self.inputs):
            module = inp.module
            imported_globals = module.count(GLOBAL_KIND) - len(module.globals)
            tls = {e.name for e in (self.infos[k].exports or ()) if e.flags & 0x100}
            for export in module.exports:
                if export.name in PRIVATE_EXPORTS:
                    self.placement.hidden.add((inp.name, export.name))
                    continue
                if export.name in self.symbols:
                    self.placement.hidden.add((inp.name, export.name))
                    continue
                self.symbols[export.name] = (k, export)
                if export.kind == GLOBAL_KIND and export.index >= imported_globals and export.name not in tls:
                    g = module.globals[export.index - imported_globals]
                    offset = constant(g.init)
                    if g.type.type == I32 and not g.type.mutable and offset is not None:
                        g.init = _const_i32(self.placement.memory_bases[inp.name] + offset)

    def _address(self, name: str) -> int | None:
        found = self.symbols.get(name)
        if found is None or found[1].kind != GLOBAL_KIND:
            return None
        k, export = found
        module = self.inputs[k].module
        imported = module.count(GLOBAL_KIND) - len(module.globals)
        if export.index < imported:
            return None
        return constant(module.globals[export.index - imported].init)

    def _bind_imports(self, k: int, inp: Input, stack_top: int):
        for j, imp in enumerate(inp.module.imports):
            new = self._binding(k, inp, imp, stack_top)
            if new is not None:
                inp.module.imports[j] = Import(new[0], new[1], imp.kind, imp.type)

    def _binding(self, k: int, inp: Input, imp: Import, stack_top: int):
        name = imp.name
        if imp.module == "env" and imp.kind == MEMORY_KIND:
            return LAYOUT, "memory"
        if imp.module == "env" and imp.kind == TABLE_KIND:
            return LAYOUT, "__indirect_function_table"
        if imp.module == "env" and imp.kind == GLOBAL_KIND and name == "__memory_base":
            return LAYOUT, self._global(f"{inp.name}.__memory_base", self.placement.memory_bases[inp.name], False)
        if imp.module == "env" and imp.kind == GLOBAL_KIND and name == "__table_base":
            return LAYOUT, self._global(f"{inp.name}.__table_base", self.placement.table_bases[inp.name], False)
        if imp.module == "GOT.mem":
            address = self._address(name)
            if address is None:
                self.unresolved.append(f"GOT.mem.{name} (data, imported by {inp.name})")
                return None
            return LAYOUT, self._global(f"GOT.mem.{name}", address, imp.type.mutable)
        if imp.module == "GOT.func":
            found = self.symbols.get(name)
            if found is None or found[1].kind != FUNC_KIND:
                self.unresolved.append(f"GOT.func.{name} (function, imported by {inp.name})")
                return None
            return LAYOUT, self._global(f"GOT.func.{name}", self._slot(*found), imp.type.mutable)
        if imp.module != "env":
            return None
        found = self.symbols.get(name)
        if found is not None and found[1].kind == imp.kind and found[0] != k:
            return self.inputs[found[0]].name, name
        if imp.kind == GLOBAL_KIND and name == "__stack_pointer":
            return LAYOUT, self._global("__stack_pointer", stack_top, True)
        if imp.kind != FUNC_KIND:
            self.unresolved.append(f"env.{name} ({'global' if imp.kind == GLOBAL_KIND else 'tag'}, "
                                   f"imported by {inp.name})")
        else:
            self.placement.warnings.append(f"{inp.name}: env.{name} is defined by no input; "
                                           "kept as an import for the host to provide")
        return None  # a host function, kept as an import

    def _slot(self, k: int, export: Export) -> int:
        """The table slot of input k's exported function: the one its own elements give
        it, else a new slot after every region."""
        key = (k, export.index)
        if key in self._slots:
            return self._slots[key]
        slot = self._own_slot(k, export.index)
        if slot is None:
            slot = self._table_end
            self._table_end += 1
            func = self._import_func(k, export.name)
            self.layout.elems.append(ElemSegment("active", FUNCREF, funcs=[func], table=0, offset=_const_i32(slot)))
        self._slots[key] = slot
        return slot

    def _own_slot(self, k: int, func: int) -> int | None:
        module = self.inputs[k].module
        table_base = self._table_base_global(module)
        for seg in module.elems:
            if seg.mode != "active" or seg.funcs is None or func not in seg.funcs:
                continue
            start = constant(seg.offset, {table_base: self.placement.table_bases[self.inputs[k].name]})
            if start is not None:
                return start + seg.funcs.index(func)
        return None

    @staticmethod
    def _table_base_global(module) -> int | None:
        position = 0
        for imp in module.imports:
            if imp.kind == GLOBAL_KIND:
                if imp.module == "env" and imp.name == "__table_base":
                    return position
                position += 1
        return None

    # -- the layout module's memory, table and constructors ------------------------------

    def _finish_layout(self):
        m = self.layout
        pages = -(-self._memory_end // PAGE)
        m.memories.append(MemType(Limits(pages)))
        m.exports.append(Export("memory", MEMORY_KIND, 0))
        m.tables.append(Table(TableType(FUNCREF, Limits(self._table_end))))
        m.exports.append(Export("__indirect_function_table", TABLE_KIND, 0))
        self.placement.hidden.add((LAYOUT, "__indirect_function_table"))
        self._initialiser()

    def _initialiser(self):
        """`_initialize` (or a `_start` wrapper): every input's constructors, in dependency
        order, then the inputs' own `_initialize`s, then a `_start` (WASI's ABI: a command
        runs its initialisation first thing in `_start`)."""
        calls, start = [], None
        for k, inp in enumerate(self.inputs):
            exported = {e.name: e for e in inp.module.exports if e.kind == FUNC_KIND}
            # An input whose relocations are exported but not its start function gets
            # them as start function: they must run before anything reads its data.
            relocs = exported.get("__wasm_apply_data_relocs")
            if relocs is not None and inp.module.start is None:
                inp.module.start = relocs.index
            if "__wasm_call_ctors" in exported:
                calls.append(self._import_func(k, "__wasm_call_ctors"))
            elif "__wasm_call_ctors" in function_names(inp.module):
                self.placement.warnings.append(
                    f"{inp.name}: __wasm_call_ctors is not exported, so its constructors cannot be run; "
                    "link it with --export=__wasm_call_ctors")
        for k, inp in enumerate(self.inputs):
            for e in inp.module.exports:
                if e.kind == FUNC_KIND and e.name == "_initialize" and (inp.name, e.name) not in self.placement.hidden:
                    calls.append(self._import_func(k, e.name))
                    self.placement.hidden.add((inp.name, e.name))
                elif e.kind == FUNC_KIND and e.name == "_start" and (inp.name, e.name) not in self.placement.hidden:
                    start = self._import_func(k, e.name)
                    self.placement.hidden.add((inp.name, e.name))
        if start is not None:
            calls.append(start)
        if not calls:
            return
        m = self.layout
        call = b"".join(b"\x10" + leb.write_unsigned(f) for f in calls)
        m.funcs.append(self._type(FuncType()))
        m.codes.append(Code([], call + b"\x0b"))
        imported = sum(1 for imp in m.imports if imp.kind == FUNC_KIND)
        m.exports.append(Export("_start" if start is not None else "_initialize", FUNC_KIND, imported))
