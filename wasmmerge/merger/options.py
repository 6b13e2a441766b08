"""What a merge is asked to do, and what it gives back."""

from dataclasses import dataclass, field

from ..binary.model import Module

EXPORT_CONFLICT_POLICIES = ("error", "rename", "skip")
TARGETS = ("1.0", "2.0", "3.0", "node20")  # the keys of target.PROFILES


@dataclass
class MergeOptions:
    # On two inputs exporting the same name: fail, keep the first and rename later ones
    # to `<module>.<name>`, or keep the first and drop later ones.
    export_conflicts: str = "error"
    # Only these modules' exports appear in the output (None: every module's).
    export_from: list[str] | None = None
    # fnmatch patterns (`env.*`) that every import left in the output must match.
    allow_imports: list[str] | None = None
    validate: bool = True
    # One memory: inputs linked with wasm-ld --emit-relocs relocated into regions of it,
    # others lowered (a base and a bounds check per access).
    single_memory: bool = False
    # Processes that rewrite and validate function bodies (None: one per core for inputs
    # with at least 1 MiB of code, else one). Each worker costs memory of its own.
    jobs: int | None = None
    # Called with (phase name, seconds) after each phase, for `-v`.
    on_phase: object = None
    # Debug info (docs/debuginfo.md): drop it all; make DWARF we cannot rewrite an error.
    strip_debug: bool = False
    strict_debug: bool = False
    # Input name -> that input's source map (JSON text); with `output_source_map`, the
    # merged map is in `MergeResult.source_map`, its "file" field `source_map_file`.
    input_source_maps: dict[str, str | bytes] = field(default_factory=dict)
    output_source_map: bool = False
    source_map_file: str | None = None
    # Written as the output's sourceMappingURL section.
    source_map_url: str | None = None
    # Input name -> its external debug file (bytes); the merged one is in
    # `MergeResult.debug_file`, and the output's external_debug_info names `debug_file_url`.
    input_debug_files: dict[str, bytes] = field(default_factory=dict)
    debug_file_url: str | None = None
    # A binary file to write the merged module to, streamed: the result's `data` is then
    # None and its module's `codes` empty (the bodies went straight to the file).
    output: object = None
    # A feature profile (`target.PROFILES`: "1.0", "2.0", "3.0", "node20") the output must
    # fit; None: any, with a warning for features the merge introduces.
    target: str | None = None

    def __post_init__(self):
        if self.export_conflicts not in EXPORT_CONFLICT_POLICIES:
            raise ValueError(f"export_conflicts must be one of {EXPORT_CONFLICT_POLICIES}")
        if self.target is not None and self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}")


@dataclass
class MergeResult:
    data: bytes
    module: Module
    warnings: list[str] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    size: int = 0  # of the merged module, in bytes
    source_map: str | None = None  # the merged source map (JSON), when asked for
    debug_file: bytes | None = None  # the merged external debug file, when inputs had them
