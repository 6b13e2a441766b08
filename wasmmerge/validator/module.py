"""Module-level validation: types, imports, definitions, segments, exports, start, code.

`Context` is the spec's validation context C, with every type canonical (heap types are
`TypeStore` ids); `validate_module` checks each part of the module against it, and each
function body with `func.FuncValidator`.
"""

from ..binary.code import decode_expr
from ..binary.opcodes import ALL_OPS, BY_NAME
from ..binary.types import (EXN, EXTERN, FUNC, FUNC_KIND, GLOBAL_KIND, I32, I64, MEMORY_KIND,
                            NOEXN, TABLE_KIND, TAG_KIND, AbsHeap, FuncType, GlobalType,
                            PackedType, RefType, StructType)
from ..errors import ValidationError
from ..features import ALL
from ..workers import map_chunks
from .canon import TypeStore
from .func import FuncValidator, is_plain_const
from .instructions import HANDLERS
from .table import (ADDRESSED, ADDRESSED_SIG, FIXED, FIXED_SIG, HANDLED, LOCAL_GET, LOCAL_SET,
                    LOCAL_TEE, byte_table)

KIND_WORDS = {FUNC_KIND: "function", TABLE_KIND: "table", MEMORY_KIND: "memory",
              GLOBAL_KIND: "global", TAG_KIND: "tag"}
MAX_PAGES32 = 1 << 16
MAX_PAGES64 = 1 << 48
MAX_TABLE32 = (1 << 32) - 1
_CONST_BASE = ("i32.const", "i64.const", "f32.const", "f64.const", "v128.const", "ref.null",
               "ref.func", "global.get", "end")
_CONST_EXTENDED = ("i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul")
_CONST_GC = ("struct.new", "struct.new_default", "array.new", "array.new_default",
             "array.new_fixed", "any.convert_extern", "extern.convert_any", "ref.i31")
# Abstract heap types and the feature that introduced each (func and extern are 2.0).
_HEAP_FEATURE = {EXN: "exceptions", NOEXN: "exceptions"}
_OPS_BY_FEATURES: dict = {}
REF_FUNC_BYTE = BY_NAME["ref.func"].encoding
_LOCAL_KINDS = {"local.get": LOCAL_GET, "local.set": LOCAL_SET, "local.tee": LOCAL_TEE}


def _unsupported(v, ins):
    # An instruction the opcode table gained without a typing rule here: never accept it.
    raise v.fail(f"unsupported: validation of {ins.op.name}")


def _ops_for(features):
    """Per feature set: the dispatch table (see `table.FIXED_SIG`), the byte-driven check's
    table (`table.byte_table`) and the constant instructions."""
    cached = _OPS_BY_FEATURES.get(features)
    if cached is None:
        dispatch = {}
        for op in ALL_OPS:
            if op.feature not in features:
                continue
            if op in FIXED:
                params, results = FIXED[op]
                dispatch[op] = (FIXED_SIG, params, results, len(params))
            elif op in ADDRESSED:
                dispatch[op] = (ADDRESSED_SIG, ADDRESSED[op])
            else:
                kind = _LOCAL_KINDS.get(op.name, HANDLED)
                dispatch[op] = (kind, HANDLERS.get(op.name, _unsupported))
        const = set(_CONST_BASE)
        if "extended-const" in features:
            const.update(_CONST_EXTENDED)
        if "gc" in features:
            const.update(_CONST_GC)
        cached = _OPS_BY_FEATURES[features] = (dispatch, byte_table(dispatch, features), frozenset(const))
    return cached


