"""A `wasi_snapshot_preview1` host for the interpreter (see docs/runtime.md, "WASI").

    from wasmmerge.runtime.wasi import WasiConfig, Preopen, run_program
    outcome = run_program([("prog", wasm_bytes)], WasiConfig(argv=["prog"], preopens=[Preopen("/tmp/d", ".")]))
    outcome.status, bytes(outcome.stdout)
"""

from .config import Preopen, WasiConfig
from .errno import ERRNO, NAMES
from .host import MODULE, WasiSetupError, WasiState, wasi_instantiate
from .process import ProcExit
from .table import FUNCTIONS

__all__ = ["WasiConfig", "Preopen", "WasiState", "wasi_instantiate", "ProcExit", "FUNCTIONS",
           "ERRNO", "NAMES", "MODULE", "WasiSetupError"]
