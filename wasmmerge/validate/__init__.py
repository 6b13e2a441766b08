"""The validator: `validate_module(module, features)` checks a decoded module.

It raises `ValidationError(message, offset, func=index)` worded as the spec suite words
its `assert_invalid` texts. `canon.TypeStore` canonicalises types across modules (used
by the merger and the interpreter too).
"""

from ..errors import ValidationError
from .canon import TypeStore
from .module import Context, validate_module

__all__ = ["TypeStore", "Context", "ValidationError", "validate_module"]
