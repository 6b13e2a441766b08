"""Feature sets: which proposals a decoder or validator accepts.

The default is WebAssembly 3.0 plus threads and legacy exceptions (what toolchains
emit). `WASM2` is the 2.0 profile, under which multi-memory's memory-index immediates
are reserved zero bytes and limits are 32-bit, as the 2.0 spec suite expects.
"""

WASM2 = frozenset({
    "mvp", "sign-extension", "sat-float-to-int", "multi-value", "bulk-memory",
    "reference-types", "simd",
})
WASM3 = WASM2 | frozenset({
    "relaxed-simd", "tail-call", "extended-const", "multi-memory", "memory64", "exceptions",
    "function-references", "gc",
})
ALL = WASM3 | frozenset({"threads", "legacy-exceptions"})
