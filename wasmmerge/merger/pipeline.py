"""merge(): load, merge types, resolve, plan, rewrite, order instantiation, validate, encode."""

import time

from .. import collector
from ..binary.bodies import CodeTable
from ..binary.model import Code, ElemSegment, Expr, Global, Import, Module, Table
from ..binary.segments import DataSegments
from ..binary.types import FUNC_KIND, GLOBAL_KIND, MEMORY_KIND, TABLE_KIND, FuncType
from ..binary.writer import encode_module as encode
from ..binary.writer import write_module
from ..errors import ValidationError, WasmError
from ..usage import space_size_features, target_feature_name
from ..validator.canon import TypeStore, map_externtype, map_valtype
from .constexpr import ConstExprs
from .exports import merged_exports
from .init_order import PAGE, ModuleEffects, Step, plan_init_order, start_body
from .load import load_inputs
from .options import MergeOptions, MergeResult
from .overlap import overlap_warnings
from .pic import place_pic
from .plan import KIND_SPACES, Plan, plan_spaces
from .report import build_report
from .resolve import Defined, check_allowed, resolve
from .shared_imports import share_host_imports
from .target import check_target, merge_introduced
from .unused_tables import droppable_tables
from .verify import finish_codes
from .wasi_abi import apply_wasi_abi, find_roles, hide_initializers, wasi_memory_warnings

GENERATED_START_NAME = "__wasmmerge_start"


class _Phases:
    def __init__(self, callback):
        self.callback = callback
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, name: str):
        now = time.perf_counter()
        self.times[name] = now - self._last
        self._last = now
        if self.callback:
            self.callback(name, self.times[name])


def merge(inputs, options: MergeOptions | None = None, files=None) -> MergeResult:
    """Merge `[(name, bytes), ...]`, given in instantiation order, into one module."""
    # The cyclic garbage collector is off while merging: the merge makes millions of
    # objects and next to no cycles, and each full collection walks every object alive,
    # so a merge would cost more per MB the larger it is (measured: 1.4-1.6x at 16 MB).
    with collector.paused():
        return _merge(inputs, options, files)


def _merge(inputs, options: MergeOptions | None, files) -> MergeResult:
    options = options or MergeOptions()
    phases = _Phases(options.on_phase)
    warnings: list[str] = []
    loaded = load_inputs(inputs, files)
    placement = place_pic(loaded)  # PIC side modules: one memory and table, GOT filled
    regions = None
    if placement:
        loaded, inputs, regions = placement.inputs, placement.raw_inputs(inputs), placement.summary()
        warnings.extend(placement.warnings)
    elif options.single_memory:  # every input's memory relocated or lowered into one
        from .single_memory import single_memory  # lazy: only for --single-memory (2 ms of a small merge).
        for inp in loaded:  # which edits bodies and segments in place: objects, not rows
            inp.module.codes, inp.module.datas = list(inp.module.codes), list(inp.module.datas)
        relocated = single_memory(loaded, inputs)
        loaded, inputs, regions = relocated.inputs, relocated.raw, relocated.bases
    phases.done("load")

    # Only the merged types go into this store: its canonical ids are the output's type
    # indices, and its type list and rec groups the output's type section.
    types = TypeStore()
    type_maps = []
    for inp in loaded:
        try:
            type_maps.append(types.add_module(inp.module))
        except IndexError:
            raise ValidationError("a type names an unknown type", file=inp.label) from None
        except WasmError as err:
            raise err.with_file(inp.label)
    resolution = resolve(loaded, type_maps, types)
    share_host_imports(resolution, types, loaded)
    check_allowed(resolution, options.allow_imports, loaded)
    plan = plan_spaces(loaded, type_maps, types, resolution, droppable_tables(loaded))
    phases.done("resolve")

    out = Module(types=types.types, rec_groups=types.rec_groups, codes=CodeTable(), datas=DataSegments())
    out.imports = [Import(e.module, e.name, e.kind, e.type) for e in resolution.externals]
    consts = ConstExprs(loaded, plan)
    remaps: list = []  # per merged body: its input's Remap, None where nothing changes
    effects = _copy_definitions(loaded, plan, consts, out, remaps)
    if placement:
        placement.hide_exports(loaded)
    warnings.extend(overlap_warnings(loaded, effects))
    wasi_roles = find_roles(loaded, plan, warnings)
    hide_initializers(loaded, wasi_roles)
    out.exports = merged_exports(loaded, plan, options, warnings)
    wasi_memory_warnings(loaded, plan, out.exports, warnings)
    phases.done("rewrite")

    init = plan_init_order(effects, [t.limits.min for t in out.table_types()],
                           [m.limits.min * PAGE for m in out.memory_types()])
    generated = _apply_init_order(init, out, types)
    _set_datacount(loaded, out, init)
    introduced = merge_introduced(loaded, plan, out, init)
    check_target(options.target, loaded, out, plan, introduced, warnings)
    generated.update(apply_wasi_abi(wasi_roles, out, types.add_func_type))
    phases.done("order")

    if any(inp.module.customs for inp in loaded):
        # The custom-section handlers (and the parsing library under them) are a good
        # part of a tiny merge's time; inputs without custom sections never need them.
        # lazy: see above.
        from .customs import merge_customs
        skip_funcs = [{j for j, (imp, t) in enumerate(_func_imports(inp.module, resolution.targets[k]))
                       if isinstance(t, Defined)} for k, inp in enumerate(loaded)]
        out.customs = merge_customs(loaded, plan, skip_funcs, _needed_features(out, init), warnings, generated)
    remaps.extend([None] * (len(out.codes) - len(remaps)))  # the generated start function
    needs_debug = _needs_debug(loaded, options)
    moved_inputs = bool(placement) or options.single_memory
    # The debug info is spliced into the encoded bytes, so a merge carrying it is not streamed.
    stream = options.output is not None and not needs_debug
    code = finish_codes(out, loaded, plan, remaps, options.validate, inputs, options.jobs, stream)
    phases.done("code" + (" + validate" if options.validate else ""))

    if stream:
        out.codes = []  # the bodies are in the spill files: nothing here holds them
        data, size = None, write_module(out, options.output, code)
    else:
        data = encode(out)
        size = len(data)
    phases.done("encode")
    source_map = debug_file = None
    if needs_debug:
        debug = _carry_debug(inputs, loaded, plan, data, options, warnings, moved_inputs)
        data, source_map, debug_file, size = debug.data, debug.source_map, debug.debug_file, len(debug.data)
        phases.done("debug info")
        if options.output is not None:  # asked to stream: the module is written whole instead
            options.output.write(data)
            data = None
    report = build_report(loaded, plan, out, size, init)
    if regions is not None:
        report["memory_regions"] = regions
    return MergeResult(data, out, warnings, report, size, source_map, debug_file)


