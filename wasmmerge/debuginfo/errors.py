"""The one exception of the DWARF rewriter: this input's debug info cannot be carried over.

It names the section and the byte offset inside it. That offset is not a file offset, so
it goes into the message (`.debug_info at offset 0x1e: unknown attribute form 0x7f`) and
the error's own `offset` stays empty. The merge turns the error into a warning (the
input's DWARF is dropped) or, with `--strict-debug`, reports it.
"""

from ..errors import DecodeError


class DwarfError(DecodeError):
    """DWARF we cannot parse or cannot rewrite faithfully."""

    def __init__(self, message: str, offset: int | None = None, file: str | None = None,
                 section: str | None = None):
        self.section = section
        self.section_offset = None
        if section is not None:
            where = section if offset is None else f"{section} at offset {offset:#x}"
            message = f"{where}: {message}"
            self.section_offset, offset = offset, None
        super().__init__(message, offset, file)
