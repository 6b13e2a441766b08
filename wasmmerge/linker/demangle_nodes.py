"""The parsed form of an Itanium C++ name and how it prints, as LLVM's demangler prints it.

A C++ type prints in two halves around whatever it declares: `void (*)(int)` is
`void (*` + `)(int)`, and a function returning such a pointer puts its name and
parameters between them. So each node prints a left part and a right part, and says
whether it has a right part at all (arrays and functions do; pointers inherit it).
Parameter packs print one element at a time under a pack expansion, which repeats its
pattern once per element; the printer carries the current element.
"""


class Fail(Exception):
    """The name does not parse: demangle() returns it unchanged."""


class Printer:
    """An output buffer with LLVM's pack-expansion state."""

    def __init__(self):
        self.out: list[str] = []
        self.pack_index = None
        self.pack_max = None

    def add(self, text: str):
        self.out.append(text)

    def last_char(self) -> str:
        for piece in reversed(self.out):
            if piece:
                return piece[-1]
        return ""

    def text(self) -> str:
        return "".join(self.out)


class Node:
    rhs = False  # has a right part (arrays, functions, and what points to them)
    is_array = False
    is_function = False

    def left(self, p: Printer):
        pass

    def right(self, p: Printer):
        pass

    def print(self, p: Printer):
        self.left(p)
        self.right(p)

    def base_name(self) -> str:
        return ""

    def has_rhs(self, p) -> bool:
        return self.rhs

    def has_array(self, p) -> bool:
        return self.is_array

    def has_function(self, p) -> bool:
        return self.is_function


def render(node: Node) -> str:
    p = Printer()
    node.print(p)
    return p.text()


class Name(Node):
    def __init__(self, text: str):
        self.text = text

    def left(self, p):
        p.add(self.text)

    def base_name(self):
        return self.text


class Wrapped(Node):
    """Fixed text around a child: `vtable for X`, `std::X`, `X [abi:tag]`, `f() (.cold)`."""

    def __init__(self, before: str, child: Node, after: str = "", base: bool = False):
        self.before, self.child, self.after, self.base = before, child, after, base

    def left(self, p):
        p.add(self.before)
        self.child.print(p)
        p.add(self.after)

    def base_name(self):
        return self.child.base_name() if self.base else ""


class Nested(Node):
    def __init__(self, scope: Node, name: Node, separator: str = "::"):
        self.scope, self.name, self.separator = scope, name, separator

    def left(self, p):
        self.scope.print(p)
        p.add(self.separator)
        self.name.print(p)

    def base_name(self):
        return self.name.base_name()


class Special(Node):
    """`std::string` and its friends: short when named, spelled out as a constructor's scope."""

    def __init__(self, short: str, long: str, base: str, expanded: bool = False):
        self.short, self.long, self.base, self.expanded = short, long, base, expanded

    def left(self, p):
        p.add(self.long if self.expanded else self.short)

    def base_name(self):
        return self.base


def print_list(p: Printer, items):
    """Comma-separated, an empty pack expansion leaving no comma behind."""
    first = True
    for item in items:
        before = len(p.out)
        if not first:
            p.add(", ")
        after = len(p.out)
        item.print(p)
        if all(not piece for piece in p.out[after:]):
            del p.out[before:]
            continue
        first = False


class Templated(Node):
    def __init__(self, name: Node, args: list):
        self.name, self.args = name, args

    def left(self, p):
        self.name.print(p)
        p.add("<")
        print_list(p, self.args)
        if p.last_char() == ">":
            p.add(" ")
        p.add(">")

    def base_name(self):
        return self.name.base_name()


class ArgPack(Node):
    """`J ... E` among template arguments: all of them, comma-separated."""

    def __init__(self, items: list):
        self.items = items

    def left(self, p):
        print_list(p, self.items)


class ParamPack(Node):
    """A template parameter bound to a pack: prints the element being expanded."""

    def __init__(self, items: list):
        self.items = items

    def _current(self, p):
        if p.pack_max is None:
            p.pack_index, p.pack_max = 0, len(self.items)
        return self.items[p.pack_index] if p.pack_index < len(self.items) else None

    def left(self, p):
        item = self._current(p)
        if item is not None:
            item.left(p)

    def right(self, p):
        item = self._current(p)
        if item is not None:
            item.right(p)

    def has_rhs(self, p):
        item = self._current(p)
        return item is not None and item.has_rhs(p)

    def has_array(self, p):
        item = self._current(p)
        return item is not None and item.has_array(p)

    def has_function(self, p):
        item = self._current(p)
        return item is not None and item.has_function(p)


