"""The validator: `validate_module(module, features)` checks a decoded module.

It raises `ValidationError(message, offset, func=index)` worded as the spec suite words
its `assert_invalid` texts. `canon.TypeStore` canonicalises types across modules (used
by the merger and the interpreter too).
"""

import sys
import types

from ..errors import ValidationError
from .canon import TypeStore
from .module import Context, check_codes, check_module, validate_module

__all__ = ["TypeStore", "Context", "ValidationError", "validate", "validate_module", "check_module",
           "check_codes"]


def validate(module, features=None) -> Context:
    """Validate a `Module` (or the bytes of one); raise `ValidationError` if it is invalid.

    Returns the validation context (canonical types of the module's index spaces).
    """
    if isinstance(module, (bytes, bytearray, memoryview)):
        from .. import decode
        module = decode(bytes(module), features=features)
    return validate_module(module, features)


class _CallableModule(types.ModuleType):
    # `wasmmerge.validate` is both this package and the public function: importing a
    # submodule (wasmmerge.validate.canon) rebinds the package attribute, so the
    # package itself has to be the callable.
    def __call__(self, module, features=None) -> Context:
        return validate(module, features)


sys.modules[__name__].__class__ = _CallableModule
