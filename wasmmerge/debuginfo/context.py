"""One input's DWARF while it is being rewritten: its original sections (read only), the
copies being patched, where its piece of each section lands in the output, and what the
passes tell each other (which list belongs to which unit, which `.debug_addr` entries
hold code addresses, which offsets wait for a re-encoded section's new layout)."""

from dataclasses import dataclass, field

from .addresses import AddressMap
from .errors import DwarfError


@dataclass
class UnitContext:
    """What a location or range list needs from the unit that uses it."""
    version: int
    address_size: int
    offset_size: int
    base: int  # the unit's base address (its DW_AT_low_pc), old offsets; 0 if none
    addr_base: int | None  # where its `.debug_addr` entries start


@dataclass
class InputDwarf:
    index: int
    name: str
    sections: dict[str, bytes]  # original bytes, read only
    addresses: AddressMap
    address_size: int = 4  # of its first unit (for .debug_addr entries)
    out: dict[str, bytearray] = field(default_factory=dict)  # patched copies
    bases: dict[str, int] = field(default_factory=dict)  # output offset of this input's piece
    # list section -> {offset of a list or a table end: the unit using it}
    list_refs: dict[str, dict[int, UnitContext]] = field(default_factory=dict)
    # position of a `.debug_addr` entry holding a code address -> True when it is an end
    code_addrs: dict[int, bool] = field(default_factory=dict)
    # (position in .debug_info, size, target section, old offset): patched once the target is laid out
    deferred: list[tuple[int, int, str, int]] = field(default_factory=list)
    # re-encoded sections: old offset (of a unit, list or table) -> new offset
    moved: dict[str, dict[int, int]] = field(default_factory=dict)

    def copy(self, section: str) -> bytearray:
        out = self.out.get(section)
        if out is None:
            out = self.out[section] = bytearray(self.sections.get(section, b""))
        return out

    def relocate(self, section: str, offset: int) -> int:
        """The output offset of `offset` in this input's `section`."""
        moved = self.moved.get(section)
        if moved is not None:
            new = moved.get(offset)
            if new is None:
                raise DwarfError(f"offset {offset:#x} is not the start of anything in {section}", offset,
                                 section=section)
            offset = new
        return self.bases.get(section, 0) + offset

    def map(self, address: int, end: bool = False) -> int | None:
        return self.addresses.map(self.index, address, end)
