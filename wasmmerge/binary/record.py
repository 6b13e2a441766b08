"""Record classes for the types, the module model and the linker's objects: what
`@dataclass` would generate, written once here instead of compiled at every start-up.

`@dataclass` builds each class's `__init__`, `__repr__` and `__eq__` (a frozen class's
`__setattr__`, `__delattr__` and `__hash__` too) from generated source, compiled when the
module is imported: 0.3-0.6 ms a class on the 2-core development machine, 10 ms for the
21 classes of `types.py` and `model.py` that every command loads. A record here writes
its own `__init__` (a plain function, compiled once into the .pyc) and inherits the rest:

- equality: same class, and equal in every field of `_compared` (all fields unless the
  class says otherwise), as a dataclass with `eq=True` compares; mutable records are
  unhashable, frozen ones hash those fields;
- `repr`: `Name(field=value, ...)` over every field, as a dataclass prints;
- frozen records refuse assignment, and pickle (and copy) through their `__init__`;
- entities (`Entity`, like `@dataclass(eq=False)`) are compared and hashed by identity,
  and print `...` for themselves inside their own repr (a chunk names its file, which
  lists its chunks), as a dataclass's repr does.

Fields are the class's `__slots__`, in `__init__`'s parameter order.
"""

from _thread import get_ident
from operator import attrgetter

set_field = object.__setattr__  # how a frozen record's __init__ sets its fields


def _tuple_getter(names: tuple[str, ...]):
    """A function returning a tuple of the named attributes (even of one or none)."""
    if not names:
        return lambda record: ()
    if len(names) == 1:
        single = attrgetter(names[0])
        return lambda record: (single(record),)
    return attrgetter(*names)


class Record:
    """A mutable record (like `@dataclass(slots=True)`)."""

    __slots__ = ()
    _compared: tuple[str, ...] | None = None  # None: every field

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(cls.__slots__)
        cls._key = staticmethod(_tuple_getter(cls._compared if cls._compared is not None else cls._fields))

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key(self) == self._key(other)

    __hash__ = None  # mutable: unhashable, as a dataclass with eq=True

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({fields})"


class Frozen(Record):
    """An immutable record (like `@dataclass(frozen=True, slots=True)`): hashable by the
    compared fields. Its `__init__` sets fields with `set_field`."""

    __slots__ = ()

    def __hash__(self):
        return hash(self._key(self))

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {self.__class__.__name__}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of a frozen {self.__class__.__name__}")

    def __reduce__(self):
        return self.__class__, tuple(getattr(self, name) for name in self._fields)


_REPRS_RUNNING = set()  # (id, thread) of the entities being printed, as dataclasses keep


class Entity(Record):
    """A mutable record that is an object rather than a value (like `@dataclass(eq=False,
    slots=True)`): equal only to itself, hashable by identity."""

    __slots__ = ()
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        key = (id(self), get_ident())
        if key in _REPRS_RUNNING:
            return "..."
        _REPRS_RUNNING.add(key)
        try:
            return Record.__repr__(self)
        finally:
            _REPRS_RUNNING.discard(key)
