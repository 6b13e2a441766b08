"""An Itanium C++ ABI demangler: `_Z10use_shapesi` -> `use_shapes(int)`, as LLVM prints it.

wasm-ld writes C++ names demangled into the name section, the map and its messages, with
LLVM's demangler; this one follows its grammar and its output text (the printing is in
demangle_nodes.py). It covers what compilers emit for real programs: nested and local
names, templates and their parameters, substitutions and the `std::` abbreviations,
operators, constructors and destructors, cv- and ref-qualifiers, function, array and
member-pointer types, parameter packs, lambdas and unnamed types, ABI tags, clone
suffixes, and the special names (vtables, VTTs, typeinfo, guard variables, thunks).
A name it cannot read (expressions in types, for one) is returned unchanged, as a
demangler does; it never raises.
"""

from .demangle_nodes import (Array, ArgPack, Closure, Conversion, CtorDtor, Function, MemberPointer, Name, Nested,
                             PackExpansion, ParamPack, Pointer, Qualified, Special, Templated, Wrapped, render)

BUILTINS = {
    "v": "void", "w": "wchar_t", "b": "bool", "c": "char", "a": "signed char", "h": "unsigned char",
    "s": "short", "t": "unsigned short", "i": "int", "j": "unsigned int", "l": "long", "m": "unsigned long",
    "x": "long long", "y": "unsigned long long", "n": "__int128", "o": "unsigned __int128", "f": "float",
    "d": "double", "e": "long double", "g": "__float128", "z": "...",
}
BUILTINS_D = {"d": "decimal64", "e": "decimal128", "f": "decimal32", "h": "half", "i": "char32_t",
              "s": "char16_t", "u": "char8_t", "a": "auto", "c": "decltype(auto)", "n": "std::nullptr_t"}
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
# Integer literal types: the suffix after the digits, or (longer names) a cast before them.
LITERAL_TYPES = {"i": "", "j": "u", "l": "l", "m": "ul", "x": "ll", "y": "ull", "w": "wchar_t", "c": "char",
                 "a": "signed char", "h": "unsigned char", "s": "short", "t": "unsigned short",
                 "n": "__int128", "o": "unsigned __int128"}
SPECIAL_NAMES = {"TV": "vtable for ", "TT": "VTT for ", "TI": "typeinfo for ", "TS": "typeinfo name for "}


class _Fail(Exception):
    """The name does not parse: the caller returns it unchanged."""


