"""An Itanium C++ ABI demangler: `_Z10use_shapesi` -> `use_shapes(int)`, as LLVM prints it.

wasm-ld writes C++ names demangled into the name section, the map and its messages, with
LLVM's demangler; this one follows its grammar and its output text (the printing is in
demangle_nodes.py). It covers what compilers emit for real programs: nested and local
names, templates and their parameters, substitutions and the `std::` abbreviations,
operators, constructors and destructors, cv- and ref-qualifiers, function, array and
member-pointer types, parameter packs, lambdas and unnamed types, ABI tags, clone
suffixes, and the special names (vtables, VTTs, typeinfo, guard variables, thunks).
Types are read by demangle_types.py, expressions (decltype, template arguments) by
demangle_expr.py. A name it cannot read is returned unchanged, as a demangler does; it
never raises.
"""

from .demangle_expr import ExpressionRules
from .demangle_nodes import Closure, Conversion, CtorDtor, Fail, Function, Name, Nested, Special, Templated, Wrapped, render
from .demangle_types import TypeRules

OPERATORS = {
    "aa": "&&", "ad": "&", "an": "&", "aN": "&=", "aS": "=", "cl": "()", "cm": ",", "co": "~",
    "da": " delete[]", "de": "*", "dl": " delete", "dv": "/", "dV": "/=", "eo": "^", "eO": "^=",
    "eq": "==", "ge": ">=", "gt": ">", "ix": "[]", "le": "<=", "ls": "<<", "lS": "<<=", "lt": "<",
    "mi": "-", "mI": "-=", "ml": "*", "mL": "*=", "mm": "--", "na": " new[]", "ne": "!=", "ng": "-",
    "nt": "!", "nw": " new", "oo": "||", "or": "|", "oR": "|=", "pl": "+", "pL": "+=", "pm": "->*",
    "pp": "++", "ps": "+", "pt": "->", "qu": "?", "rm": "%", "rM": "%=", "rs": ">>", "rS": ">>=",
    "ss": "<=>",
}
_TRAITS = "std::char_traits<char>"
SPECIALS = {  # St... abbreviations: (short form, spelled out, base name for constructors)
    "a": ("std::allocator", "std::allocator", "allocator"),
    "b": ("std::basic_string", "std::basic_string", "basic_string"),
    "s": ("std::string", f"std::basic_string<char, {_TRAITS}, std::allocator<char> >", "basic_string"),
    "i": ("std::istream", f"std::basic_istream<char, {_TRAITS} >", "basic_istream"),
    "o": ("std::ostream", f"std::basic_ostream<char, {_TRAITS} >", "basic_ostream"),
    "d": ("std::iostream", f"std::basic_iostream<char, {_TRAITS} >", "basic_iostream"),
}
SPECIAL_NAMES = {"TV": "vtable for ", "TT": "VTT for ", "TI": "typeinfo for ", "TS": "typeinfo name for "}


class _NameState:
    def __init__(self):
        self.quals = ""
        self.ref = ""
        self.ends_with_template_args = False
        self.ctor_dtor_conversion = False