class Context:
    """The validation context of one module (the spec's C), canonical types throughout."""

    def __init__(self, module, features, store):
        self.module, self.features, self.store = module, features, store
        self.multi_memory = "multi-memory" in features
        self.dispatch, self.byte_table, self.const_ops = _ops_for(features)
        self.call_signatures: dict = {}  # function index -> (params, results, len(params)), as met
        self.type_ids: list[int] = []
        self.funcs: list[int] = []  # canonical type id of every function
        self.tables: list[tuple[RefType, bool]] = []  # element type, is 64-bit
        self.mem64: list[bool] = []
        self.globals: list[GlobalType] = []
        self.tags: list[int] = []
        self.elems: list[RefType] = []
        self.refs: set[int] = set()
        self._canon_cache: dict = {}
        self._index_of: dict | None = None  # canonical id -> first type index, for messages

    # -- failing -------------------------------------------------------------------------

    @staticmethod
    def _fail(v, message):
        return v.fail(message) if v is not None else ValidationError(message)

    # -- types ---------------------------------------------------------------------------

    def require(self, feature, what):
        if feature not in self.features:
            raise ValidationError(f"{what} requires the {feature} feature")

    def canon_heap(self, heap, v=None):
        if isinstance(heap, AbsHeap):
            if heap is not FUNC and heap is not EXTERN:
                self.require(_HEAP_FEATURE.get(heap, "gc"), f"heap type {heap}")
            return heap
        self.require("function-references", "a concrete heap type")
        if heap >= len(self.type_ids):
            raise self._fail(v, f"unknown type {heap}")
        return self.type_ids[heap]

    def canon_valtype(self, t):
        if not isinstance(t, RefType):
            return t
        cached = self._canon_cache.get(t)
        if cached is None:
            if not t.nullable:
                self.require("function-references", "a non-nullable reference type")
            cached = self._canon_cache[t] = RefType(t.nullable, self.canon_heap(t.heap))
        return cached

    def comp(self, type_index, v=None):
        if type_index >= len(self.type_ids):
            raise self._fail(v, f"unknown type {type_index}")
        return self.store.comp(self.type_ids[type_index])

    def func_type(self, type_index, v=None) -> FuncType:
        comp = self.comp(type_index, v)
        if not isinstance(comp, FuncType):
            raise self._fail(v, f"type mismatch: type {type_index} is not a function type")
        return comp

    def show(self, t) -> str:
        """A canonical type as text, with concrete heap types as this module's type indices."""
        if not isinstance(t, RefType) or isinstance(t.heap, AbsHeap):
            return str(t)
        if self._index_of is None:
            self._index_of = {}
            for index, type_id in enumerate(self.type_ids):
                self._index_of.setdefault(type_id, index)
        return str(RefType(t.nullable, self._index_of.get(t.heap, t.heap)))

    @staticmethod
    def addr(is64):
        return I64 if is64 else I32

    # -- index spaces ------------------------------------------------------------------------

    def func_type_id(self, index, v=None) -> int:
        if index >= len(self.funcs):
            raise self._fail(v, f"unknown function {index}")
        return self.funcs[index]

    def func_type_of(self, index, v=None) -> FuncType:
        return self.store.comp(self.func_type_id(index, v))

    def table(self, index, v=None):
        if index >= len(self.tables):
            raise self._fail(v, f"unknown table {index}")
        return self.tables[index]

    def global_type(self, index, v=None) -> GlobalType:
        if index >= len(self.globals):
            raise self._fail(v, f"unknown global {index}")
        return self.globals[index]

    def tag_type(self, index, v=None) -> FuncType:
        if index >= len(self.tags):
            raise self._fail(v, f"unknown tag {index}")
        return self.store.comp(self.tags[index])

    def elem_type(self, index, v=None) -> RefType:
        if index >= len(self.elems):
            raise self._fail(v, f"unknown elem segment {index}")
        return self.elems[index]

    def check_data(self, index, v=None):
        count = self.module.datacount if self.module.datacount is not None else len(self.module.datas)
        if index >= count:
            raise self._fail(v, f"unknown data segment {index}")


# -- the parts of a module ------------------------------------------------------------------

def _check_types(ctx: Context):
    module = ctx.module
    if module.rec_groups:
        ctx.require("gc", "a rec group")
    ctx.type_ids = ids = ctx.store.add_module(module)
    # A sub type without supertypes is checked by what it is, not where it stands: one
    # check per distinct object (the reader shares equal simple function types).
    checked = set()
    for index, st in enumerate(module.types):
        if not st.supers:
            if id(st) in checked:
                continue
            checked.add(id(st))
        comp = st.comp
        if not isinstance(comp, FuncType) or st.supers or not st.final:
            ctx.require("gc", "a struct, array or sub type")
        for t in _valtypes_of(comp):
            ctx.canon_valtype(t)
        if len(st.supers) > 1:
            raise ValidationError(f"sub type {index} has more than one supertype")
        for sup in st.supers:
            if sup >= index:
                raise ValidationError(f"unknown type {sup}: sub type {index} must name an earlier supertype")
            parent = ctx.store.subtype(ids[sup])
            if parent.final:
                raise ValidationError(f"sub type {index} extends final type {sup}")
            if not ctx.store.comp_matches(ctx.store.comp(ids[index]), parent.comp):
                raise ValidationError(f"sub type {index} does not match its supertype {sup}")


def _valtypes_of(comp):
    if isinstance(comp, FuncType):
        return comp.params + comp.results
    fields = comp.fields if isinstance(comp, StructType) else (comp.field,)
    return tuple(f.storage for f in fields if not isinstance(f.storage, PackedType))


