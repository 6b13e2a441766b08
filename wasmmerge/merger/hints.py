"""Did-you-mean hints for imports a merge left unresolved, read off the merge's result.

An import binds to an input by the input's *name*, which is the file stem unless the
command line says `NAME=PATH`. So `mathlib=lib.wasm` beside an `app` that imports `lib.*`
merges cleanly and leaves every `lib.*` import dangling: legal (the output may import
them from its host) but almost always a mistake. The hints look only at the output's
remaining imports and the inputs' names and paths, not at the merger's internals.
"""

from .load import input_name_from_path

# How alike two names must be (difflib's ratio) for one to be offered for the other.
CLOSE_ENOUGH = 0.75
EXAMPLES = 3


def unresolved_import_hints(kept_imports, inputs: list[tuple[str, str]]) -> list[str]:
    """Warnings for the output's imports (`.module`, `.name` each) whose module name is not
    an input's name but is an input's file stem or close to an input's name; `inputs` is
    `[(name, path), ...]`."""
    names = [name for name, _ in inputs]
    by_stem = {}
    for name, path in inputs:
        by_stem.setdefault(input_name_from_path(path), (name, path))
    dangling: dict[str, list[str]] = {}
    for imp in kept_imports:
        if imp.module not in names:
            dangling.setdefault(imp.module, []).append(imp.name)
    hints = []
    for module, fields in dangling.items():
        suggestion = _suggest(module, names, by_stem)
        if suggestion is None:
            continue
        shown = ", ".join(f"{module}.{f}" for f in fields[:EXAMPLES])
        more = f" and {len(fields) - EXAMPLES} more" if len(fields) > EXAMPLES else ""
        count = f"{len(fields)} import{'s' if len(fields) != 1 else ''}"
        hints.append(f"{count} from {module!r} left unresolved ({shown}{more}): "
                     f"no input is named {module!r}; {suggestion}")
    return hints


def _suggest(module: str, names: list[str], by_stem: dict) -> str | None:
    if module in by_stem:
        name, path = by_stem[module]
        return f"input {name!r} was read from {path}: did you mean {module}={path}?"
    import difflib  # lazy: only for an import no input provides, not on every merge.
    close = difflib.get_close_matches(module, names, n=1, cutoff=CLOSE_ENOUGH)
    if close:
        return f"did you mean input {close[0]!r}?"
    return None
