"""Run spec test scripts (wast2json JSON) against our decoder, validator and engine.

Every command passes or fails; text-format `assert_malformed` commands test a text
parser, which we do not have, and are counted apart as skipped. A script under a
`wasm-2.0` directory is decoded with the 2.0 feature set, any other with everything.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import decode
from ..errors import DecodeError, Exhaustion, LinkError, Trap, Unsupported, ValidationError, WasmError
from ..features import ALL, WASM2
from ..runtime.engine import WasmException
from ..runtime.engines import invoke
from ..runtime.host import define_spectest
from ..runtime.linker import Linker
from ..runtime.store import FuncInstance, GlobalInstance, Store
from ..validator import validate_module
from .values import matches, parse_value, show


@dataclass
class ScriptResult:
    path: str
    passed: int = 0
    skipped: int = 0
    failures: list = field(default_factory=list)  # (line, command type, reason)

    @property
    def failed(self) -> int:
        return len(self.failures)


class CommandFailed(Exception):
    pass


class ScriptRunner:
    def __init__(self, path: Path, features=None, max_call_depth: int = 10_000,
                 engine: str = "reference"):
        self.path = Path(path)
        self.dir = self.path.parent
        if features is None:
            features = WASM2 if "wasm-2.0" in self.path.parts else ALL
        self.features = features
        self.store = Store(max_call_depth=max_call_depth, engine=engine)
        self.linker = Linker(allow_shadowing=True)
        define_spectest(self.linker, self.store)
        self.current = None
        self.named = {}
        self.definitions = {}  # 3.0 module definitions by name
        self.last_definition = None

    # -- modules -----------------------------------------------------------------------

    def load(self, filename: str):
        data = (self.dir / filename).read_bytes()
        module = decode(data, name=filename, features=self.features)
        validate_module(module, self.features)
        return module

    def instantiate(self, module, name=None):
        return self.linker.instantiate(self.store, module)

    def instance(self, name):
        if name is None:
            if self.current is None:
                raise CommandFailed("no current module")
            return self.current
        if name not in self.named:
            raise CommandFailed(f"unknown module {name}")
        return self.named[name]

    # -- actions -----------------------------------------------------------------------

    def act(self, action: dict) -> list:
        inst = self.instance(action.get("module"))
        field = action["field"]
        if field not in inst.exports:
            raise CommandFailed(f"unknown export {field!r}")
        extern = inst.exports[field]
        if action["type"] == "invoke":
            if not isinstance(extern, FuncInstance):
                raise CommandFailed(f"export {field!r} is not a function")
            args = [parse_value(arg) for arg in action.get("args", [])]
            return invoke(self.store, extern, args)
        if action["type"] == "get":
            if not isinstance(extern, GlobalInstance):
                raise CommandFailed(f"export {field!r} is not a global")
            return [extern.value]
        raise Unsupported(f"unsupported: action {action['type']}")

    def expect_error(self, fn, error_class, text: str | None, what: str):
        try:
            fn()
        except error_class as err:
            # Trap messages must start with the script's text (the reference interpreter's
            # rule); decode, validation and link errors may add context around it.
            if text and not (err.message.startswith(text) if error_class in (Trap, Exhaustion)
                             else text in err.message):
                raise CommandFailed(f"{what} with {err.message!r}, expected {text!r}") from None
            return
        except WasmError as err:
            raise CommandFailed(f"expected {what} {text!r}, got {type(err).__name__}: {err}") from None
        raise CommandFailed(f"expected {what} {text!r}, but it succeeded")

    # -- commands ----------------------------------------------------------------------

    def run_command(self, cmd: dict):
        kind = cmd["type"]
        handler = getattr(self, "cmd_" + kind, None)
        if handler is None:
            raise Unsupported(f"unsupported: script command {kind}")
        handler(cmd)

    def cmd_module(self, cmd):
        self.current = None  # a failed module leaves nothing to act on
        module = self.load(cmd["filename"])
        self.current = self.instantiate(module)
        if cmd.get("name"):
            self.named[cmd["name"]] = self.current

    def cmd_module_definition(self, cmd):
        module = self.load(cmd["filename"])
        self.last_definition = module
        if cmd.get("name"):
            self.definitions[cmd["name"]] = module

    def cmd_module_instance(self, cmd):
        module = self.definitions[cmd["module"]] if cmd.get("module") else self.last_definition
        self.current = self.instantiate(module)
        if cmd.get("instance"):
            self.named[cmd["instance"]] = self.current

    def cmd_register(self, cmd):
        self.linker.define_instance(cmd["as"], self.instance(cmd.get("name")))

    def cmd_action(self, cmd):
        self.act(cmd["action"])

    def cmd_assert_return(self, cmd):
        results = self.act(cmd["action"])
        if "either" in cmd:
            expected = [{"either": cmd["either"]}]
        else:
            expected = cmd["expected"]
        if len(results) != len(expected) or not all(matches(e, r) for e, r in zip(expected, results)):
            raise CommandFailed(f"got [{', '.join(map(show, results))}], expected {expected}")

    def cmd_assert_trap(self, cmd):
        self.expect_error(lambda: self.act(cmd["action"]), Trap, cmd["text"], "trap")

    def cmd_assert_exhaustion(self, cmd):
        self.expect_error(lambda: self.act(cmd["action"]), Exhaustion, cmd["text"], "exhaustion")

    def cmd_assert_exception(self, cmd):
        self.expect_error(lambda: self.act(cmd["action"]), WasmException, None, "exception")

    def cmd_assert_malformed(self, cmd):
        data = (self.dir / cmd["filename"]).read_bytes()
        self.expect_error(lambda: decode(data, features=self.features), DecodeError, cmd["text"],
                          "malformed")

    def cmd_assert_invalid(self, cmd):
        filename = cmd.get("binary_filename", cmd["filename"])
        data = (self.dir / filename).read_bytes()

        def check():
            try:
                module = decode(data, features=self.features)
            except DecodeError as err:
                raise ValidationError(f"rejected by the decoder: {err.message}") from None
            validate_module(module, self.features)
        self.expect_error(check, ValidationError, cmd["text"], "invalid")

    def cmd_assert_unlinkable(self, cmd):
        module = self.load(cmd.get("binary_filename", cmd["filename"]))
        self.expect_error(lambda: self.instantiate(module), LinkError, cmd["text"], "unlinkable")

    def cmd_assert_uninstantiable(self, cmd):
        module = self.load(cmd.get("binary_filename", cmd["filename"]))
        self.expect_error(lambda: self.instantiate(module), Trap, cmd["text"], "trap")

    def run(self) -> ScriptResult:
        result = ScriptResult(str(self.path))
        script = json.loads(self.path.read_text())
        for cmd in script["commands"]:
            if is_text_malformed(cmd):
                result.skipped += 1
                continue
            try:
                self.run_command(cmd)
            except CommandFailed as err:
                result.failures.append((cmd.get("line"), cmd["type"], str(err)))
            except WasmError as err:
                result.failures.append((cmd.get("line"), cmd["type"], f"{type(err).__name__}: {err}"))
            except Exception as err:  # our bug: report it as a failure, keep going
                result.failures.append((cmd.get("line"), cmd["type"],
                                        f"internal error {type(err).__name__}: {err}"))
            else:
                result.passed += 1
        return result


def is_text_malformed(cmd: dict) -> bool:
    return cmd["type"] == "assert_malformed" and cmd.get("module_type") == "text"


def run_script(path, features=None, engine: str = "reference") -> ScriptResult:
    """Run one script: a `.json` file, or a `.wast` converted with wabt's wast2json."""
    path = Path(path)
    if path.suffix == ".wast":
        return _run_wast(path, features, engine)
    return ScriptRunner(path, features, engine=engine).run()


def _run_wast(path: Path, features, engine: str = "reference") -> ScriptResult:
    if features is None:  # decided by where the .wast is, not the temporary .json
        features = WASM2 if "wasm-2.0" in path.parts else ALL
    exe = shutil.which("wast2json")
    if exe is None:
        raise Unsupported("unsupported: .wast scripts need wabt's wast2json on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / (path.stem + ".json")
        proc = subprocess.run([exe, "--enable-all", str(path), "-o", str(out)], capture_output=True)
        if proc.returncode != 0:
            raise DecodeError(f"wast2json failed: {proc.stderr.decode().strip()}", file=str(path))
        result = ScriptRunner(out, features, engine=engine).run()
        result.path = str(path)
        return result
