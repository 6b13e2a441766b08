"""An object's import section, read into what the linker uses of it.

Each import of a relocatable object declares one of its undefined symbols: the symbol
table takes the import's field name (the symbol's name when the symbol table gives
none), its module name and its description (a function's type index; a table's,
memory's, global's or tag's type). A program's objects have tens of thousands of
imports, nearly all functions from `env`, so they are kept per kind in parallel lists
(three list slots an import, no object each) and a module name is one string for every
import that names it (interned, so "env" exists once in a link).

The usual import (names of at most 127 bytes, a function of a type index below 128) is
read here; any other (another kind, a longer encoding, or a malformed one) is read again
from its first byte by the codec's import reader, so every error is the codec's, worded
and placed as when the whole section went through it.
"""

from sys import intern

from ..binary.reader import Reader, read_import
from ..binary.record import Entity
from ..errors import DecodeError

_ENV = b"\x03env"  # the usual module name as encoded (length, bytes): matched without a copy


class ObjectImports(Entity):
    """Import number `i` of kind `k` (binary/types.py: function 0, table 1, memory 2,
    global 3, tag 4; numbered as its index space numbers imports) is
    `modules[k][i]`, `names[k][i]`, `descs[k][i]`."""

    __slots__ = ("modules", "names", "descs")

    def __init__(self, modules: tuple | None = None, names: tuple | None = None, descs: tuple | None = None):
        self.modules = ([], [], [], [], []) if modules is None else modules
        self.names = ([], [], [], [], []) if names is None else names
        # A function's type index; a TableType, MemType, GlobalType or TagType.
        self.descs = ([], [], [], [], []) if descs is None else descs

    def counts(self) -> dict[int, int]:
        """Import kind -> how many imports of it."""
        return {kind: len(names) for kind, names in enumerate(self.names)}


def read_imports(data: bytes, start: int, end: int) -> ObjectImports:
    """The import section whose contents are `data[start:end]` (offsets are the file's)."""
    imports = ObjectImports()
    modules, names, descs = imports.modules, imports.names, imports.descs
    add_module, add_name, add_type = modules[0].append, names[0].append, descs[0].append  # function imports
    r = Reader(data, start, end)
    count = r.u32()
    pos = r.pos
    module_code, module = _ENV, "env"  # the module name last read here: encoded, and as text
    module_size = len(module_code)
    section = data[start:end]
    # A section of ASCII bytes only (the usual one: names, kinds, small numbers) is
    # decoded once; each name is then a slice of it, not a bytes copy decoded.
    text = section.decode("ascii") if section.isascii() else None
    for _ in range(count):
        at = pos
        if section.startswith(module_code, pos - start):  # (the input may be a mapping: no startswith)
            pos += module_size
        else:
            size = data[pos] if pos < end else 0x80
            if size < 0x80 and pos + 1 + size <= end:
                try:
                    module = intern(str(data[pos + 1:pos + 1 + size], "utf-8"))
                    module_size = 1 + size
                    module_code = data[pos:pos + module_size]
                    pos += module_size
                except UnicodeDecodeError:
                    pos = None
            else:
                pos = None
        if pos is not None:
            size = data[pos] if pos < end else 0x80
            kind_at = pos + 1 + size
            # The name, kind 0 (a function) and a one-byte type index, all inside the section.
            if size < 0x80 and kind_at + 2 <= end and data[kind_at] == 0 and data[kind_at + 1] < 0x80:
                if text is not None:
                    name = text[pos + 1 - start:kind_at - start]
                else:
                    try:
                        name = str(data[pos + 1:kind_at], "utf-8")
                    except UnicodeDecodeError:
                        name = None
                if name is not None:
                    add_module(module)
                    add_name(name)
                    add_type(data[kind_at + 1])
                    pos = kind_at + 2
                    continue
        r.pos = at
        imp = read_import(r)
        pos = r.pos
        modules[imp.kind].append(intern(imp.module))
        names[imp.kind].append(imp.name)
        descs[imp.kind].append(imp.type)
    if pos != end:
        raise DecodeError("section size mismatch", pos)
    # A kind with no import shares one empty tuple (most objects import only functions,
    # the memory and __stack_pointer), and the module names and descriptions, never
    # changed after this, are tuples sized to fit (the names are renamed in place:
    # symtab.py). Thousands of objects' lists were a tenth of a large link's memory.
    imports.modules = tuple(tuple(kind) for kind in modules)
    imports.descs = tuple(tuple(kind) for kind in descs)
    imports.names = tuple(kind if kind else () for kind in names)
    return imports
