"""The compiled engine: wasm functions translated to Python source (see docs/compiled.md)."""

from .engine import CompiledEngine, dump_module, engine_of, invoke_compiled, python_source
from .translate import Untranslatable, translate

__all__ = ["CompiledEngine", "dump_module", "engine_of", "invoke_compiled", "python_source", "Untranslatable",
           "translate"]