def _check_limits(limits, bound, too_large):
    if limits.max is not None and limits.min > limits.max:
        raise ValidationError("size minimum must not be greater than maximum")
    if limits.min > bound or (limits.max is not None and limits.max > bound):
        raise ValidationError(too_large)


def _add_table(ctx, table_type):
    limits = table_type.limits
    if limits.address64:
        ctx.require("memory64", "a 64-bit table")
    if limits.shared:
        raise ValidationError("tables cannot be shared")
    if not limits.address64:
        _check_limits(limits, MAX_TABLE32, "table size must be at most 2^32-1 entries")
    else:
        _check_limits(limits, (1 << 64) - 1, "table size must be at most 2^64-1 entries")
    elem = ctx.canon_valtype(table_type.elem)
    ctx.tables.append((elem, limits.address64))
    return elem


def _add_memory(ctx, mem_type):
    limits = mem_type.limits
    if limits.address64:
        ctx.require("memory64", "a 64-bit memory")
    if limits.shared:
        ctx.require("threads", "a shared memory")
        if limits.max is None:
            raise ValidationError("shared memory must have maximum")
    if limits.address64:
        _check_limits(limits, MAX_PAGES64, "memory size must be at most 2^48 pages")
    else:
        _check_limits(limits, MAX_PAGES32, "memory size must be at most 65536 pages (4GiB)")
    ctx.mem64.append(limits.address64)
    if len(ctx.mem64) > 1 and not ctx.multi_memory:
        raise ValidationError("multiple memories")


def _add_tag(ctx, tag_type):
    ctx.require("exceptions", "a tag")
    ft = ctx.func_type(tag_type.type)
    if ft.results:
        raise ValidationError("non-empty tag result type")
    ctx.tags.append(ctx.type_ids[tag_type.type])


def _add_func(ctx, type_index):
    ctx.func_type(type_index)
    ctx.funcs.append(ctx.type_ids[type_index])


def _check_imports(ctx):
    for imp in ctx.module.imports:
        if imp.kind == FUNC_KIND:
            _add_func(ctx, imp.type)
        elif imp.kind == TABLE_KIND:
            _add_table(ctx, imp.type)
        elif imp.kind == MEMORY_KIND:
            _add_memory(ctx, imp.type)
        elif imp.kind == GLOBAL_KIND:
            ctx.globals.append(GlobalType(ctx.canon_valtype(imp.type.type), imp.type.mutable))
        else:
            _add_tag(ctx, imp.type)


def _const_exprs(module):
    """Every constant expression outside function bodies."""
    for table in module.tables:
        if table.init is not None:
            yield table.init
    for g in module.globals:
        yield g.init
    for seg in module.elems:
        if seg.offset is not None:
            yield seg.offset
        yield from seg.exprs or ()
    for seg in module.datas:
        if seg.offset is not None:
            yield seg.offset


def _collect_refs(ctx):
    """C.refs: functions referenced outside function bodies (ref.func may use only these)."""
    module = ctx.module
    refs = ctx.refs
    for exp in module.exports:
        if exp.kind == FUNC_KIND:
            refs.add(exp.index)
    for seg in module.elems:
        refs.update(seg.funcs or ())
    for expr in _const_exprs(module):
        if REF_FUNC_BYTE not in expr.code:
            continue  # no ref.func in it (most are one i32.const): no need to decode it
        for ins in decode_expr(expr, True, ctx.multi_memory):
            if ins.op.name == "ref.func":
                refs.add(ins.args[0])


def _check_const(ctx, expr, expected, globals_visible):
    if not is_plain_const(expr.code, expected):  # most are: a module may have 10^5 segments
        FuncValidator(ctx).check_const(expr, expected, globals_visible)


def _visible_globals(ctx, defined_before):
    """How many globals a constant expression may read: 2.0 allows imported ones only."""
    imported = sum(1 for imp in ctx.module.imports if imp.kind == GLOBAL_KIND)
    return imported + defined_before if "gc" in ctx.features else imported


def _check_definitions(ctx):
    module = ctx.module
    for type_index in module.funcs:
        _add_func(ctx, type_index)
    _collect_refs(ctx)
    for table in module.tables:
        elem = _add_table(ctx, table.type)
        if table.init is not None:
            ctx.require("function-references", "a table initialiser")
            _check_const(ctx, table.init, elem, _visible_globals(ctx, 0))
        elif not elem.nullable:
            raise ValidationError(f"type mismatch: a table of {ctx.show(elem)} needs an initialiser")
    for mem in module.memories:
        _add_memory(ctx, mem)
    for tag in module.tags:
        _add_tag(ctx, tag)
    for i, g in enumerate(module.globals):
        gtype = GlobalType(ctx.canon_valtype(g.type.type), g.type.mutable)
        _check_const(ctx, g.init, gtype.type, _visible_globals(ctx, i))
        ctx.globals.append(gtype)


