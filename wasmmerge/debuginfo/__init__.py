"""Debug info through a merge: DWARF sections and source maps follow the code they describe.

The caller says where each input's functions went (`AddressMap`, built from
`FunctionMove`s); `merge_dwarf` rewrites and concatenates the inputs' `.debug_*` sections,
parsing only as deep as the fields that move; `sourcemap` does the same for source maps.
"""

from .addresses import AddressMap, FunctionMove
from .dwarf import HANDLED, DebugInput, is_dwarf_section, merge_dwarf
from .errors import DwarfError

__all__ = ["AddressMap", "FunctionMove", "DebugInput", "DwarfError", "HANDLED", "is_dwarf_section", "merge_dwarf"]
