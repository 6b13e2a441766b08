"""Atomic memory instructions (threads), for a single-threaded store.

With one thread every access is trivially atomic: an atomic load, store or
read-modify-write is the plain access plus the alignment check ("unaligned atomic").
`memory.atomic.notify` wakes nobody (0); `memory.atomic.wait*` on a shared memory
returns "not-equal" (1) or, since no other thread can ever notify it, "timed-out" (2)
for a finite timeout and traps for an infinite one.
"""

from functools import partial

from ..errors import Trap, Unsupported
from .ops import MEMORY_OOB

RMW_OPS = {
    "add": lambda old, v: old + v, "sub": lambda old, v: old - v, "and": lambda old, v: old & v,
    "or": lambda old, v: old | v, "xor": lambda old, v: old ^ v, "xchg": lambda old, v: v,
}


def _address(mem, offset, size, stack_address) -> int:
    address = stack_address + offset
    if address + size > len(mem.data):
        raise Trap(MEMORY_OOB)
    if address % size:
        raise Trap("unaligned atomic")
    return address


def _read(mem, address, size) -> int:
    return int.from_bytes(mem.data[address:address + size], "little")


def _write(mem, address, size, value):
    mem.data[address:address + size] = (value & ((1 << (size * 8)) - 1)).to_bytes(size, "little")


def atomic_load(mem, offset, size, stack):
    stack[-1] = _read(mem, _address(mem, offset, size, stack[-1]), size)


def atomic_store(mem, offset, size, stack):
    value = stack.pop()
    _write(mem, _address(mem, offset, size, stack.pop()), size, value)


def atomic_rmw(mem, offset, size, fn, stack):
    value = stack.pop()
    address = _address(mem, offset, size, stack[-1])
    old = _read(mem, address, size)
    _write(mem, address, size, fn(old, value))
    stack[-1] = old


def atomic_cmpxchg(mem, offset, size, stack):
    replacement = stack.pop()
    expected = stack.pop()
    address = _address(mem, offset, size, stack[-1])
    old = _read(mem, address, size)
    if old == expected & ((1 << (size * 8)) - 1):
        _write(mem, address, size, replacement)
    stack[-1] = old


def atomic_notify(mem, offset, stack):
    stack.pop()  # count
    _address(mem, offset, 4, stack[-1])
    stack[-1] = 0


def atomic_wait(mem, offset, size, stack):
    timeout = stack.pop()
    expected = stack.pop()
    if not mem.type.limits.shared:
        raise Trap("expected shared memory")
    address = _address(mem, offset, size, stack[-1])
    if _read(mem, address, size) != expected:
        stack[-1] = 1
    elif timeout >> 63:  # negative: wait forever, and nothing can wake us
        raise Trap("deadlock: wait with no timeout and no other thread")
    else:
        stack[-1] = 2


def fence(stack):
    pass


def atomic_callout(name: str, mem, offset: int):
    """The callout running atomic instruction `name` on `mem` (its offset bound)."""
    if name == "atomic.fence":
        return fence
    if name == "memory.atomic.notify":
        return partial(atomic_notify, mem, offset)
    if name.startswith("memory.atomic.wait"):
        return partial(atomic_wait, mem, offset, int(name[-2:]) // 8)
    kind, _, rest = name.partition(".atomic.")
    width = int(kind[1:])
    op, _, suffix = rest.partition(".")
    digits = "".join(c for c in op if c.isdigit())
    size = int(digits) // 8 if digits else width // 8
    if op.startswith("load"):
        return partial(atomic_load, mem, offset, size)
    if op.startswith("store"):
        return partial(atomic_store, mem, offset, size)
    if op.startswith("rmw"):
        action = suffix.removesuffix("_u")
        if action == "cmpxchg":
            return partial(atomic_cmpxchg, mem, offset, size)
        return partial(atomic_rmw, mem, offset, size, RMW_OPS[action])
    raise Unsupported(f"unsupported: instruction {name}")
