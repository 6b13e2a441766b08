"""The reference engine: one loop over an explicit frame stack.

Calls push a frame record instead of recursing in Python, so the call depth limit is
ours ("call stack exhausted"), a tail call replaces its frame (constant Python stack
and constant frame stack), and fuel is checked where execution can loop (branches and
calls). One value stack per invocation holds every frame's locals and operands; a
frame is `fp`, the index of its first local.
"""

import struct

from ..errors import Exhaustion, Trap, WasmError
from .kinds import (BINOP, BR, BR_IF, BR_TABLE, CALL, CALL_INDIRECT, CALLOUT, CONST,
                    CALL_REF, RETURN_CALL_REF, BR_ON_CAST, BR_ON_NULL, BR_ON_NON_NULL,
                    CONST_BINOP, DROP, GLOBAL_GET, GLOBAL_SET, JUMP, JUMP_IF, JUMP_UNLESS, LOAD,
                    LOCAL_BINOP, LOCAL_CONST_BINOP, LOCAL_GET, LOCAL_LOCAL_BINOP, LOCAL_SET,
                    LOCAL_TEE, RETURN, RETURN_CALL, RETURN_CALL_INDIRECT, SELECT, STORE, TERNOP,
                    HANDLERS, THROW, THROW_REF, UNOP, UNREACHABLE)
from .prepare import prepare
from .prepare_eh import DELEGATE, LEGACY_CATCH
from .store import ExnInstance

# Host functions may call back into wasm; each such re-entry is a Python-level nesting.
MAX_REENTRY = 50
NO_FUEL = 1 << 62
NO_HANDLERS = ((HANDLERS, ()),)  # the code of no function: nothing catches there


def invoke_reference(store, func, args) -> list:
    """Call a function instance on this engine (`engines.invoke` chooses the engine)."""
    stack = list(args)
    if func.host is not None:
        call_host(func, stack)
        return stack
    if store.reentry >= MAX_REENTRY:
        raise Exhaustion("call stack exhausted")
    store.reentry += 1
    try:
        run(store, func, stack)
    finally:
        store.reentry -= 1
    return stack


def call_host(func, stack):
    """Pop the host function's arguments, call it, push what it returns."""
    nparams = len(func.type.params)
    if nparams:
        args = stack[-nparams:]
        del stack[-nparams:]
    else:
        args = ()
    result = func.host(*args)
    nresults = len(func.type.results)
    if nresults == 1:
        stack.append(result)
    elif nresults:
        result = list(result)
        if len(result) != nresults:
            raise Trap(f"host function returned {len(result)} values, expected {nresults}")
        stack.extend(result)


def resolve_indirect(table, expected, types, index):
    """The function at `index` of `table`, checked against canonical type id `expected`."""
    elems = table.elems
    if index >= len(elems):
        raise Trap("undefined element")
    func = elems[index]
    if func is None:
        raise Trap(f"uninitialized element {index}")
    if not types.is_subtype(func.type_id, expected):
        raise Trap("indirect call type mismatch")
    return func


class WasmException(WasmError):
    """A wasm exception no handler caught (escaping to the host); `exn` is the exception."""

    def __init__(self, exn):
        super().__init__("uncaught exception")
        self.exn = exn


def catch(thrown, stack, frames, code, pc, fp, nres):
    """Unwind to the innermost handler catching `thrown`: the frame state to resume in.

    A frame's handlers are the last entry of its code (see `prepare_eh`): try bodies as
    index ranges, innermost first, each with its catch clauses and parent. The throwing
    instruction is at pc - 1, and so is the call in each caller's frame.
    """
    exn = thrown.exn
    while True:
        handlers = code[-1][1]
        at = pc - 1
        index = next((i for i, h in enumerate(handlers) if h[0] <= at < h[1]), None)
        while index is not None:
            start, end, catches, parent = handlers[index]
            for kind, tag, target, extra, height in catches:
                if kind == DELEGATE:
                    parent = target
                    break
                if tag is None or tag is exn.tag:
                    del stack[fp + height:]
                    if kind >= LEGACY_CATCH:
                        stack[fp + extra] = exn  # the hidden local `rethrow` reads
                        if kind == LEGACY_CATCH:
                            stack.extend(exn.values)
                        return code, target, fp, nres
                    if kind <= 1:
                        stack.extend(exn.values)
                    if kind & 1:
                        stack.append(exn)
                    return code, target, fp, nres
            index = parent
        if not frames:
            raise thrown
        code, pc, fp, nres = frames.pop()


