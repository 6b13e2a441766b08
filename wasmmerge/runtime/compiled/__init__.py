"""The compiled engine: wasm functions translated to Python source (see docs/compiled.md)."""

from .engine import CompiledEngine, engine_of, invoke_compiled, python_source
from .translate import Untranslatable, translate

__all__ = ["CompiledEngine", "engine_of", "invoke_compiled", "python_source", "Untranslatable",
           "translate"]
