"""Hand-written relocatable objects in the byte DSL: small enough to see what each test breaks.

`obj()` builds: type ()->(), import env.__linear_memory, one function `main` whose body is
`call <index>` (a 5-byte padded LEB at code-section offset CALL_SITE), an optional data
segment, a linking section (symbol table) and a reloc.CODE section.
"""

from bytedsl import HEADER, name, section, u32, vec

CALL_SITE = 4  # vec count, body size, locals count, `call` opcode, then the index field
CODE_SECTION_INDEX = 3  # type, import, function, code


def sym_function(index: int, sym_name: str | None, flags: int = 0) -> bytes:
    out = b"\x00" + u32(flags) + u32(index)
    return out + (name(sym_name) if sym_name is not None else b"")


def sym_data_undefined(sym_name: str) -> bytes:
    return b"\x01" + u32(0x10) + name(sym_name)


def linking(*symbols: bytes, version: int = 2) -> bytes:
    table = vec(*symbols)
    return section(0, name("linking") + u32(version) + b"\x08" + u32(len(table)) + table)


def reloc_code(*entries: bytes, target: int = CODE_SECTION_INDEX) -> bytes:
    return section(0, name("reloc.CODE") + u32(target) + vec(*entries))


def entry(rtype: int, offset: int, index: int, addend: bytes = b"") -> bytes:
    return bytes((rtype,)) + u32(offset) + u32(index) + addend


def obj(linking_section: bytes, reloc_section: bytes = b"", imported_funcs=()) -> bytes:
    imports = [name("env") + name("__linear_memory") + b"\x02\x00\x00"]
    imports += [name("env") + name(f) + b"\x00\x00" for f in imported_funcs]
    body = u32(0) + b"\x10\x80\x80\x80\x80\x00" + b"\x0b"
    return (HEADER
            + section(1, vec(b"\x60\x00\x00"))
            + section(2, vec(*imports))
            + section(3, vec(u32(0)))
            + section(10, vec(u32(len(body)) + body))
            + linking_section + reloc_section)


def caller_and_callee(directory) -> list[str]:
    """Two objects written to `directory`: a.o's `main` calls `callee`, which b.o defines
    (the smallest real link, for tests that run the command; no tool needed)."""
    caller = obj(linking(sym_function(0, None, flags=0x10), sym_function(1, "main")),
                 reloc_code(entry(0, CALL_SITE, 0)), imported_funcs=["callee"])
    callee = obj(linking(sym_function(0, "callee")), reloc_code(entry(0, CALL_SITE, 0)))
    (directory / "a.o").write_bytes(caller)
    (directory / "b.o").write_bytes(callee)
    return [str(directory / "a.o"), str(directory / "b.o")]
