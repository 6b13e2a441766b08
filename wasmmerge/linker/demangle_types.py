"""Types, template arguments and literals of the Itanium C++ grammar (demangle.py's parser).

`type()` reads every type a mangled name holds: builtins, cv-qualified types, pointers
and references, function, array and member-pointer types, template parameters (which
resolve to the arguments of the innermost template the encoding named), substitutions,
pack expansions and class names. Each non-builtin type becomes a substitution candidate,
in the order the ABI numbers them (S_, S0_, ...).
"""

import struct

from .demangle_nodes import (Array, ArgPack, Fail, Function, MemberPointer, Name, PackExpansion, ParamPack, Pointer,
                             Qualified, Templated, Wrapped, render)

BUILTINS = {
    "v": "void", "w": "wchar_t", "b": "bool", "c": "char", "a": "signed char", "h": "unsigned char",
    "s": "short", "t": "unsigned short", "i": "int", "j": "unsigned int", "l": "long", "m": "unsigned long",
    "x": "long long", "y": "unsigned long long", "n": "__int128", "o": "unsigned __int128", "f": "float",
    "d": "double", "e": "long double", "g": "__float128", "z": "...",
}
BUILTINS_D = {"d": "decimal64", "e": "decimal128", "f": "decimal32", "h": "half", "i": "char32_t",
              "s": "char16_t", "u": "char8_t", "a": "auto", "c": "decltype(auto)", "n": "std::nullptr_t"}
# Integer literal types: the suffix after the digits, or (longer names) a cast before them.
LITERAL_TYPES = {"i": "", "j": "u", "l": "l", "m": "ul", "x": "ll", "y": "ull", "w": "wchar_t", "c": "char",
                 "a": "signed char", "h": "unsigned char", "s": "short", "t": "unsigned short",
                 "n": "__int128", "o": "unsigned __int128"}


class Reader:
    """The cursor over a mangled name, and the parser state every rule shares."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.subs: list = []
        self.template_params: list | None = None
        self.in_lambda_signature = False

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
            raise Fail

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
            raise Fail
        return int(self.s[start:self.i], 36)


class TypeRules(Reader):
    # -- templates ------------------------------------------------------------------------

    def template_param(self):
        self.expect("T")
        index = 0 if self.take("_") else None
        if index is None:
            digits = self.number()
            if not digits:
                raise Fail
            index = int(digits) + 1
            self.expect("_")
        params = self.template_params
        if params is None and self.in_lambda_signature:
            return Name("auto")  # a generic lambda's parameter
        if params is None or index >= len(params):
            raise Fail
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
            self.i += 1
            value = self.expression()
            self.expect("E")
            return value
        return self.type()

    def literal(self):
        """An <expr-primary> as LLVM 14's demangler reads it (on a 64-bit x86 host, where
        wasm-ld runs: its `long double` is not wasm's, so such a literal fails)."""
        self.expect("L")
        c = self.look()
        if c == "_":  # an external name: its own template parameters, not ours
            if not self.take("_Z"):
                raise Fail
            outer = self.template_params
            node = self.encoding()
            self.template_params = outer
            self.expect("E")
            return node
        if c == "b":
            if self.take("b0E"):
                return Name("false")
            if self.take("b1E"):
                return Name("true")
            raise Fail
        if c == "D":
            if self.take("DnE"):
                return Name("nullptr")
            raise Fail
        if c == "A":  # a string literal: LLVM prints its type
            node = self.type()
            self.expect("E")
            return Name(f'"<{render(node)}>"')
        if c in "fd":
            return Name(self.float_literal())
        if c in "eTU":
            raise Fail
        if c in LITERAL_TYPES:
            self.i += 1
            kind, value = LITERAL_TYPES[c], self.number(negative=True)
            if not value:
                raise Fail
            self.expect("E")
            value = "-" + value[1:] if value.startswith("n") else value
            return Name(f"({kind}){value}" if len(kind) > 3 else value + kind)
        kind = render(self.type())  # an enumerator
        value = self.number(negative=True)
        if not value:
            raise Fail
        self.expect("E")
        return Name(f"({kind}){'-' + value[1:] if value.startswith('n') else value}")

    def float_literal(self) -> str:
        """`f` or `d`, the value's bytes in hexadecimal, most significant first, then `E`:
        printed as C's `%a` prints it (float with an `f`)."""
        is_float = self.s[self.i] == "f"
        width = 8 if is_float else 16
        data = self.s[self.i + 1:self.i + 1 + width]
        if len(data) < width or self.i + 1 + width >= len(self.s) or any(c not in "0123456789abcdef" for c in data):
            raise Fail
        self.i += 1 + width
        self.expect("E")
        value = struct.unpack(">f" if is_float else ">d", bytes.fromhex(data))[0]
        text = value.hex()
        if "p" in text:  # 0x1.8000000000000p+0 -> 0x1.8p+0, as glibc's %a
            mantissa, exponent = text.split("p")
            if "." in mantissa:
                mantissa = mantissa.rstrip("0").rstrip(".")
            text = f"{mantissa}p{exponent}"
        return text + ("f" if is_float else "")

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
                dimension = render(self.expression())  # a bound that depends on a template
            self.expect("_")
            node = Array(self.type(), dimension)
        elif c == "M":
            self.i += 1
            cls = self.type()
            node = MemberPointer(cls, self.type())
        elif c == "T":
            if self.look(1) in ("s", "u", "e"):
                raise Fail  # elaborated type specifiers
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
        elif c == "D" and self.look(1) in ("t", "T"):
            node = self.decltype()
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
            raise Fail
        self.subs.append(node)
        return node

    def decltype(self):
        self.expect("D")
        if not (self.take("t") or self.take("T")):
            raise Fail
        value = self.expression()
        self.expect("E")
        return Wrapped("decltype(", value, ")")

    def function_type(self):
        quals = self.cv_qualifiers()
        if self.look() == "D":
            raise Fail  # exception specifications
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