class _NameState:
    def __init__(self):
        self.quals = ""
        self.ref = ""
        self.ends_with_template_args = False
        self.ctor_dtor_conversion = False


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.subs: list = []
        self.template_params: list | None = None
        self.in_lambda_signature = False

    # -- reading --------------------------------------------------------------------------

    def look(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def take(self, prefix: str) -> bool:
        if self.s.startswith(prefix, self.i):
            self.i += len(prefix)
            return True
        return False

    def expect(self, prefix: str):
        if not self.take(prefix):
            raise _Fail

    def number(self, negative: bool = False) -> str:
        """Digits (after an `n` for a negative number), or "" when there are none."""
        start = self.i
        if negative and self.look() == "n":
            self.i += 1
        digits = self.i
        while self.look().isdigit():
            self.i += 1
        if self.i == digits:
            self.i = start
            return ""
        return self.s[start:self.i]

    def seq_id(self) -> int:
        start = self.i
        while self.look().isdigit() or self.look().isupper():
            self.i += 1
        if self.i == start:
            raise _Fail
        return int(self.s[start:self.i], 36)

    # -- top level ------------------------------------------------------------------------

    def parse(self):
        self.expect("_Z")
        node = self.encoding()
        if self.look() == ".":
            node = Wrapped("", node, f" ({self.s[self.i:]})")
            self.i = len(self.s)
        if self.i != len(self.s):
            raise _Fail
        return node

    def encoding(self):
        if self.look() in ("G", "T"):
            return self.special_name()
        state = _NameState()
        name = self.name(state)
        if self.i == len(self.s) or self.look() in "E.":
            return name
        ret = None
        if not state.ctor_dtor_conversion and state.ends_with_template_args:
            ret = self.type()
        params = []
        if not self.take("v"):
            while True:
                params.append(self.type())
                if self.i == len(self.s) or self.look() in "E.":
                    break
        return Function(ret, params, state.quals, state.ref, name)

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
        raise _Fail

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
            raise _Fail

    # -- names ----------------------------------------------------------------------------

    def name(self, state=None):
        if self.look() == "N":
            return self.nested_name(state)
        if self.look() == "Z":
            return self.local_name(state)
        if self.look() == "S" and self.look(1) != "t":
            sub = self.substitution()
            if self.look() != "I":
                raise _Fail
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
                    raise _Fail
                continue
            if self.look() == "T":
                push(self.template_param())
                self.subs.append(so_far)
            elif self.look() == "I":
                if so_far is None:
                    raise _Fail
                so_far = Templated(so_far, self.template_args(state is not None))
                if state is not None:
                    state.ends_with_template_args = True
                self.subs.append(so_far)
            elif self.look() == "D" and self.look(1) in ("t", "T"):
                raise _Fail  # decltype(expression)
            elif self.look() == "S" and self.look(1) != "t":
                sub = self.substitution()
                push(sub)
                if so_far is not sub:
                    self.subs.append(sub)
            elif self.look() == "C" or (self.look() == "D" and self.look(1) != "C"):
                if so_far is None:
                    raise _Fail
                if isinstance(so_far, Special):  # std::string's constructor: its scope spelled out
                    so_far = Special(so_far.short, so_far.long, so_far.base, expanded=True)
                push(self.ctor_dtor_name(so_far, state))
                so_far = self.abi_tags(so_far)
                self.subs.append(so_far)
            else:
                push(self.unqualified_name(state))
                self.subs.append(so_far)
        if so_far is None or not self.subs:
            raise _Fail
        self.subs.pop()
        return so_far

    def ctor_dtor_name(self, scope, state):
        if self.take("C"):
            inherited = self.take("I")
            if self.look() not in ("1", "2", "3", "4", "5") or not self.look():
                raise _Fail
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
        raise _Fail

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
            raise _Fail
        n = int(length)
        if self.i + n > len(self.s):
            raise _Fail
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
            return Name(f"'unnamed{count}'")
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
        raise _Fail

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
        raise _Fail

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
            raise _Fail
        return self.subs[index]

    # -- templates ------------------------------------------------------------------------

    def template_param(self):
        self.expect("T")
        index = 0 if self.take("_") else None
        if index is None:
            digits = self.number()
            if not digits:
                raise _Fail
            index = int(digits) + 1
            self.expect("_")
        params = self.template_params
        if params is None and self.in_lambda_signature:
            return Name("auto")  # a generic lambda's parameter
        if params is None or index >= len(params):
            raise _Fail
        return params[index]

    def template_args(self, tag: bool):
        self.expect("I")
        if tag:
            self.template_params = []
        args = []
        while not self.take("E"):
            if tag:
                outer, self.template_params = self.template_params, None
                arg = self.template_arg()
                self.template_params = outer
                outer.append(ParamPack(arg.items) if isinstance(arg, ArgPack) else arg)
            else:
                arg = self.template_arg()
            args.append(arg)
        return args

    def template_arg(self):
        c = self.look()
        if c == "J":
            self.i += 1
            items = []
            while not self.take("E"):
                items.append(self.template_arg())
            return ArgPack(items)
        if c == "L":
            return self.literal()
        if c == "X":
            raise _Fail  # expressions are not read
        return self.type()

    def literal(self):
        self.expect("L")
        if self.take("_Z") or self.take("Z"):
            node = self.encoding()
            self.expect("E")
            return node
        if self.take("DnE"):
            return Name("nullptr")
        if self.take("b0E"):
            return Name("false")
        if self.take("b1E"):
            return Name("true")
        c = self.look()
        if c in LITERAL_TYPES:
            self.i += 1
            kind = LITERAL_TYPES[c]
            value = self.number(negative=True)
        else:
            kind = render(self.type())
            value = self.number(negative=True)
        if not value:
            raise _Fail
        self.expect("E")
        value = "-" + value[1:] if value.startswith("n") else value
        return Name(f"({kind}){value}" if len(kind) > 3 else value + kind)

    # -- types ----------------------------------------------------------------------------

    def cv_qualifiers(self) -> str:
        quals = ""
        if self.take("r"):
            quals += " restrict"
        if self.take("V"):
            quals = " volatile" + quals
        if self.take("K"):
            quals = " const" + quals
        return quals

    def type(self, allow_template_args: bool = True):
        c = self.look()
        if c in BUILTINS:
            self.i += 1
            return Name(BUILTINS[c])
        if c == "D" and self.look(1) in BUILTINS_D:
            self.i += 2
            return Name(BUILTINS_D[self.s[self.i - 1]])
        if c and c in "rVK":
            j = self.i
            while j < len(self.s) and self.s[j] in "rVK":
                j += 1
            if j < len(self.s) and self.s[j] == "F":
                node = self.function_type()
            else:
                quals = self.cv_qualifiers()
                node = Qualified(self.type(), quals)
        elif c == "F":
            node = self.function_type()
        elif c == "A":
            self.i += 1
            dimension = self.number()
            if not dimension and self.look() != "_":
                raise _Fail  # a dimension given by an expression
            self.expect("_")
            node = Array(self.type(), dimension)
        elif c == "M":
            self.i += 1
            cls = self.type()
            node = MemberPointer(cls, self.type())
        elif c == "T":
            if self.look(1) in ("s", "u", "e"):
                raise _Fail  # elaborated type specifiers
            node = self.template_param()
            if allow_template_args and self.look() == "I":
                self.subs.append(node)
                node = Templated(node, self.template_args(False))
        elif c and c in "PRO":
            self.i += 1
            node = Pointer(self.type(), {"P": "*", "R": "&", "O": "&&"}[c])
        elif c == "C":
            self.i += 1
            node = Wrapped("", self.type(), " complex")
        elif c == "G":
            self.i += 1
            node = Wrapped("", self.type(), " imaginary")
        elif c == "D" and self.look(1) == "p":
            self.i += 2
            node = PackExpansion(self.type())
        elif c == "S" and self.look(1) != "t":
            sub = self.substitution()
            if allow_template_args and self.look() == "I":
                node = Templated(sub, self.template_args(False))
            else:
                return sub
        elif c == "u":
            self.i += 1
            node = self.source_name()
        elif c and (c.isdigit() or c in "NZS"):
            node = self.name()
        else:
            raise _Fail
        self.subs.append(node)
        return node

    def function_type(self):
        quals = self.cv_qualifiers()
        if self.look() == "D":
            raise _Fail  # exception specifications
        self.expect("F")
        self.take("Y")
        ret = self.type()
        params, ref = [], ""
        while True:
            if self.take("E"):
                break
            if self.take("v"):
                continue
            if self.take("RE"):
                ref = " &"
                break
            if self.take("OE"):
                ref = " &&"
                break
            params.append(self.type())
        return Function(ret, params, quals, ref)


def demangle(name: str) -> str:
    """The C++ name `name` encodes, or `name` itself when it is not one we can read."""
    if not name.startswith("_Z"):
        return name
    try:
        return render(_Parser(name).parse())
    except (_Fail, IndexError, ValueError, RecursionError):
        return name