class PackExpansion(Node):
    def __init__(self, child: Node):
        self.child = child

    def left(self, p):
        saved = p.pack_index, p.pack_max
        p.pack_index = p.pack_max = None
        start = len(p.out)
        self.child.print(p)
        if p.pack_max is None:
            p.add("...")
        elif p.pack_max == 0:
            del p.out[start:]
        else:
            for k in range(1, p.pack_max):
                p.add(", ")
                p.pack_index = k
                self.child.print(p)
        p.pack_index, p.pack_max = saved


class Qualified(Node):
    def __init__(self, child: Node, quals: str):
        self.child, self.quals = child, quals

    def left(self, p):
        self.child.left(p)
        p.add(self.quals)

    def right(self, p):
        self.child.right(p)

    def has_rhs(self, p):
        return self.child.has_rhs(p)

    def has_array(self, p):
        return self.child.has_array(p)

    def has_function(self, p):
        return self.child.has_function(p)


class Pointer(Node):
    """`*`, `&` or `&&` to a type (references to references collapse)."""

    def __init__(self, pointee: Node, sym: str):
        self.pointee, self.sym = pointee, sym

    def _collapsed(self, p):
        pointee, sym = self.pointee, self.sym
        if sym == "*":
            return pointee, sym
        while True:
            target = pointee._current(p) if isinstance(pointee, ParamPack) else pointee
            if not isinstance(target, Pointer) or target.sym == "*":
                return pointee, sym
            sym = "&" if "&" in (sym, target.sym) else "&&"
            pointee = target.pointee

    def has_rhs(self, p):
        return self._collapsed(p)[0].has_rhs(p)

    def left(self, p):
        pointee, sym = self._collapsed(p)
        pointee.left(p)
        if pointee.has_array(p):
            p.add(" ")
        if pointee.has_array(p) or pointee.has_function(p):
            p.add("(")
        p.add(sym)

    def right(self, p):
        pointee, _ = self._collapsed(p)
        if pointee.has_array(p) or pointee.has_function(p):
            p.add(")")
        pointee.right(p)


class MemberPointer(Node):
    def __init__(self, cls: Node, member: Node):
        self.cls, self.member = cls, member

    def has_rhs(self, p):
        return self.member.has_rhs(p)

    def left(self, p):
        self.member.left(p)
        p.add("(" if self.member.has_array(p) or self.member.has_function(p) else " ")
        self.cls.print(p)
        p.add("::*")

    def right(self, p):
        if self.member.has_array(p) or self.member.has_function(p):
            p.add(")")
        self.member.right(p)


class Array(Node):
    rhs = is_array = True

    def __init__(self, base: Node, dimension: str):
        self.base, self.dimension = base, dimension

    def left(self, p):
        self.base.left(p)

    def right(self, p):
        if p.last_char() != "]":
            p.add(" ")
        p.add(f"[{self.dimension}]")
        self.base.right(p)


class Function(Node):
    """A function type, or (with a name) a function's encoding: `ret name(params) const &`."""

    rhs = is_function = True

    def __init__(self, ret, params: list, quals: str = "", ref: str = "", name: Node | None = None,
                 conditions: list | None = None):
        self.ret, self.params, self.quals, self.ref, self.name = ret, params, quals, ref, name
        self.conditions = conditions  # an enable_if attribute's, printed last: ` [enable_if:true]`

    def left(self, p):
        if self.name is None:
            self.ret.left(p)
            p.add(" ")
            return
        if self.ret is not None:
            self.ret.left(p)
            if not self.ret.has_rhs(p):
                p.add(" ")
        self.name.print(p)

    def right(self, p):
        p.add("(")
        print_list(p, self.params)
        p.add(")")
        if self.ret is not None:
            self.ret.right(p)
        p.add(self.quals)
        p.add(self.ref)
        if self.conditions is not None:
            p.add(" [enable_if:")
            print_list(p, self.conditions)
            p.add("]")


class Closure(Node):
    """A lambda's type: `'lambda'(int)`, the second one in a scope `'lambda0'(int)`. No
    base name: LLVM 14 names its constructor `'lambda'()::()`, and so do we."""

    def __init__(self, params: list, count: str):
        self.params, self.count = params, count

    def left(self, p):
        p.add(f"'lambda{self.count}'(")
        print_list(p, self.params)
        p.add(")")


class CtorDtor(Node):
    def __init__(self, scope: Node, dtor: bool):
        self.scope, self.dtor = scope, dtor

    def left(self, p):
        p.add(("~" if self.dtor else "") + self.scope.base_name())


class Conversion(Node):
    def __init__(self, target: Node):
        self.target = target

    def left(self, p):
        p.add("operator ")
        self.target.print(p)
