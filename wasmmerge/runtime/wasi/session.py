"""Running a program: instantiate modules with the WASI host, run `_start` or export calls.

    outcome = run_program([("app", wasm_bytes)], WasiConfig(argv=["app"]), Limits(fuel=10**9))
    outcome.status, outcome.trap, bytes(outcome.stdout)

One `Store`, one `WasiState` (so one fd table and one stdout for every instance) and
one `Linker`; modules are instantiated in order, each registered under its name so
later ones import from earlier ones. A reactor (an instance exporting `_initialize`)
is initialized right after instantiation (also when it exports `_start`: a merge of a
reactor and a command). Then either the command runs (`_start` of the
last instance exporting one) or each call of `calls` in turn. `proc_exit` ends the run
with its status wherever it happens; a trap, an exhausted limit or a timeout ends it with
`trap` set. The CLI (`wasmmerge run`) and the equivalence check (`wasmmerge verify`) are
both this function plus printing.
"""

import signal
import threading
from dataclasses import dataclass, field

from ...errors import Exhaustion, LinkError, Trap
from ..api import load_module
from ..engine import WasmException
from ..engines import invoke
from ..linker import Linker
from ..store import DEFAULT_MAX_PAGES, PAGE_SIZE, FuncInstance, GlobalInstance, MemoryInstance, Store
from .config import WasiConfig
from .host import WasiState, wasi_instantiate
from .process import ProcExit

TRAP_STATUS = 3  # the status `wasmmerge run` exits with after a trap (as before WASI)


@dataclass
class Limits:
    """What protects the user from the guest. Defaults: no fuel limit, no timeout, 1 GiB of
    memory per memory (16,384 pages), 10,000 frames."""

    fuel: int | None = None
    timeout: float | None = None          # wall-clock seconds
    max_memory_pages: int = DEFAULT_MAX_PAGES
    max_depth: int = 10_000
    engine: str = "compiled"

    @staticmethod
    def pages_for(text: str) -> int:
        """`--max-memory`: pages (`256`), or bytes with a unit (`64KiB`, `16MiB`, `1GiB`)."""
        units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "b": 1}
        lowered = text.strip().lower()
        for unit, scale in units.items():
            if lowered.endswith(unit):
                return int(lowered[:-len(unit)]) * scale // PAGE_SIZE
        return int(lowered, 0)


@dataclass
class CallResult:
    export: str
    func: FuncInstance
    values: list


@dataclass
class Outcome:
    status: int | None = None       # exit status of a command (0 when `_start` returned)
    trap: str | None = None         # the message of a trap, exhaustion or timeout
    calls: list = field(default_factory=list)   # CallResult per completed call
    stdout: bytes = b""
    stderr: bytes = b""
    instances: dict = field(default_factory=dict)  # name -> ModuleInstance

    def exported_state(self) -> dict:
        """`module.export` (or `export` for one unnamed module) -> bytes of each exported
        memory / value of each exported global, in instantiation order."""
        state = {}
        for name, instance in self.instances.items():
            for field_name, extern in instance.exports.items():
                key = field_name if name is None else f"{name}.{field_name}"
                if isinstance(extern, MemoryInstance):
                    state[key] = ("memory", bytes(extern.data))
                elif isinstance(extern, GlobalInstance):
                    state[key] = ("global", extern.value)
        return state


class Timeout(Exhaustion):
    """The wall-clock limit passed (raised from a timer signal wherever the guest was)."""


def run_program(modules, config: WasiConfig, limits: Limits | None = None, calls=None,
                on_store=None, on_module=None) -> Outcome:
    """Instantiate `modules` ([(name or None, bytes or decoded module)]) and run them.

    `calls`: None to run the command; else [(export, args)] with export `NAME` or
    `MODULE.NAME` (linked) and args the run-time values, or a function of the
    FuncInstance returning them (to parse text by the parameter types).
    `on_store(linker, store)` runs first and `on_module(linker, store, name, module)`
    before each instantiation (the CLI's `--host` modules and `--dump-python`). Output goes where `config` says; when it
    is a bytearray its content is copied into the outcome."""
    limits = limits or Limits()
    store = Store(max_call_depth=limits.max_depth, fuel=limits.fuel,
                  max_memory_pages=limits.max_memory_pages, engine=limits.engine)
    linker = Linker()
    outcome = Outcome()
    state = WasiState(config)
    if on_store is not None:
        on_store(linker, store)
    try:
        with WallClockLimit(limits.timeout):
            try:
                for name, module in modules:
                    if isinstance(module, (bytes, bytearray)):
                        module = load_module(bytes(module), name=name)
                    if on_module is not None:
                        on_module(linker, store, name, module)
                    instance = wasi_instantiate(linker, store, module, state, name=name)
                    outcome.instances[name] = instance
                    # A reactor is initialized at once. A module exporting `_start` too is
                    # not a WASI module on its own but a merge of a reactor and a command,
                    # so it is initialized as its reactor was when linked.
                    initialize = instance.exports.get("_initialize")
                    if isinstance(initialize, FuncInstance):
                        invoke(store, initialize, [])
                if calls is None:
                    invoke(store, find_start(outcome.instances), [])
                    outcome.status = 0
                else:
                    for export, args in calls:
                        func = find_export(outcome.instances, export)
                        values = args(func) if callable(args) else args
                        outcome.calls.append(CallResult(export, func, invoke(store, func, values)))
            except ProcExit as exit_:
                outcome.status = exit_.status
            except (Trap, Exhaustion, WasmException) as err:
                outcome.trap = str(err)
                outcome.status = TRAP_STATUS
    finally:
        state.close()
        outcome.stdout = bytes(config.stdout) if isinstance(config.stdout, bytearray) else b""
        outcome.stderr = bytes(config.stderr) if isinstance(config.stderr, bytearray) else b""
    return outcome


def find_start(instances: dict) -> FuncInstance:
    """`_start` of the last instance exporting one (in linked mode, the application)."""
    for instance in reversed(list(instances.values())):
        start = instance.exports.get("_start")
        if isinstance(start, FuncInstance):
            return start
    raise LinkError("no module exports _start: pass --invoke NAME to call an export")


def find_export(instances: dict, export: str) -> FuncInstance:
    """`NAME` of the only module, or `MODULE.NAME` of a linked one."""
    if list(instances) == [None]:
        instance, field_name = instances[None], export
    else:
        module, dot, field_name = export.partition(".")
        if not dot or module not in instances:
            names = ", ".join(str(n) for n in instances)
            raise LinkError(f"--invoke {export}: expected MODULE.NAME with MODULE one of {names}")
        instance = instances[module]
    func = instance.exports.get(field_name)
    if not isinstance(func, FuncInstance):
        raise LinkError(f"no exported function {field_name!r}")
    return func


class WallClockLimit:
    """Raise `Timeout` in the running guest after `seconds` (a SIGALRM timer: costs nothing
    while it waits, and interrupts both engines at their next Python bytecode). Only the
    main thread receives signals; elsewhere the limit is not enforced."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        if self.seconds and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGALRM, self.expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def expire(self, signum, frame):
        raise Timeout(f"timeout: still running after {self.seconds:g} s")

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
