"""The vocabulary of index spaces and immediate kinds: the one place that names them.

An *index space* is a numbering the binary format refers to by index: functions,
tables, memories, globals, types, element and data segments, tags (module-wide), and
locals, labels and struct fields (inside one function or type). An *immediate kind* is
the shape of one instruction immediate: its byte layout and the index spaces its value
names. The opcode table (`opcodes.py`) writes each immediate as a kind from `KINDS`;
the decoder, encoder, scanner, validator, remapper and both engines build their
per-kind tables from this module, and `tests/test_spaces.py` checks that each of them
handles every kind the opcode table uses.

Names are plain strings, not an `Enum`: the hot paths compare immediate kinds and key
dicts by them, and a str's hash and equality run in C where an Enum member's do not.
"""

from .record import Frozen, set_field

# -- index spaces ------------------------------------------------------------------------

TYPE = "type"
FUNC = "func"
TABLE = "table"
MEMORY = "memory"
GLOBAL = "global"
ELEM = "elem"
DATA = "data"
TAG = "tag"
LOCAL = "local"
LABEL = "label"
FIELD = "field"

# Spaces numbered across the whole module: what a merge renumbers (in the order its
# report lists them).
MODULE_SPACES = (TYPE, FUNC, TABLE, MEMORY, GLOBAL, TAG, ELEM, DATA)
# Spaces numbered inside one function (locals, labels) or one struct type (fields).
LOCAL_SPACES = (LOCAL, LABEL, FIELD)
SPACES = MODULE_SPACES + LOCAL_SPACES

# -- byte layouts of immediates --------------------------------------------------------

U32 = "u32"              # unsigned LEB128, at most 32 bits
S32 = "s32"              # signed LEB128, at most 32 bits
S33 = "s33"              # signed LEB128, 33 bits (heap types: negative is abstract)
S64 = "s64"              # signed LEB128, at most 64 bits
FIXED = "fixed"          # `size` raw bytes, little-endian
BYTE = "byte"            # one byte
BLOCK = "blocktype"      # 0x40 (empty), a value type, or a type index as s33
MEMARG = "memarg"        # u32 flags (bit 6: a memory index follows), [u32 memory], u64 offset
VECTOR = "vector"        # u32 count, then that many elements (labels: count + 1)

LEB_LAYOUTS = frozenset((U32, S32, S33, S64))


class Kind(Frozen):
    """One immediate kind: how it is laid out, and what it indexes."""

    __slots__ = ("name", "layout", "spaces", "size")

    def __init__(self, name: str, layout: str, spaces: tuple[str, ...] = (), size: int | None = None):
        set_field(self, "name", name)
        set_field(self, "layout", layout)
        set_field(self, "spaces", spaces)  # index spaces its value names (any part of it)
        set_field(self, "size", size)  # bytes, for FIXED and BYTE layouts

    @property
    def is_index(self) -> bool:
        """A single index, named after the space it indexes."""
        return self.name in SPACES


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.name: kind for kind in kinds}


KINDS: dict[str, Kind] = _kinds(
    # A single index: one kind per space, laid out as u32.
    *(Kind(space, U32, (space,)) for space in SPACES),
    # Compound immediates, and the spaces they may contain.
    Kind("blocktype", BLOCK, (TYPE,)),
    Kind("labels", VECTOR, (LABEL,)),      # br_table: the targets, then the default
    Kind("memarg", MEMARG, (MEMORY,)),
    Kind("heaptype", S33, (TYPE,)),
    Kind("valtypes", VECTOR, (TYPE,)),     # typed select
    Kind("catches", VECTOR, (TAG, LABEL)),  # try_table's catch clauses
    # Plain values.
    Kind("u32", U32),
    Kind("i32", S32),
    Kind("i64", S64),
    Kind("f32", FIXED, size=4),
    Kind("f64", FIXED, size=8),
    Kind("v128", FIXED, size=16),
    Kind("shuffle", FIXED, size=16),       # i8x16.shuffle's lane indices
    Kind("lane", BYTE, size=1),            # a lane index (bound given by the table row)
    Kind("castflags", BYTE, size=1),       # br_on_cast: bit 0/1 = source/target nullable
    Kind("zero", BYTE, size=1),            # a reserved zero byte
)

INDEX_KINDS = tuple(name for name, kind in KINDS.items() if kind.is_index)
COMPOUND_KINDS = tuple(name for name, kind in KINDS.items() if kind.spaces and not kind.is_index)
PLAIN_KINDS = tuple(name for name, kind in KINDS.items() if not kind.spaces)
# Kinds a regular expression cannot match: their length depends on a count.
VECTOR_KINDS = frozenset(name for name, kind in KINDS.items() if kind.layout == VECTOR)
# Compound kind -> the spaces it may name.
COMPOUND_SPACES = {name: KINDS[name].spaces for name in COMPOUND_KINDS}


def spaces_of(kind: str) -> tuple[str, ...]:
    """The index spaces an immediate of `kind` names."""
    return KINDS[kind].spaces


def by_layout(handlers: dict, fixed=None) -> dict:
    """{kind name: handler} for every kind whose layout alone says how to handle it.

    `handlers` maps layouts (U32, S32...) to a handler; `fixed(size)` makes the handler of
    a FIXED kind. A kind with another layout, or with a constraint on its value
    (`castflags`, `zero`), needs an entry of the caller's own.
    """
    out = {}
    for name, kind in KINDS.items():
        if kind.layout == FIXED and fixed is not None:
            out[name] = fixed(kind.size)
        elif kind.layout in handlers:
            out[name] = handlers[kind.layout]
    return out
