"""The hot loop of the body check: instructions read straight from the bytes.

`run_bytes` walks a body (or constant expression), looking each instruction up by its
first byte in the context's byte table (`table.byte_table`). The common cases are checked
inline; the rest, and every mismatch, go to the handlers in `instructions.py` through the
`FuncValidator`, which owns the stacks and words the errors. `Frame` is one entry of the
control stack.
"""

from ..binary.code import Instr, read_op
from ..binary.types import I32, RefType
from ..errors import DecodeError
from .table import (B_ADDRESSED, B_BINARY, B_BR_IF, B_CALL, B_CONST, B_DROP, B_END, B_FIXED,
                    B_GLOBAL_GET, B_GLOBAL_SET, B_IF, B_LOCAL_GET, B_LOCAL_SET, B_LOCAL_TEE, B_NOP,
                    B_OFF, B_PREFIX, B_RETURN, B_SELECT, B_STORE, B_UNARY, B_UNREACHABLE,
                    FIXED_KINDS, INDEX_KINDS, MEMORY_KINDS, SIMPLE_BLOCK_TYPES)

_NOTHING_READABLE = [None] * 0x100
_MAX_LISTED = 1 << 20  # bytes of the largest body the hot loop copies into a list
EMPTY = []  # the parameters of a block without any (shared: a frame never changes them)


class Frame:
    __slots__ = ("kind", "params", "results", "labels", "height", "unreachable", "init_height")

    def __init__(self, kind, params, results, height, init_height):
        self.kind, self.params, self.results = kind, params, results
        self.labels = params if kind == "loop" else results  # what a branch to it takes
        self.height, self.init_height = height, init_height
        self.unreachable = False



