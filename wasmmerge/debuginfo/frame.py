"""`.debug_frame`: call frame information (wasm toolchains do not emit it, but other
producers may). Each FDE's CIE pointer moves with the section, its initial location and
address range with the code. The call frame instructions advance by relative amounts,
which stay right only when the function moved by one delta; for a function that grew
inside, the input's `.debug_frame` is dropped (`FrameError`), not the rest of its DWARF."""

from . import constants as C
from .context import InputDwarf
from .cursor import Cursor, put_uint
from .errors import DwarfError

FRAME = ".debug_frame"


class FrameError(DwarfError):
    """This input's .debug_frame cannot be carried over (the rest of its DWARF can)."""


def rewrite_frame(inp: InputDwarf) -> None:
    data = inp.sections.get(FRAME)
    if not data:
        return
    out = inp.copy(FRAME)
    base = inp.bases.get(FRAME, 0)
    address_sizes = {}  # CIE offset -> address size
    cur = Cursor(data, FRAME)
    while cur.pos < len(data):
        start = cur.pos
        offset_size, end = cur.initial_length()
        entry = Cursor(data, FRAME, cur.pos, end)
        id_pos = entry.pos
        cie_id = entry.uint(offset_size)
        if cie_id == (1 << (8 * offset_size)) - 1:
            version = entry.u8()
            entry.cstring_end()  # augmentation
            address_sizes[start] = entry.u8() if version >= 4 else inp.address_size
        else:
            size = address_sizes.get(cie_id)
            if size is None:
                raise FrameError(f"FDE names no CIE at {cie_id:#x}", id_pos, section=FRAME)
            put_uint(out, id_pos, offset_size, cie_id + base)
            pos = entry.need(2 * size)
            location = int.from_bytes(data[pos:pos + size], "little")  # its range stays as it is
            move = inp.addresses.function_of(inp.index, location)
            if move is None:
                put_uint(out, pos, size, C.tombstone(size))
            elif move.shifts:
                raise FrameError("a function with call frame information grew inside", pos, section=FRAME)
            else:
                put_uint(out, pos, size, location - move.old_start + move.new_start)
        cur.pos = end
