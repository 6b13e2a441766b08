"""Host modules: the spec tests' `spectest`, and printing stubs for unresolved imports."""

import sys

from ..binary.types import (F32, F64, FUNC_KIND, FUNCREF, I32, I64, FuncType, GlobalType, Limits,
                            MemType, TableType)
from .linker import Linker
from .store import Store
from .values import f32_bits, f64_bits, to_python


def define_spectest(linker: Linker, store: Store, out=None):
    """The `spectest` module the spec scripts import (its print functions print to `out`)."""

    def printer(*types):
        def print_values(*args):
            if out is not None:
                text = " ".join(f"{to_python(t, v)!r}:{t}" for t, v in zip(types, args))
                print(text, file=out)
        return FuncType(tuple(types), ()), print_values

    for name, types in (("print", ()), ("print_i32", (I32,)), ("print_i64", (I64,)),
                        ("print_f32", (F32,)), ("print_f64", (F64,)),
                        ("print_i32_f32", (I32, F32)), ("print_f64_f64", (F64, F64))):
        functype, fn = printer(*types)
        linker.define_func(store, "spectest", name, functype, fn)
    linker.define("spectest", "global_i32", store.alloc_global(GlobalType(I32), 666))
    linker.define("spectest", "global_i64", store.alloc_global(GlobalType(I64), 666))
    linker.define("spectest", "global_f32", store.alloc_global(GlobalType(F32), f32_bits(666.6)))
    linker.define("spectest", "global_f64", store.alloc_global(GlobalType(F64), f64_bits(666.6)))
    linker.define("spectest", "table", store.alloc_table(TableType(FUNCREF, Limits(10, 20))))
    linker.define("spectest", "table64",
                  store.alloc_table(TableType(FUNCREF, Limits(10, 20, address64=True))))
    linker.define("spectest", "memory", store.alloc_memory(MemType(Limits(1, 2))))


def define_log_stubs(linker: Linker, store: Store, module, out=None):
    """For each function import nothing defines: a stub printing its call, returning zeros."""
    for imp in linker.missing(module):
        if imp.kind != FUNC_KIND:
            continue
        functype = module.types[imp.type].comp
        label = f"{imp.module}.{imp.name}"

        def stub(*args, label=label, functype=functype):
            shown = ", ".join(repr(to_python(t, v)) for t, v in zip(functype.params, args))
            print(f"{label}({shown})", file=out if out is not None else sys.stdout)
            zeros = [0 if hasattr(t, "size") else None for t in functype.results]
            return zeros[0] if len(zeros) == 1 else zeros

        linker.define_func(store, imp.module, imp.name, functype, stub)
