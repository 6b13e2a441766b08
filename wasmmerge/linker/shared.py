"""--shared-memory: passive segments, `__wasm_init_memory` and `__wasm_init_tls`.

A shared memory may be instantiated by many threads, so data cannot be active: every
segment is passive, and `__wasm_init_memory` (the start function) initialises memory
once. It claims an atomic flag placed after the data (0 -> 1 by cmpxchg), copies each
segment with `memory.init`, zero-fills `.bss` with `memory.fill` (an imported shared
memory need not be zero), stores 2 and wakes waiters; a thread that lost the race waits
until the flag is 2. Then it drops the segments. `.tdata` is left alone: each thread
copies it to its own block with `__wasm_init_tls(ptr)`, which also sets `__tls_base`.
The bodies are wasm-ld 14's, instruction for instruction, but for one thing: on wasm64
every address is an `i64.const`, and so is `memory.fill`'s length, which memory64 types
i64 (wasm-ld 14 writes an `i32.const` there, a module wabt and wasm-tools reject; later
wasm-ld versions write the i64). `memory.init`'s source offset and length stay i32.
"""

from ..binary import leb

_u = leb.write_unsigned
_s = leb.write_signed


def _const(value: int) -> bytes:
    return b"\x41" + _s(value)


def _ptr(value: int, wasm64: bool) -> bytes:
    """An address or a memory.fill length: i64 on wasm64's memory."""
    return (b"\x42" if wasm64 else b"\x41") + _s(value)


def init_memory_body(flag: int, copies, fills, drops, wasm64: bool) -> bytes:
    """`copies`: (address, size, segment index); `fills`: (address, size); `drops`: indices."""
    code = [b"\x02\x40\x02\x40\x02\x40",
            _ptr(flag, wasm64), _const(0), _const(1), b"\xfe\x48\x02\x00",  # i32.atomic.rmw.cmpxchg
            b"\x0e\x02\x00\x01\x02", b"\x0b"]  # br_table 0 1 2: 0 -> init, 1 -> wait, 2 -> done
    for address, size, index in copies:
        code.append(_ptr(address, wasm64) + _const(0) + _const(size) + b"\xfc\x08" + _u(index) + b"\x00")
    code.append(_fills(fills, wasm64))
    code += [_ptr(flag, wasm64), _const(2), b"\xfe\x17\x02\x00",  # i32.atomic.store
             _ptr(flag, wasm64), _const(-1), b"\xfe\x00\x02\x00\x1a",  # memory.atomic.notify; drop
             b"\x0c\x01\x0b",  # br 1; end
             _ptr(flag, wasm64), _const(1), b"\x42\x7f", b"\xfe\x01\x02\x00\x1a",  # memory.atomic.wait32; drop
             b"\x0b"]
    code += [b"\xfc\x09" + _u(index) for index in drops]
    return b"\x00" + b"".join(code) + b"\x0b"


def _fills(fills, wasm64: bool) -> bytes:
    """`memory.fill` with zeros of each (address, size)."""
    return b"".join(_ptr(address, wasm64) + _const(0) + _ptr(size, wasm64) + b"\xfc\x0b\x00"
                    for address, size in fills)


def zero_fill_body(fills, wasm64: bool) -> bytes:
    """`__wasm_init_memory` for an imported memory that is not shared: each .bss segment
    (address, size) zeroed with `memory.fill`, as wasm-ld 14 writes it."""
    return b"\x00" + _fills(fills, wasm64) + b"\x0b"


def init_tls_body(tls_base_global: int, tls_size: int, tdata_index: int | None) -> bytes:
    """`__wasm_init_tls(ptr)`: __tls_base = ptr, then copy .tdata there (with no
    thread-local data, wasm-ld's is empty)."""
    code = b""
    if tdata_index is not None:
        code = (b"\x20\x00\x24" + _u(tls_base_global)
                + b"\x20\x00" + _const(0) + _const(tls_size) + b"\xfc\x08" + _u(tdata_index) + b"\x00")
    return b"\x00" + code + b"\x0b"


def check_shared_memory_features(objects, diag, allowed):
    """The link must allow atomics and bulk memory (`allowed`: the features it declares):
    wasm-ld 14's line for each missing, naming the first object as well (the issue asks
    for one to be named; none uses the feature). An object without them beside objects
    with them links, as with wasm-ld: code with no atomic operation is safe to share (a
    -pthread program's compiler-rt builtins are built so); one whose atomics were dropped
    is marked `-shared-mem` by LLVM, which `features.allowed_features` refuses, naming it
    as wasm-ld does."""
    for feature in ("atomics", "bulk-memory"):
        if feature not in allowed and objects:
            diag.error(f"'{feature}' feature must be used in order to use shared memory "
                       f"(no input uses it, {objects[0].name} the first)")
