"""Reading PIC inputs for `pic.py`: their `dylink.0`, their dependency order, and the
few constant expressions a loader evaluates (segment offsets from `__table_base`)."""

from typing import TYPE_CHECKING

from .. import custom
from ..binary.code import decode_instrs
from ..binary.model import Expr
from ..errors import LinkError, Unsupported, WasmError
from .load import Input

if TYPE_CHECKING:  # for annotations: the handler is loaded only for inputs with the section
    from ..custom import dylink


def dylink_of(inp: Input) -> "dylink.Dylink | None":
    """The input's parsed `dylink.0` (None: not a PIC module); other versions are refused."""
    found = None
    for section in inp.module.customs:
        name = section.name
        if name == "dylink" or (name.startswith("dylink.") and name != custom.DYLINK):
            raise Unsupported(f"{inp.label}: custom section {name!r} is a dynamic-linking version this "
                              f"merger does not know (only {custom.DYLINK!r}); relink it with a current wasm-ld")
        if name == custom.DYLINK:
            try:
                found = custom.handler(name).parse(section.data)
            except WasmError as err:
                raise err.with_file(inp.label)
    return found


def dependency_order(loaded, infos) -> list[int]:
    """Input indices with every module's `needed` libraries before it (DFS, input order)."""
    by_name = {}
    for k, inp in enumerate(loaded):
        for key in (inp.name, inp.file, (inp.file or "").rsplit("/", 1)[-1], inp.name + ".wasm",
                    inp.name + ".so"):
            if key:
                by_name.setdefault(key, k)
    missing = []
    order, state = [], {}

    def visit(k):
        if state.get(k) is not None:
            return  # done, or on the stack: a cycle keeps the order it was found in
        state[k] = "busy"
        for need in infos[k].needed or ():
            target = by_name.get(need)
            if target is None:
                missing.append(f"{need} (needed by {loaded[k].name})")
            else:
                visit(target)
        state[k] = "done"
        order.append(k)

    for k in range(len(loaded)):
        visit(k)
    if missing:
        raise LinkError("needed libraries missing from the inputs: " + ", ".join(missing))
    return order


def function_names(module) -> set[str]:
    """The function names of a module's name section (empty when it has none or it is bad)."""
    for section in module.customs:
        if section.name == custom.NAME:
            try:
                return set(custom.handler(section.name).parse(section.data).subsections.get(1, {}).values())
            except WasmError:
                return set()
    return set()


def constant(expr: Expr | None, globals: dict | None = None) -> int | None:
    """The value of `i32.const c`, `global.get g` (g in `globals`) or their sum, else None."""
    if expr is None:
        return None
    try:
        instrs, _ = decode_instrs(expr.code, 0, len(expr.code))
    except WasmError:
        return None
    stack = []
    for instr in instrs:
        name = instr.op.name
        if name == "i32.const":
            stack.append(instr.args[0])
        elif name == "global.get" and globals and instr.args[0] in globals:
            stack.append(globals[instr.args[0]])
        elif name == "i32.add" and len(stack) >= 2:
            stack.append((stack.pop() + stack.pop()) & 0xFFFFFFFF)
        elif name == "end":
            break
        else:
            return None
    return stack[0] & 0xFFFFFFFF if len(stack) == 1 else None