def _needs_debug(loaded, options: MergeOptions) -> bool:
    """Whether anything debug-related is to be carried (or recomputed, as build_id is)."""
    if options.input_debug_files or options.input_source_maps or options.output_source_map \
            or options.source_map_url:
        return True
    if not any(inp.module.customs for inp in loaded):
        return False
    # lazy: as merge_customs, only for inputs with custom sections.
    from ..custom import is_debug_info as handles
    return any(handles(c.name) for inp in loaded for c in inp.module.customs)


def _carry_debug(inputs, loaded, plan: Plan, data: bytes, options: MergeOptions, warnings: list[str],
                 moved_inputs: bool):
    """DWARF, source maps and the other debug metadata, moved with the code.

    PIC placement and `single_memory` rewrite the inputs' code before the merge proper,
    and the debug info does not follow that step yet: it is dropped, with a warning."""
    # lazy: only merges with debug info need it (and the custom-section handlers under it).
    from .debug import DebugOptions, DebugSource, carry_debug_info, handles
    strip = options.strip_debug
    if moved_inputs and not strip:
        strip = True
        if any(handles(c.name) and c.name != "build_id" for inp in loaded for c in inp.module.customs):
            warnings.append("debug info is not carried through PIC placement or --single-memory yet; dropped")
    sources = []
    for k, ((_, raw), inp) in enumerate(zip(inputs, loaded)):
        remap = plan.remap(k)
        sources.append(DebugSource(inp.name, inp.label, raw, None if remap.is_identity() else remap))
    debug_options = DebugOptions(
        strip=strip, strict=options.strict_debug, source_maps=options.input_source_maps,
        want_source_map=options.output_source_map and not strip, source_map_file=options.source_map_file,
        source_map_url=options.source_map_url, debug_files=options.input_debug_files,
        debug_file_url=options.debug_file_url)
    return carry_debug_info(sources, data, debug_options, warnings)


def _func_imports(module, targets):
    return [(imp, t) for imp, t in zip(module.imports, targets) if imp.kind == FUNC_KIND]


def _copy_definitions(loaded, plan: Plan, consts: ConstExprs, out: Module, remaps: list) -> list[ModuleEffects]:
    """Everything but the function bodies' index rewriting, which `finish_codes` does later
    in one pass with validation: bodies are copied as they are, with their Remap noted."""
    effects = []
    for k, inp in enumerate(loaded):
        m, maps, remap = inp.module, plan.maps[k], plan.remap(k)
        tmap = maps["type"].__getitem__
        try:
            out.funcs.extend(maps["type"][t] for t in m.funcs)
            first_table = m.count(TABLE_KIND) - len(m.tables)
            out.tables.extend(Table(map_externtype(t.type, tmap), consts.convert(k, t.init))
                              for n, t in enumerate(m.tables) if first_table + n not in plan.dropped_tables[k])
            out.memories.extend(m.memories)
            out.tags.extend(map_externtype(t, tmap) for t in m.tags)
            imported_globals = m.count(GLOBAL_KIND) - len(m.globals)
            for n, g in enumerate(m.globals):
                code = consts.global_init(k, imported_globals + n)
                out.globals.append(Global(map_externtype(g.type, tmap), Expr(code, g.init.offset)))
            elems = []
            for n, e in enumerate(m.elems):
                seg = ElemSegment(e.mode, map_valtype(e.type, tmap),
                                  funcs=None if e.funcs is None else [maps["func"][f] for f in e.funcs],
                                  exprs=None if e.exprs is None else [consts.convert(k, x) for x in e.exprs],
                                  table=maps["table"][e.table] if e.mode == "active" else 0,
                                  offset=consts.convert(k, e.offset), flags=e.flags)
                out.elems.append(seg)
                if e.mode == "active":
                    elems.append(Step("elem", maps["elem"][n], seg.table, seg.offset, seg.count))
            datas = _move_datas(m.datas, out.datas, maps["memory"], lambda expr, k=k: consts.convert(k, expr))
            _move_codes(m.codes, out.codes, remap, tmap)
            remaps.extend([None if remap.is_identity() else remap] * len(m.codes))
            m.codes = m.datas = []  # the merged module holds the bodies and segments now
            start = maps["func"][m.start] if m.start is not None else None
        except IndexError:
            raise ValidationError("an index is out of range", file=inp.label) from None
        except WasmError as err:
            raise err.with_file(inp.label)
        effects.append(ModuleEffects(elems, datas, start))
    _add_size_checks(loaded, plan, out, effects)  # once every memory and table is in place
    return effects