class _Parser(TypeRules, ExpressionRules):
    """Names, encodings and special names; types come from TypeRules, expressions
    (in decltype, template arguments and array bounds) from ExpressionRules."""

    # -- top level ------------------------------------------------------------------------

    def parse(self):
        self.expect("_Z")
        node = self.encoding()
        if self.look() == ".":
            node = Wrapped("", node, f" ({self.s[self.i:]})")
            self.i = len(self.s)
        if self.i != len(self.s):
            raise Fail
        return node

    def encoding(self):
        if self.look() in ("G", "T"):
            return self.special_name()
        state = _NameState()
        name = self.name(state)
        if self.i == len(self.s) or self.look() in "E.":
            return name
        conditions = None
        if self.take("Ua9enable_ifI"):  # clang's __attribute__((enable_if(...)))
            conditions = []
            while not self.take("E"):
                conditions.append(self.template_arg())
        ret = None
        if not state.ctor_dtor_conversion and state.ends_with_template_args:
            ret = self.type()
        params = []
        if not self.take("v"):
            while True:
                params.append(self.type())
                if self.i == len(self.s) or self.look() in "E.":
                    break
        return Function(ret, params, state.quals, state.ref, name, conditions)

    def special_name(self):
        two = self.s[self.i:self.i + 2]
        if two in SPECIAL_NAMES:
            self.i += 2
            return Wrapped(SPECIAL_NAMES[two], self.type())
        if two == "TC":
            self.i += 2
            first = self.type()
            self.number(negative=True)
            self.expect("_")
            second = self.type()
            return Wrapped("construction vtable for ", Nested(second, first, "-in-"))
        if two in ("TW", "TH"):
            self.i += 2
            what = "wrapper" if two == "TW" else "initialization"
            return Wrapped(f"thread-local {what} routine for ", self.name())
        if two == "Tc":
            self.i += 2
            self.call_offset()
            self.call_offset()
            return Wrapped("covariant return thunk to ", self.encoding())
        if two in ("Th", "Tv"):
            self.i += 1
            virtual = self.look() == "v"
            self.call_offset()
            return Wrapped("virtual thunk to " if virtual else "non-virtual thunk to ", self.encoding())
        if two == "GV":
            self.i += 2
            return Wrapped("guard variable for ", self.name())
        if two == "GR":
            self.i += 2
            name = self.name()
            if not self.take("_"):
                self.seq_id()
                self.expect("_")
            return Wrapped("reference temporary for ", name)
        raise Fail

    def call_offset(self):
        if self.take("h"):
            self.number(negative=True)
            self.expect("_")
        elif self.take("v"):
            self.number(negative=True)
            self.expect("_")
            self.number(negative=True)
            self.expect("_")
        else:
            raise Fail

    # -- names ----------------------------------------------------------------------------

    def name(self, state=None):
        if self.look() == "N":
            return self.nested_name(state)
        if self.look() == "Z":
            return self.local_name(state)
        if self.look() == "S" and self.look(1) != "t":
            sub = self.substitution()
            if self.look() != "I":
                raise Fail
            args = self.template_args(state is not None)
            if state is not None:
                state.ends_with_template_args = True
            return Templated(sub, args)
        node = self.unscoped_name(state)
        if self.look() == "I":
            self.subs.append(node)
            args = self.template_args(state is not None)
            if state is not None:
                state.ends_with_template_args = True
            node = Templated(node, args)
        return node

    def unscoped_name(self, state):
        if self.take("St"):
            self.take("L")
            return Wrapped("std::", self.unqualified_name(state), base=True)
        self.take("L")  # internal linkage (GCC)
        return self.unqualified_name(state)

    def local_name(self, state):
        self.expect("Z")
        encoding = self.encoding()
        self.expect("E")
        if self.take("s"):
            self.discriminator()
            return Nested(encoding, Name("string literal"))
        if self.take("d"):
            self.number(negative=True)
            self.expect("_")
            return Nested(encoding, self.name(state))
        entity = self.name(state)
        self.discriminator()
        return Nested(encoding, entity)

    def discriminator(self):
        if self.look() == "_":
            if self.look(1).isdigit():
                self.i += 2
            elif self.look(1) == "_":
                j = self.i + 2
                while j < len(self.s) and self.s[j].isdigit():
                    j += 1
                if j < len(self.s) and self.s[j] == "_":
                    self.i = j + 1

    def nested_name(self, state):
        self.expect("N")
        quals = self.cv_qualifiers()
        ref = "&&" if self.take("O") else "&" if self.take("R") else ""
        if state is not None:
            state.quals = quals
            state.ref = " " + ref if ref else ""
        so_far = None

        def push(component):
            nonlocal so_far
            so_far = component if so_far is None else Nested(so_far, component)
            if state is not None:
                state.ends_with_template_args = False

        if self.take("St"):
            so_far = Name("std")
        while not self.take("E"):
            self.take("L")
            if self.take("M"):
                if so_far is None:
                    raise Fail
                continue
            if self.look() == "T":
                push(self.template_param())
                self.subs.append(so_far)
            elif self.look() == "I":
                if so_far is None:
                    raise Fail
                so_far = Templated(so_far, self.template_args(state is not None))
                if state is not None:
                    state.ends_with_template_args = True
                self.subs.append(so_far)
            elif self.look() == "D" and self.look(1) in ("t", "T"):
                push(self.decltype())
                self.subs.append(so_far)
            elif self.look() == "S" and self.look(1) != "t":
                sub = self.substitution()
                push(sub)
                if so_far is not sub:
                    self.subs.append(sub)
            elif self.look() == "C" or (self.look() == "D" and self.look(1) != "C"):
                if so_far is None:
                    raise Fail
                if isinstance(so_far, Special):  # std::string's constructor: its scope spelled out
                    so_far = Special(so_far.short, so_far.long, so_far.base, expanded=True)
                push(self.ctor_dtor_name(so_far, state))
                so_far = self.abi_tags(so_far)
                self.subs.append(so_far)
            else:
                push(self.unqualified_name(state))
                self.subs.append(so_far)
        if so_far is None or not self.subs:
            raise Fail
        self.subs.pop()
        return so_far

    def ctor_dtor_name(self, scope, state):
        if self.take("C"):
            inherited = self.take("I")
            if self.look() not in ("1", "2", "3", "4", "5") or not self.look():
                raise Fail
            self.i += 1
            if state is not None:
                state.ctor_dtor_conversion = True
            if inherited:
                self.name(state)
            return CtorDtor(scope, False)
        if self.look() == "D" and self.look(1) in ("0", "1", "2", "4", "5") and self.look(1):
            self.i += 2
            if state is not None:
                state.ctor_dtor_conversion = True
            return CtorDtor(scope, True)
        raise Fail

    def unqualified_name(self, state):
        c = self.look()
        if c == "U":
            node = self.unnamed_type_name()
        elif c.isdigit() and c != "0":
            node = self.source_name()
        else:
            node = self.operator_name(state)
        return self.abi_tags(node)

    def abi_tags(self, node):
        while self.take("B"):
            # (no base name: LLVM 14 names a tagged class's constructor `::()`, and so do we)
            node = Wrapped("", node, f"[abi:{self.bare_source_name()}]")
        return node

    def bare_source_name(self) -> str:
        length = self.number()
        if not length:
            raise Fail
        n = int(length)
        if self.i + n > len(self.s):
            raise Fail
        text = self.s[self.i:self.i + n]
        self.i += n
        return text

    def source_name(self):
        text = self.bare_source_name()
        return Name("(anonymous namespace)" if text.startswith("_GLOBAL__N") else text)

    def unnamed_type_name(self):
        if self.take("Ut"):
            count = self.number()
            self.expect("_")
            # No base name: LLVM 14 names its constructor `'unnamed'::()`, and so do we.
            return Wrapped("", Name(f"'unnamed{count}'"))
        if self.take("Ul"):
            params = []
            outer, self.in_lambda_signature = self.in_lambda_signature, True
            if not self.take("vE"):
                while not self.take("E"):
                    params.append(self.type())
            self.in_lambda_signature = outer
            count = self.number()
            self.expect("_")
            return Closure(params, count)
        raise Fail

    def operator_name(self, state):
        two = self.s[self.i:self.i + 2]
        if two == "cv":
            self.i += 2
            target = self.type(allow_template_args=False)
            if state is not None:
                state.ctor_dtor_conversion = True
            return Conversion(target)
        if two == "li":
            self.i += 2
            return Name(f'operator"" {self.bare_source_name()}')
        if two[:1] == "v" and two[1:2].isdigit():
            self.i += 2
            return Name(f"operator {self.bare_source_name()}")
        if two in OPERATORS:
            self.i += 2
            return Name("operator" + OPERATORS[two])
        raise Fail

    def substitution(self):
        self.expect("S")
        c = self.look()
        if c in SPECIALS:
            self.i += 1
            return Special(*SPECIALS[c])
        if self.take("_"):
            index = 0
        else:
            index = self.seq_id() + 1
            self.expect("_")
        if index >= len(self.subs):
            raise Fail
        return self.subs[index]


def demangle(name: str) -> str:
    """The C++ name `name` encodes, or `name` itself when it is not one we can read."""
    if not name.startswith("_Z"):
        return name
    try:
        return render(_Parser(name).parse())
    # Whatever stops the reading (a malformed name, one nested too deep, a form the grammar
    # here lacks), a demangler's answer is the name as it came: never an exception.
    except (Fail, IndexError, KeyError, ValueError, TypeError, AttributeError, RecursionError):
        return name