def run(store, func, stack):
    """Run `func` on `stack` (holding its arguments) until it returns; results stay on it."""
    prepared = func.prepared or prepare(func)
    code = prepared.code
    pc = 0
    fp = 0
    nres = prepared.nresults
    if prepared.locals:
        stack.extend(prepared.locals)
    frames = []
    max_depth = store.max_call_depth
    fuel = store.fuel
    limit = NO_FUEL if fuel is None else fuel
    steps = 0
    pop = stack.pop
    push = stack.append
    try:
        while True:
            try:
                while True:
                    ins = code[pc]
                    pc += 1
                    steps += 1
                    kind = ins[0]
                    if kind == LOCAL_GET:
                        push(stack[fp + ins[1]])
                    elif kind == LOCAL_CONST_BINOP:
                        push(ins[3](stack[fp + ins[1]], ins[2]))
                        steps += 2
                    elif kind == LOCAL_SET:
                        stack[fp + ins[1]] = pop()
                    elif kind == CONST:
                        push(ins[1])
                    elif kind == BINOP:
                        b = pop()
                        stack[-1] = ins[1](stack[-1], b)
                    elif kind == LOCAL_LOCAL_BINOP:
                        push(ins[3](stack[fp + ins[1]], stack[fp + ins[2]]))
                        steps += 2
                    elif kind == CONST_BINOP:
                        stack[-1] = ins[2](stack[-1], ins[1])
                        steps += 1
                    elif kind == LOCAL_BINOP:
                        stack[-1] = ins[2](stack[-1], stack[fp + ins[1]])
                        steps += 1
                    elif kind == JUMP_IF:
                        if pop():
                            pc = ins[1]
                            if steps > limit:
                                raise Exhaustion("out of fuel")
                    elif kind == LOAD:
                        value = ins[3](ins[1], stack[-1] + ins[2])[0]
                        if ins[4]:
                            value &= ins[4]
                        stack[-1] = value
                    elif kind == STORE:
                        value = pop()
                        ins[3](ins[1], pop() + ins[2], value & ins[4])
                    elif kind == CALL or kind == CALL_INDIRECT or kind == CALL_REF:
                        if kind == CALL:
                            callee = ins[1]
                        elif kind == CALL_REF:
                            callee = pop()
                            if callee is None:
                                raise Trap("null function reference")
                        else:
                            index = pop()
                            elems = ins[1].elems
                            callee = elems[index] if index < len(elems) else None
                            if callee is None or callee.type_id != ins[2]:
                                callee = resolve_indirect(ins[1], ins[2], ins[3], index)
                        target = callee.prepared
                        if target is None:
                            if callee.host is not None:
                                call_host(callee, stack)
                                continue
                            target = prepare(callee)
                        if len(frames) >= max_depth:
                            raise Exhaustion("call stack exhausted")
                        if steps > limit:
                            raise Exhaustion("out of fuel")
                        frames.append((code, pc, fp, nres))
                        code = target.code
                        pc = 0
                        fp = len(stack) - target.nparams
                        nres = target.nresults
                        if target.locals:
                            stack.extend(target.locals)
                    elif kind == JUMP_UNLESS:
                        if not pop():
                            pc = ins[1]
                    elif kind == JUMP:
                        pc = ins[1]
                        if steps > limit:
                            raise Exhaustion("out of fuel")
                    elif kind == UNOP:
                        stack[-1] = ins[1](stack[-1])
                    elif kind == LOCAL_TEE:
                        stack[fp + ins[1]] = stack[-1]
                    elif kind == GLOBAL_GET:
                        push(ins[1].value)
                    elif kind == GLOBAL_SET:
                        ins[1].value = pop()
                    elif kind == RETURN:
                        if nres:
                            del stack[fp:-nres]
                        else:
                            del stack[fp:]
                        if not frames:
                            return
                        code, pc, fp, nres = frames.pop()
                    elif kind == BR_IF or kind == BR:
                        if kind == BR or pop():
                            arity = ins[2]
                            if arity:
                                del stack[fp + ins[3]:-arity]
                            else:
                                del stack[fp + ins[3]:]
                            pc = ins[1]
                            if steps > limit:
                                raise Exhaustion("out of fuel")
                    elif kind == DROP:
                        pop()
                    elif kind == SELECT:
                        cond = pop()
                        b = pop()
                        if not cond:
                            stack[-1] = b
                    elif kind == BR_TABLE:
                        index = pop()
                        targets = ins[1]
                        pc, arity, height = targets[index] if index < len(targets) else ins[2]
                        if len(stack) - arity != fp + height:
                            if arity:
                                del stack[fp + height:-arity]
                            else:
                                del stack[fp + height:]
                        if steps > limit:
                            raise Exhaustion("out of fuel")
                    elif kind == TERNOP:
                        c = pop()
                        b = pop()
                        stack[-1] = ins[1](stack[-1], b, c)
                    elif kind == CALLOUT:
                        ins[1](stack)
                    elif kind == RETURN_CALL or kind == RETURN_CALL_INDIRECT or kind == RETURN_CALL_REF:
                        if kind == RETURN_CALL:
                            callee = ins[1]
                        elif kind == RETURN_CALL_REF:
                            callee = pop()
                            if callee is None:
                                raise Trap("null function reference")
                        else:
                            callee = resolve_indirect(ins[1], ins[2], ins[3], pop())
                        if steps > limit:
                            raise Exhaustion("out of fuel")
                        target = callee.prepared
                        if target is None and callee.host is None:
                            target = prepare(callee)
                        nargs = len(callee.type.params)
                        # Move the arguments down over the caller's frame, then run the callee in it.
                        if nargs:
                            del stack[fp:-nargs]
                        else:
                            del stack[fp:]
                        if target is None:
                            # The caller's frame is gone: its handlers must not catch
                            # what the host function throws, so resume in its caller first.
                            if frames:
                                code, pc, fp, nres = frames.pop()
                                call_host(callee, stack)
                                continue
                            code = NO_HANDLERS
                            call_host(callee, stack)
                            return
                        code = target.code
                        pc = 0
                        nres = target.nresults
                        if target.locals:
                            stack.extend(target.locals)
                    elif kind == BR_ON_NULL or kind == BR_ON_NON_NULL:
                        if (stack[-1] is None) == (kind == BR_ON_NULL):
                            if kind == BR_ON_NULL:
                                pop()
                            arity = ins[2]
                            if len(stack) - arity != fp + ins[3]:
                                del stack[fp + ins[3]:len(stack) - arity]
                            pc = ins[1]
                        elif kind == BR_ON_NON_NULL:
                            pop()
                    elif kind == BR_ON_CAST:
                        if bool(ins[4](stack[-1])) == ins[5]:
                            arity = ins[2]
                            if len(stack) - arity != fp + ins[3]:
                                del stack[fp + ins[3]:len(stack) - arity]
                            pc = ins[1]
                    elif kind == THROW:
                        nargs = ins[2]
                        values = stack[len(stack) - nargs:]
                        del stack[len(stack) - nargs:]
                        raise WasmException(ExnInstance(ins[1], values))
                    elif kind == THROW_REF:
                        exn = pop()
                        if exn is None:
                            raise Trap("null exception reference")
                        raise WasmException(exn)
                    elif kind == UNREACHABLE:
                        raise Trap("unreachable")
                    else:
                        raise AssertionError(f"unknown engine instruction {ins!r}")
            except WasmException as thrown:
                code, pc, fp, nres = catch(thrown, stack, frames, code, pc, fp, nres)
    except struct.error:
        raise Trap("out of bounds memory access") from None
    except (IndexError, OverflowError):
        # struct's offsets are C integers: a 64-bit address past them is out of bounds too.
        if ins[0] == LOAD or ins[0] == STORE:
            raise Trap("out of bounds memory access") from None
        raise
    except RecursionError:
        raise Exhaustion("call stack exhausted") from None
    except MemoryError:
        raise Exhaustion("out of memory") from None
    finally:
        if fuel is not None:
            store.fuel = max(0, fuel - steps)
