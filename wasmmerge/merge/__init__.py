"""The merger: many modules in, one module out, with the effects of instantiating them in turn.

    from wasmmerge.merge import merge, MergeOptions
    result = merge([("a", a_bytes), ("b", b_bytes)], MergeOptions())
"""

import sys
import types

from .options import MergeOptions, MergeResult
from .pipeline import merge

__all__ = ["merge", "MergeOptions", "MergeResult"]


class _CallableModule(types.ModuleType):
    # `wasmmerge.merge` is both this package and the public function (as
    # `wasmmerge.validate` is): importing a submodule rebinds the package attribute, so
    # the package itself has to be the callable.
    def __call__(self, inputs, options=None, files=None) -> MergeResult:
        return merge(inputs, options, files)


sys.modules[__name__].__class__ = _CallableModule
