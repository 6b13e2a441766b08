"""Expressions of the Itanium C++ grammar, as LLVM 14's demangler prints them.

They appear where a type depends on a template: `decltype(...)` return types (what
`std::invoke`-style code mangles to), template arguments (`X...E`) and array bounds.
LLVM 14 parenthesizes every operand: `decltype((fp) + (fp0))`, `(fp)[0]`, `-(fp)`,
`(long)(fp)`; calls, member access and casts print plainly (`fwd<int>(fp0)`, `fp.n`,
`static_cast<double>(fp)`). Read here: operators, calls, conversions and casts,
sizeof/alignof, member access, subscripts, conditionals, braced and `new` expressions,
function parameters (`fp`, `fp0`), template parameters, literals, pack expansions and
unresolved (dependent) names. Anything else fails the name, which then stays mangled.
"""

from .demangle_nodes import Fail, Name, Node, PackExpansion, Templated, Wrapped, print_list

BINARY = {
    "aa": "&&", "an": "&", "aN": "&=", "aS": "=", "cm": ",", "dv": "/", "dV": "/=", "eo": "^", "eO": "^=",
    "eq": "==", "ge": ">=", "gt": ">", "le": "<=", "ls": "<<", "lS": "<<=", "lt": "<", "mi": "-", "mI": "-=",
    "ml": "*", "mL": "*=", "ne": "!=", "oo": "||", "or": "|", "oR": "|=", "pl": "+", "pL": "+=", "rm": "%",
    "rM": "%=", "rs": ">>", "rS": ">>=", "ds": ".*", "pm": "->*", "ss": "<=>",
}
PREFIX = {"ad": "&", "de": "*", "ng": "-", "nt": "!", "ps": "+", "co": "~"}
CASTS = {"sc": "static_cast", "dc": "dynamic_cast", "cc": "const_cast", "rc": "reinterpret_cast"}
ENCLOSING = {"st": ("sizeof (", "type"), "at": ("alignof (", "type"), "sz": ("sizeof (", "expr"),
             "az": ("alignof (", "expr"), "nx": ("noexcept (", "expr")}


class Expr(Node):
    """Text and subexpressions in sequence: a str, a node, ("left", node) for a type's left
    part only, or ("list", nodes) for a comma-separated list."""

    def __init__(self, *parts):
        self.parts = parts

    def left(self, p):
        for part in self.parts:
            if isinstance(part, str):
                p.add(part)
            elif isinstance(part, tuple) and part[0] == "left":
                part[1].left(p)
            elif isinstance(part, tuple):
                print_list(p, part[1])
            else:
                part.print(p)