def _move_datas(datas, into: DataSegments, memories, convert) -> "ActiveDatas":
    """Append an input's data segments to the output's, in merged terms; its active ones as steps.

    A module may have ~10^5 segments: those read as rows over the input's bytes stay rows
    (`DataSegments.adopt`), and those held as objects are moved, not copied (the input's
    list is dropped by the caller)."""
    first = len(into)
    if isinstance(datas, DataSegments):
        into.adopt(datas, memories, convert)
    else:
        for seg in datas:
            seg.memory = memories[seg.memory] if seg.mode == "active" else 0
            seg.offset = convert(seg.offset)
            into.append(seg)
    return ActiveDatas(into, first, len(into))


class ActiveDatas:
    """The active data segments `first..stop` of the output as `init_order` steps, made
    when iterated rather than held (one each for ~10^5 segments)."""

    def __init__(self, datas: DataSegments, first: int, stop: int):
        self.datas, self.first, self.stop = datas, first, stop

    def memories(self) -> set[int]:
        """A superset of the memories these segments write to, without making the steps."""
        return self.datas.memories(self.first, self.stop)

    def __iter__(self):
        for index, memory, offset, size in self.datas.active(self.first, self.stop):
            yield Step("data", index, memory, offset, size)


def _add_size_checks(loaded, plan: Plan, out: Module, effects: list[ModuleEffects]) -> None:
    """Each input's deferred minimum-size checks, in one pass over all of them."""
    for effect in effects:
        effect.size_checks = []
    if not plan.resolution.size_checks:
        return
    types = {MEMORY_KIND: out.memory_types(), TABLE_KIND: out.table_types()}
    positions = {}  # input -> each import's position among the imports of its kind
    for k, j, kind, minimum in plan.resolution.size_checks:
        if k not in positions:
            seen, positions[k] = {}, []
            for imp in loaded[k].module.imports:
                positions[k].append(seen.get(imp.kind, 0))
                seen[imp.kind] = seen.get(imp.kind, 0) + 1
        space = KIND_SPACES[kind]
        index = plan.maps[k][space][positions[k][j]]
        effects[k].size_checks.append(Step(space, index, count=minimum,
                                           wide=types[kind][index].limits.address64))


def _move_codes(codes, into: CodeTable, remap, tmap) -> None:
    """Append an input's bodies to the output's with their local types in merged type
    indices (the bytes are rewritten later, by `finish_codes`). Those read as rows over
    the input's bytes stay rows (`CodeTable.adopt`)."""
    retype = None
    if remap.type is not None:
        def retype(groups):
            return [(n, map_valtype(t, tmap)) for n, t in groups]
    if isinstance(codes, CodeTable):
        into.adopt(codes, retype)
    else:
        into.extend(codes if retype is None else [Code(retype(c.locals), c.body, c.offset) for c in codes])


def _apply_init_order(init, out: Module, types: TypeStore) -> dict:
    for index in init.passive_elems:
        seg = out.elems[index]
        seg.mode, seg.offset, seg.table, seg.flags = "passive", None, 0, None
    for index in init.passive_datas:
        out.datas.make_passive(index)
    if init.needs_generated_start:
        out.funcs.append(types.add_func_type(FuncType()))
        out.codes.append(Code([], start_body(init.steps)))
        out.start = out.count(FUNC_KIND) - 1
        return {out.start: GENERATED_START_NAME}
    out.start = init.start
    return {}


def _set_datacount(loaded, out: Module, init):
    if not out.datas:
        return
    if init.passive_datas or any(inp.module.datacount is not None for inp in loaded) \
            or out.datas.has_passive():
        out.datacount = len(out.datas)


def _needed_features(out: Module, init) -> set[str]:
    needed = space_size_features(out)
    if init.passive_elems or init.passive_datas:
        needed.add("bulk-memory")
    return {target_feature_name(feature) for feature in needed}
