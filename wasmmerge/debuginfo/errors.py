"""The one exception of the DWARF rewriter: this input's debug info cannot be carried over.

It names the section and the byte offset inside it; the merge turns it into a warning
(the input's DWARF is dropped) or, with `--strict-debug`, into an error.
"""

from ..errors import DecodeError


class DwarfError(DecodeError):
    """DWARF we cannot parse or cannot rewrite faithfully."""

    def __init__(self, message: str, offset: int | None = None, file: str | None = None,
                 section: str | None = None):
        super().__init__(message, offset, file)
        self.section = section  # the offset is inside this section's payload

    def __str__(self) -> str:
        text = self.message
        if self.section:
            where = f"{self.section}" + (f" at offset {self.offset:#x}" if self.offset is not None else "")
            text = f"{where}: {text}"
        elif self.offset is not None:
            text = f"{text} (at offset {self.offset:#x})"
        if self.file:
            text = f"{self.file}: {text}"
        return text
