"""The spec-test runner: `run_script(path)` and the `wasmmerge spec` command."""

from .runner import ScriptResult, run_script

__all__ = ["ScriptResult", "run_script"]
