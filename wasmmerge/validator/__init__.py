"""The validator: `validate_module(module, features)` checks a decoded module.

It raises `ValidationError(message, offset, func=index)` worded as the spec suite words
its `assert_invalid` texts. `canon.TypeStore` canonicalises types across modules (used
by the merger and the interpreter too). The public verb is `wasmmerge.validate`.
"""

from .canon import TypeStore
from .module import Context, check_codes, check_module, validate_module

__all__ = ["TypeStore", "Context", "validate_module", "check_module", "check_codes"]
