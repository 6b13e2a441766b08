"""The merged module's exports: every input's, under its own name, with a policy for clashes.

A clash is two inputs exporting one name for different items ("error" lists them all;
"rename" gives later ones `<module>.<name>`; "skip" drops later ones). The same item
exported twice under one name (a re-export) is no clash.
"""

from ..binary.model import Export
from ..errors import LinkError, ValidationError
from .options import MergeOptions
from .plan import KIND_SPACES, Plan


def check_export_from(export_from, names) -> None:
    """Refuse an `--export-from` name that is no input's (`names`): merge's rule, which
    `verify` applies too when it is given a module merged before."""
    unknown = [n for n in export_from or () if n not in names]
    if unknown:
        raise LinkError(f"--export-from names no input: {', '.join(unknown)}")


def merged_exports(loaded, plan: Plan, options: MergeOptions, warnings) -> list[Export]:
    check_export_from(options.export_from, {inp.name for inp in loaded})
    out, owner, conflicts = [], {}, []
    for k, inp in enumerate(loaded):
        if options.export_from is not None and inp.name not in options.export_from:
            continue
        own_names = {e.name for e in inp.module.exports}
        for e in inp.module.exports:
            space = KIND_SPACES[e.kind]
            if e.index >= len(plan.maps[k][space]):
                raise ValidationError(f"export {e.name!r} names unknown {space} {e.index}", file=inp.label)
            index = plan.maps[k][space][e.index]
            name = e.name
            previous = owner.get(name)
            if previous is not None:
                if previous[1:] == (e.kind, index):
                    continue  # the same item, re-exported under the same name
                if options.export_conflicts == "error":
                    conflicts.append(f"{name!r} ({previous[0]} and {inp.name})")
                    continue
                if options.export_conflicts == "skip":
                    warnings.append(f"{inp.name}: export {name!r} skipped: {previous[0]} exports that name")
                    continue
                name = f"{inp.name}.{name}"
                # Taken by an earlier export, or by one of this input's own (which the
                # rename would otherwise push aside to `<module>.<module>.<name>`).
                if name in owner or name in own_names:
                    raise LinkError(f"export {e.name!r} of {inp.name} conflicts, and its renamed form "
                                    f"{name!r} is taken too", file=inp.label)
            owner[name] = (inp.name, e.kind, index)
            out.append(Export(name, e.kind, index))
    if conflicts:
        listed = ", ".join(conflicts[:10]) + (f" and {len(conflicts) - 10} more" if len(conflicts) > 10 else "")
        raise LinkError(f"export name conflicts: {listed} "
                        "(use --rename-export-conflicts or --skip-export-conflicts)")
    return out
