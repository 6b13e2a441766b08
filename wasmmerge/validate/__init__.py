"""The validator: `validate_module(module, features)` checks a decoded module.

`canon.TypeStore` canonicalises types across modules (used by the merger and the
interpreter too).
"""

from .canon import TypeStore

__all__ = ["TypeStore"]