def run_bytes(v, data, pos, base):
    """Check the instructions of `data` from `pos` to the end of `v`'s outermost frame (`v`:
    a `func.FuncValidator`); the position after it. Offsets in errors are `base + position`."""
    # The hot loop, over the bytes: each instruction's entry (table.py) comes from its
    # first byte. Quick tests, commonest first, take fixed signatures, local and global
    # accesses, direct calls, loads and stores and the common control instructions in
    # their common forms; the general code after them takes the rest of those forms, and
    # everything else (and every mismatch, to word the error) goes to a handler, which
    # sees the instruction through `ins`, one reused object.
    ctx = v.ctx
    by_byte, by_op, prof = ctx.byte_table
    stack, ctrls, init_log = v.stack, v.ctrls, v.init_log
    frame = ctrls[-1]
    floor = frame.height  # the operand stack's bottom in the current frame
    local_types = v.locals.types if v.locals.ends is None else ()
    local_count = len(local_types)
    # What local.get may push and local.set/tee may pop without a check, for indices of one
    # byte (any byte: the rest are None): None for a non-defaultable local, which must be
    # initialised first, and for an index past the locals (the handler knows).
    readable = [None if t.__class__ is RefType and not t.nullable else t for t in local_types[:0x80]]
    readable += [None] * (0x100 - len(readable))
    if by_byte[0x20][0] != B_LOCAL_GET:  # a feature set without the MVP: say so
        readable = _NOTHING_READABLE
    i32_const = 0x41 if by_byte[0x41][0] == B_CONST else -1
    globals_ = ctx.globals
    global_count = len(globals_)
    calls = ctx.call_signatures
    mem64 = ctx.mem64
    memory0 = (1 if mem64[0] else 0) if mem64 else None
    # The address type (0: 32-bit, 1: 64-bit) of each memory that a memarg may name in one
    # byte; none without multi-memory, where the flags' bit 6 is no memory index.
    memory_kinds = [1 if is64 else 0 for is64 in mem64[:0x80]] if ctx.multi_memory else []
    memory_count = len(memory_kinds)
    datacount = ctx.module.datacount is not None
    ins = Instr(None, (), 0)
    # The bytes as a list of ints: CPython indexes a list faster than bytes (it has a
    # specialised instruction for it); with the copy counted, the check runs 5% fewer
    # machine instructions on swc and esbuild. The list takes 8 bytes per byte, so a huge
    # body (real ones stay below 200 KB) is indexed as it is. The codec's readers get `data`.
    byte = list(data) if len(data) <= _MAX_LISTED else data
    # Frames that the quick `end` popped, for the quick `block`/`loop`/`if` to reuse
    # (nothing else holds them; a `Frame` call costs more than setting its fields).
    spare = []
    while True:
        # The commonest instructions first, each in its commonest form, with the fewest
        # steps; `pos` is the opcode's position until the instruction is done. When a quick
        # test fails, the general code below checks the instruction again, from `start`.
        b = byte[pos]
        if b == 0x20:  # local.get of a local below 128
            t = readable[byte[pos + 1]]
            if t is not None:
                pos += 2
                stack.append(t)
                continue
        elif b == i32_const:  # with a one-byte constant
            if byte[pos + 1] < 0x80:
                pos += 2
                stack.append(I32)
                continue
        entry = by_byte[b]
        kind = entry[0]
        # Three groups of four, told apart by range first (see table.py), the commonest
        # first in each; then the rarer ones one by one.
        if kind < B_LOCAL_SET:
            if kind == B_BINARY:
                if len(stack) - floor >= 2 and stack[-1] is entry[7] and stack[-2] is entry[8]:
                    pos += 1
                    del stack[-1]
                    stack[-1] = entry[6]
                    continue
            elif kind == B_UNARY:
                if len(stack) > floor and stack[-1] is entry[7]:
                    pos += 1
                    stack[-1] = entry[6]
                    continue
            elif kind == B_CONST:
                end = pos + 1
                while byte[end] >= 0x80:
                    end += 1
                if end - pos < -entry[4]:
                    pos = end + 1
                    stack.append(entry[6])
                    continue
            else:  # B_LOAD
                # memory 0, alignment flags up to the natural, an offset of at most four
                # bytes (below 2^28: in range for any memory)
                flags = byte[pos + 1]
                if flags <= entry[3] and memory0 is not None:
                    end = pos + 2
                    while byte[end] >= 0x80:
                        end += 1
                    if end - pos < 6:
                        params, results = entry[2][memory0]
                        if len(stack) > floor and stack[-1] is params[0]:
                            pos = end + 1
                            stack[-1] = results[0]
                            continue
                # the same naming its memory in one byte (multi-memory: flag 0x40)
                elif 0x40 <= flags <= entry[3] + 0x40 and byte[pos + 2] < memory_count:
                    end = pos + 3
                    while byte[end] >= 0x80:
                        end += 1
                    if end - pos < 7:
                        params, results = entry[2][memory_kinds[byte[pos + 2]]]
                        if len(stack) > floor and stack[-1] is params[0]:
                            pos = end + 1
                            stack[-1] = results[0]
                            continue
        elif kind < B_LOCAL_TEE:
            if kind == B_LOCAL_SET:
                t = readable[byte[pos + 1]]
                if t is not None and len(stack) > floor and stack[-1] is t:
                    pos += 2
                    stack.pop()
                    continue
            elif kind == B_STORE:
                flags = byte[pos + 1]
                if flags <= entry[3] and memory0 is not None:
                    end = pos + 2
                    while byte[end] >= 0x80:
                        end += 1
                    if end - pos < 6:
                        params = entry[2][memory0][0]
                        if len(stack) - floor >= 2 and stack[-1] is params[1] and stack[-2] is params[0]:
                            pos = end + 1
                            del stack[-2:]
                            continue
                elif 0x40 <= flags <= entry[3] + 0x40 and byte[pos + 2] < memory_count:
                    end = pos + 3
                    while byte[end] >= 0x80:
                        end += 1
                    if end - pos < 7:
                        params = entry[2][memory_kinds[byte[pos + 2]]][0]
                        if len(stack) - floor >= 2 and stack[-1] is params[1] and stack[-2] is params[0]:
                            pos = end + 1
                            del stack[-2:]
                            continue
            elif kind == B_END:
                results = frame.results
                n = len(results)
                # (an `if` without `else` passes its parameters through: none to none is fine)
                if len(stack) - floor == n and (not n or stack[-n:] == results) \
                        and (frame.kind != "if" or not n and not frame.params):
                    pos += 1
                    spare.append(ctrls.pop())
                    if len(init_log) > frame.init_height:
                        v.forget_inits(frame.init_height)
                    if not ctrls:
                        return pos
                    if n:
                        stack[-n:] = results
                    frame = ctrls[-1]
                    floor = frame.height
                    continue
            else:  # B_BLOCK
                results = SIMPLE_BLOCK_TYPES.get(byte[pos + 1])
                if results is not None:
                    pos += 2
                    floor = len(stack)
                    if spare:
                        frame = spare.pop()
                        frame.kind, frame.params = entry[5], EMPTY
                        frame.labels = EMPTY if entry[5] == "loop" else results
                        frame.results, frame.height, frame.init_height = results, floor, len(init_log)
                        frame.unreachable = False
                    else:
                        frame = Frame(entry[5], EMPTY, results, floor, len(init_log))
                    ctrls.append(frame)
                    continue
        elif kind < B_GLOBAL_GET:
            if kind == B_LOCAL_TEE:
                t = readable[byte[pos + 1]]
                if t is not None and len(stack) > floor and stack[-1] is t:
                    pos += 2
                    continue
            elif kind == B_BR_IF:
                depth = byte[pos + 1]
                if depth < len(ctrls) and depth < 0x80:
                    labels = ctrls[-1 - depth].labels
                    n = len(labels)
                    if (len(stack) - floor > n and stack[-1] is I32
                            and (not n or stack[-1 - n:-1] == labels)):
                        pos += 2
                        stack.pop()
                        if n:
                            stack[-n:] = labels
                        continue
            elif kind == B_CALL:
                index = byte[pos + 1]
                after = 0
                if index < 0x80:
                    after = pos + 2
                elif byte[pos + 2] < 0x80:
                    index = (index & 0x7F) | (byte[pos + 2] << 7)
                    after = pos + 3
                elif byte[pos + 3] < 0x80:  # beyond 16,383 functions (a merged module)
                    index = (index & 0x7F) | ((byte[pos + 2] & 0x7F) << 7) | (byte[pos + 3] << 14)
                    after = pos + 4
                if after:
                    sig = calls.get(index)
                    if sig is not None:
                        n = sig[2]
                        if not n or (len(stack) - floor >= n and stack[-n:] == sig[0]):
                            if n:
                                del stack[-n:]
                            pos = after
                            stack.extend(sig[1])
                            continue
            else:  # B_BR
                depth = byte[pos + 1]
                if depth < len(ctrls) and depth < 0x80:
                    labels = ctrls[-1 - depth].labels
                    n = len(labels)
                    if len(stack) - floor >= n and (not n or stack[-n:] == labels):
                        pos += 2
                        del stack[floor:]
                        frame.unreachable = True
                        continue
        elif kind == B_GLOBAL_GET:
            index = byte[pos + 1]
            if index < global_count and index < 0x80:
                pos += 2
                stack.append(globals_[index].type)
                continue
        elif kind == B_GLOBAL_SET:
            index = byte[pos + 1]
            if index < global_count and index < 0x80 and len(stack) > floor:
                g = globals_[index]
                if g.mutable and stack[-1] is g.type:
                    pos += 2
                    stack.pop()
                    continue
        elif kind == B_IF:
            results = SIMPLE_BLOCK_TYPES.get(byte[pos + 1])
            if results is not None and len(stack) > floor and stack[-1] is I32:
                pos += 2
                stack.pop()
                floor = len(stack)
                if spare:
                    frame = spare.pop()
                    frame.kind, frame.params, frame.labels = "if", EMPTY, results
                    frame.results, frame.height, frame.init_height = results, floor, len(init_log)
                    frame.unreachable = False
                else:
                    frame = Frame("if", EMPTY, results, floor, len(init_log))
                ctrls.append(frame)
                continue
        elif kind == B_UNREACHABLE:
            pos += 1
            del stack[floor:]
            frame.unreachable = True
            continue
        elif kind == B_SELECT:
            if len(stack) - floor >= 3 and stack[-1] is I32:
                t = stack[-2]
                if t is stack[-3] and t.__class__ is not RefType:
                    pos += 1
                    del stack[-2:]
                    continue
        elif kind == B_DROP:
            if len(stack) > floor:
                pos += 1
                stack.pop()
                continue
        elif kind == B_RETURN:
            results = v.results
            n = len(results)
            if len(stack) - floor >= n and (not n or stack[-n:] == results):
                pos += 1
                del stack[floor:]
                frame.unreachable = True
                continue
        elif kind == B_NOP:
            pos += 1
            continue
        start = pos
        if kind == B_PREFIX:
            op, pos = read_op(data, start, prof)
            entry = by_op[op]
            kind = entry[0]
        else:
            pos += 1
        # The general code: every instruction whose quick test failed or has none. It
        # checks the common forms inline too (a local index of two bytes, a multi-byte
        # offset), and hands the rest, and every mismatch, to the handlers.
        if kind == B_LOCAL_GET:
            index = byte[pos]
            if index < local_count and index < 0x80:
                t = readable[index]
                if t is not None:
                    pos += 1
                    stack.append(t)
                    continue
        elif kind == B_CONST:
            if byte[pos] < 0x80:
                pos += 1
                stack.append(entry[6])
                continue
            kind = B_FIXED
        if kind in FIXED_KINDS:
            skip = entry[4]
            if skip:
                if skip < -1:  # one LEB128: shorter than its longest form, it is well-formed
                    end = pos
                    while byte[end] >= 0x80:
                        end += 1
                    if end - pos + 1 < -skip:
                        pos = end + 1
                    else:
                        pos = entry[5][0](data, pos)[1]
                elif skip > 0:
                    pos += skip
                    if pos > len(data):
                        raise DecodeError("unexpected end", len(data))
                else:
                    for read in entry[5]:
                        pos = read(data, pos)[1]
            # One and two operands of the exact types, checked in place; the rest below.
            n = entry[3]
            result = entry[6]
            if n == 1:
                if len(stack) > floor and stack[-1] is entry[7]:
                    if result is not None:
                        stack[-1] = result
                    else:
                        stack.pop()
                    continue
            elif n == 2:
                if len(stack) - floor >= 2 and stack[-1] is entry[7] and stack[-2] is entry[8]:
                    del stack[-1]
                    if result is not None:
                        stack[-1] = result
                    else:
                        stack.pop()
                    continue
            elif not n:
                if result is not None:
                    stack.append(result)
                else:
                    stack.extend(entry[2])
                continue
            if len(stack) - floor >= n and stack[-n:] == entry[1]:
                del stack[-n:]
            else:
                v.at = base + start
                v.pop_vals(entry[1])
            if result is not None:
                stack.append(result)
            elif entry[2]:
                stack.extend(entry[2])
            continue
        if kind in INDEX_KINDS:
            index = byte[pos]
            if index < 0x80:
                pos += 1
            elif byte[pos + 1] < 0x80:  # two bytes
                index = (index & 0x7F) | (byte[pos + 1] << 7)
                pos += 2
            else:
                index, pos = prof.readers[entry[1]][0](data, pos)
            if kind == B_LOCAL_GET:
                if index < local_count:
                    t = local_types[index]
                    if t.__class__ is not RefType or t.nullable:
                        stack.append(t)
                        continue
            elif kind == B_LOCAL_SET or kind == B_LOCAL_TEE:
                if index < local_count and len(stack) > floor:
                    t = local_types[index]
                    if stack[-1] is t and (t.__class__ is not RefType or t.nullable):
                        if kind == B_LOCAL_SET:
                            stack.pop()
                        continue
            elif kind == B_CALL:
                sig = calls.get(index)
                if sig is None and index < len(ctx.funcs):
                    functype = v.store.comp(ctx.funcs[index])
                    sig = calls[index] = (list(functype.params), list(functype.results), len(functype.params))
                if sig is not None:
                    n = sig[2]
                    if n:
                        if len(stack) - floor >= n and stack[-n:] == sig[0]:
                            del stack[-n:]
                        else:
                            v.at = base + start
                            v.pop_vals(sig[0])
                    stack.extend(sig[1])
                    continue
            elif kind == B_GLOBAL_GET:
                if index < global_count:
                    stack.append(globals_[index].type)
                    continue
            elif index < global_count and len(stack) > floor:  # global.set
                g = globals_[index]
                if g.mutable and stack[-1] is g.type:
                    stack.pop()
                    continue
            ins.op, ins.args, ins.offset = entry[1], (index,), base + start
            v.at = base + start
            entry[2](v, ins)
            continue
        if kind in MEMORY_KINDS:
            flags = byte[pos]
            if memory0 is not None and (flags == entry[3] if entry[4] else flags <= entry[3]):
                if byte[pos + 1] < 0x80:
                    pos += 2
                else:
                    offset, pos = entry[6](data, pos + 1)
                    if offset >= 1 << 32 and not memory0:
                        v.at = base + start
                        raise v.fail("offset out of range")
                params, results = entry[2][memory0]
            else:
                args = []
                for read in entry[5]:
                    value, pos = read(data, pos)
                    args.append(value)
                ins.op, ins.args, ins.offset = entry[1], tuple(args), base + start
                v.at = base + start
                params, results = v.addressed(ins, entry[2])
            n = len(params)
            if n == 1 and results and len(stack) > floor and stack[-1] is params[0]:
                stack[-1] = results[0]  # a load
                continue
            if n == 2 and not results and len(stack) - floor >= 2 and stack[-1] is params[1] \
                    and stack[-2] is params[0]:
                del stack[-2:]  # a store
                continue
            if n:
                if len(stack) - floor >= n and stack[-n:] == params:
                    del stack[-n:]
                else:
                    v.at = base + start
                    v.pop_vals(params)
            stack.extend(results)
            continue
        if kind == B_OFF:
            op = entry[1]
            raise v.fail(f"{op.name} requires the {op.feature} feature", base + start)
        readers = entry[3]
        if readers:
            args = []
            for read in readers:
                value, pos = read(data, pos)
                args.append(value)
            args = tuple(args)
        else:
            args = ()
        ins.op, ins.args, ins.offset = entry[1], args, base + start
        v.at = base + start
        if kind == B_ADDRESSED:
            params, results = v.addressed(ins, entry[2])
            n = len(params)
            if n:
                if len(stack) - floor >= n and stack[-n:] == params:
                    del stack[-n:]
                else:
                    v.pop_vals(params)
            stack.extend(results)
            continue
        if entry[4] and not datacount:
            raise DecodeError("data count section required", base + start)
        entry[2](v, ins)
        if not ctrls:
            return pos
        frame = ctrls[-1]
        floor = frame.height