def _check_elems(ctx):
    visible = len(ctx.globals) if "gc" in ctx.features else _visible_globals(ctx, 0)
    for seg in ctx.module.elems:
        etype = ctx.canon_valtype(seg.type)
        if seg.funcs is not None and "function-references" in ctx.features:
            # 3.0 types a segment of function indices (ref func): its entries are never null.
            etype = RefType(False, FUNC)
        if seg.funcs is not None:
            for index in seg.funcs:
                if not ctx.store.ref_matches(RefType(False, ctx.func_type_id(index)), etype):
                    raise ValidationError(f"type mismatch: function {index} in a segment of {ctx.show(etype)}")
        else:
            for expr in seg.exprs:
                _check_const(ctx, expr, etype, visible)
        if seg.mode == "active":
            table_elem, is64 = ctx.table(seg.table)
            _check_const(ctx, seg.offset, ctx.addr(is64), visible)
            if not ctx.store.ref_matches(etype, table_elem):
                raise ValidationError(f"type mismatch: segment of {ctx.show(etype)} for a table of {ctx.show(table_elem)}")
        ctx.elems.append(etype)


def _check_datas(ctx):
    visible = len(ctx.globals) if "gc" in ctx.features else _visible_globals(ctx, 0)
    for seg in ctx.module.datas:
        if seg.mode == "active":
            if seg.memory >= len(ctx.mem64):
                raise ValidationError(f"unknown memory {seg.memory}")
            _check_const(ctx, seg.offset, ctx.addr(ctx.mem64[seg.memory]), visible)


def _check_start(ctx):
    start = ctx.module.start
    if start is not None:
        ft = ctx.func_type_of(start)
        if ft.params or ft.results:
            raise ValidationError(f"start function {start} must take and return nothing")


def _check_exports(ctx):
    counts = {FUNC_KIND: len(ctx.funcs), TABLE_KIND: len(ctx.tables), MEMORY_KIND: len(ctx.mem64),
              GLOBAL_KIND: len(ctx.globals), TAG_KIND: len(ctx.tags)}
    names = set()
    for exp in ctx.module.exports:
        if exp.index >= counts[exp.kind]:
            raise ValidationError(f"unknown {KIND_WORDS[exp.kind]} {exp.index}")
        if exp.name in names:
            raise ValidationError(f"duplicate export name {exp.name!r}")
        names.add(exp.name)


def check_body(ctx, index: int, code) -> None:
    """Type-check the body `code` of function `index` (imports counted) of `ctx.module`.

    The per-function check: `check_codes` runs it over every body, the merger over each
    body it has just rewritten. A `ValidationError` carries the function index in `func`.
    """
    if code.body == b"\x0b" and not code.locals and not ctx.store.comp(ctx.funcs[index]).results:
        return  # an empty body of a function returning nothing: valid, and common in bulk
    FuncValidator(ctx, index).check_function(ctx.funcs[index], code)


def check_codes(ctx, jobs: int | None = None) -> None:
    """Type-check every function body of `ctx.module`; large modules in forked workers.

    `jobs` processes (default: see `workers.worker_count`) take contiguous ranges of
    bodies, so the error raised is the first a sequential check finds.
    """
    imported = len(ctx.funcs) - len(ctx.module.funcs)
    codes = ctx.module.codes

    def check_range(start: int, stop: int) -> None:
        for i in range(start, stop):
            check_body(ctx, imported + i, codes[i])

    map_chunks(check_range, codes, jobs)


def check_module(module, features=None, store: TypeStore | None = None) -> Context:
    """Every rule but the function bodies' (see `check_codes`); the validation context."""
    features = ALL if features is None else frozenset(features)
    ctx = Context(module, features, store if store is not None else TypeStore())
    _check_types(ctx)
    _check_imports(ctx)
    _check_definitions(ctx)
    _check_elems(ctx)
    _check_datas(ctx)
    _check_start(ctx)
    _check_exports(ctx)
    return ctx


def validate_module(module, features=None, store: TypeStore | None = None, jobs: int | None = None) -> Context:
    """Check that `module` is valid; raise `ValidationError` (with offset and function) if not.

    `features` defaults to everything we read (`features.ALL`). Types are interned into
    `store` (a fresh one by default); the returned context maps the module's indices to
    canonical types. `jobs` is the number of processes checking function bodies
    (default: one per core for modules with at least 1 MiB of code, else one; see
    `workers.worker_count`).
    """
    ctx = check_module(module, features, store)
    check_codes(ctx, jobs)
    return ctx
