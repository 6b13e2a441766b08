"""Merging the DWARF of several inputs: each `.debug_*` section is the inputs' pieces
concatenated, each piece rewritten for where its code and its sibling sections went.

One input at a time, in input order, so each knows the final size of every earlier
piece (a re-encoded line table or list section can grow). An input whose DWARF we cannot
parse or faithfully rewrite is dropped whole, with a warning naming the file, section
and offset (an error under `strict`): stale debug info is worse than none.
"""

from dataclasses import dataclass

from .addresses import AddressMap
from .context import InputDwarf, UnitContext
from .cursor import put_uint
from .errors import DwarfError
from .frame import FrameError, rewrite_frame
from .lines import rewrite_lines
from .lists import rewrite_addr, rewrite_pre5_lists, rewrite_v5_lists
from .tables import rewrite_aranges, rewrite_pubnames, rewrite_str_offsets
from .units import rewrite_info

# Sections we know how to move. Strings, abbreviations and macinfo only concatenate.
HANDLED = (".debug_abbrev", ".debug_info", ".debug_line", ".debug_str", ".debug_line_str",
           ".debug_str_offsets", ".debug_addr", ".debug_ranges", ".debug_rnglists", ".debug_loc",
           ".debug_loclists", ".debug_aranges", ".debug_pubnames", ".debug_pubtypes", ".debug_macinfo",
           ".debug_frame")


def is_dwarf_section(name: str) -> bool:
    return name.startswith(".debug_")


@dataclass
class DebugInput:
    name: str  # the input's module name
    sections: dict[str, bytes]  # `.debug_*` custom section name -> payload
    label: str | None = None  # how errors name it (with its file); default: `name`


def merge_dwarf(inputs: list[DebugInput], addresses: AddressMap, warnings: list[str],
                strict: bool = False) -> list[tuple[str, bytes]]:
    """The merged `.debug_*` sections as (name, payload), in first-seen order.

    `inputs[k]`'s code addresses map through `addresses.map(k, ...)`.
    """
    sizes: dict[str, int] = {}
    pieces: dict[str, list[bytes]] = {}
    for k, debug in enumerate(inputs):
        if not debug.sections:
            continue
        known = {}
        for name, data in debug.sections.items():
            if name in HANDLED:
                known[name] = data
            else:
                warnings.append(f"{debug.name}: custom section {name!r} cannot be moved with the code; dropped")
        if ".debug_info" not in known:
            warnings.extend(f"{debug.name}: custom section {name!r} cannot be carried over without .debug_info; "
                            "dropped" for name in known)
            continue
        label = debug.label or debug.name
        inp = InputDwarf(k, label, known, addresses)
        inp.bases = dict(sizes)
        try:
            try:
                rewrite_frame(inp)
            except FrameError as err:
                warnings.append(f"{err.with_file(label)}; this input's .debug_frame is dropped")
                del known[".debug_frame"]  # also inp.sections: the same dict
                inp.out.pop(".debug_frame", None)
            rewrite_input(inp)
        except DwarfError as err:
            err.with_file(label)
            if strict:
                raise
            warnings.append(f"{err}; this input's DWARF is dropped")
            continue
        for name in known:
            data = inp.out.get(name)
            data = known[name] if data is None else bytes(data)
            pieces.setdefault(name, []).append(data)
            sizes[name] = sizes.get(name, 0) + len(data)
    return [(name, b"".join(parts)) for name, parts in pieces.items()]


def rewrite_input(inp: InputDwarf) -> None:
    rewrite_info(inp)
    rewrite_lines(inp)
    default = UnitContext(4, inp.address_size, 4, 0, None)
    rewrite_pre5_lists(inp, ".debug_ranges", default)
    rewrite_pre5_lists(inp, ".debug_loc", default)
    rewrite_v5_lists(inp, ".debug_rnglists", default)
    rewrite_v5_lists(inp, ".debug_loclists", default)
    rewrite_addr(inp)
    info = inp.out[".debug_info"]
    for pos, size, section, value in inp.deferred:
        put_uint(info, pos, size, inp.relocate(section, value))
    rewrite_aranges(inp)
    rewrite_pubnames(inp, ".debug_pubnames")
    rewrite_pubnames(inp, ".debug_pubtypes")
    rewrite_str_offsets(inp)
