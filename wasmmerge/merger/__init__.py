"""The merger: many modules in, one module out, with the effects of instantiating them in turn.

    from wasmmerge.merger import merge, MergeOptions
    result = merge([("a", a_bytes), ("b", b_bytes)], MergeOptions())

The public verb is `wasmmerge.merge`.
"""

from .options import MergeOptions, MergeResult
from .pipeline import merge

__all__ = ["merge", "MergeOptions", "MergeResult"]