class ExpressionRules:
    """Mixed into the demangler's parser (it supplies look/take/expect/type/... )."""

    def expression(self):
        is_global = self.take("gs")
        two = self.s[self.i:self.i + 2]
        c = self.look()
        if c == "L":
            return self.literal()
        if c == "T":
            return self.template_param()
        if two in ("fp", "fL"):
            return self.function_param()
        if c.isdigit() or two in ("sr", "on", "dn"):
            return self.unresolved_name(is_global)
        if two in ("nw", "na"):
            return self.new_expression()  # (LLVM 14 prints `::new` as `new`)
        self.i += 2
        if two in BINARY:
            lhs = self.expression()
            rhs = self.expression()
            op = BINARY[two]
            text = Expr("(", lhs, f") {op} (", rhs, ")")
            return Expr("(", text, ")") if op == ">" else text
        if two in PREFIX:
            return Expr(PREFIX[two], "(", self.expression(), ")")
        if two in ("pp", "mm"):
            op = "++" if two == "pp" else "--"
            if self.take("_"):
                return Expr(op, "(", self.expression(), ")")
            return Expr("(", self.expression(), ")", op)
        if two == "qu":
            cond, then, other = self.expression(), self.expression(), self.expression()
            return Expr("(", cond, ") ? (", then, ") : (", other, ")")
        if two == "ix":
            base, index = self.expression(), self.expression()
            return Expr("(", base, ")[", index, "]")
        if two == "cl":
            callee = self.expression()
            return Expr(callee, "(", ("list", self.expression_list("E")), ")")
        if two == "cv":
            target = self.type()
            values = self.expression_list("E") if self.take("_") else [self.expression()]
            return Expr("(", target, ")(", ("list", values), ")")
        if two in CASTS:
            target = self.type()
            return Expr(CASTS[two], "<", ("left", target), ">(", ("left", self.expression()), ")")
        if two in ENCLOSING:
            before, what = ENCLOSING[two]
            return Expr(before, self.type() if what == "type" else self.expression(), ")")
        if two == "sZ":
            pack = self.template_param() if self.look() == "T" else self.function_param()
            return Expr("sizeof...(", PackExpansion(pack), ")")
        if two in ("dt", "pt"):
            lhs = self.expression()
            return Expr(lhs, "." if two == "dt" else "->", self.expression())
        if two == "tl":
            target = self.type()
            return Expr(target, "{", ("list", self.expression_list("E")), "}")
        if two == "il":
            return Expr("{", ("list", self.expression_list("E")), "}")
        if two == "sp":
            return PackExpansion(self.expression())
        if two == "tw":
            return Expr("throw ", self.expression())
        if two == "tr":
            return Name("throw")
        raise Fail

    def expression_list(self, end: str) -> list:
        items = []
        while not self.take(end):
            items.append(self.expression())
        return items

    def function_param(self):
        if self.take("fL"):
            self.number()
            self.expect("p")
        else:
            self.expect("fp")
        self.cv_qualifiers()
        number = self.number()
        self.expect("_")
        return Name("fp" + number)

    def new_expression(self):
        array = self.s[self.i:self.i + 2] == "na"
        self.i += 2
        placement = self.expression_list("_")
        target = self.type()
        inits = []
        if self.take("pi"):
            inits = self.expression_list("E")
        else:
            self.expect("E")
        parts = ["new[] " if array else "new "]
        if placement:
            parts += ["(", ("list", placement), ")"]
        parts.append(target)
        if inits:
            parts += ["(", ("list", inits), ")"]
        return Expr(*parts)

    # -- unresolved names: scopes the template has not resolved (T::value, N::f<T>) ----------

    def unresolved_name(self, is_global: bool):
        if self.take("srN"):
            scope = self.unresolved_type()
            if self.look() == "I":
                scope = Templated(scope, self.template_args(False))
            while not self.take("E"):
                scope = _qualified(scope, self.simple_id())
            return _qualified(scope, self.base_unresolved_name())
        if not self.take("sr"):
            name = self.base_unresolved_name()
            return Wrapped("::", name) if is_global else name
        if self.look().isdigit():
            scope = None
            while True:
                qualifier = self.simple_id()
                scope = qualifier if scope is None else _qualified(scope, qualifier)
                if scope is qualifier and is_global:
                    scope = Wrapped("::", qualifier)
                if self.take("E"):
                    break
        else:
            scope = self.unresolved_type()
            if self.look() == "I":
                scope = Templated(scope, self.template_args(False))
        return _qualified(scope, self.base_unresolved_name())

    def unresolved_type(self):
        c = self.look()
        if c == "T":
            node = self.template_param()
        elif c == "D" and self.look(1) in ("t", "T"):
            node = self.type()  # a decltype: type() records it as a candidate itself
            return node
        elif c == "S":
            return self.substitution()
        else:
            raise Fail
        self.subs.append(node)
        return node

    def simple_id(self):
        name = self.source_name()
        if self.look() == "I":
            name = Templated(name, self.template_args(False))
        return name

    def base_unresolved_name(self):
        if self.look().isdigit():
            return self.simple_id()
        if self.take("dn"):
            target = self.simple_id() if self.look().isdigit() else self.unresolved_type()
            return Wrapped("~", target)
        self.take("on")
        name = self.operator_name(None)
        if self.look() == "I":
            name = Templated(name, self.template_args(False))
        return name


def _qualified(scope, name):
    return Expr(scope, "::", name)
