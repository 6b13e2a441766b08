"""Calling into wasm: the store's `engine` chooses which engine runs the call.

This sits above both engines. The compiled engine imports the reference engine (it runs
the functions it does not translate), so the choice cannot live in either of them.
"""

from ..errors import Trap
from .compiled import invoke_compiled
from .engine import invoke_reference


def invoke(store, func, args) -> list:
    """Call a function instance with run-time values; returns its results as a list.

    `Store(engine="compiled")` runs on the compiled engine; while the store counts fuel,
    on its fuel-counting translations (compiled/fuel.py: charged per call and per loop
    iteration, so "about" the reference engine's exact instruction count).
    """
    if len(args) != len(func.type.params):
        raise Trap(f"wrong number of arguments: expected {len(func.type.params)}, got {len(args)}")
    if store.engine == "compiled":
        return invoke_compiled(store, func, args)
    return invoke_reference(store, func, args)
