"""Spec-script values: parsing arguments and matching results (wast2json's JSON form)."""

from ..errors import Unsupported
from ..runtime.gc import GcArray, GcStruct, I31Ref
from ..runtime.store import ExnInstance, FuncInstance
from ..runtime.values import HostRef

F32_NAN_EXP, F32_QUIET = 0x7F80_0000, 0x0040_0000
F64_NAN_EXP, F64_QUIET = 0x7FF0_0000_0000_0000, 0x0008_0000_0000_0000
LANE_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
NUMERIC = ("i32", "i64", "f32", "f64")
NULLABLE_REFS = ("funcref", "externref", "refnull", "anyref", "eqref", "i31ref", "structref",
                 "arrayref", "exnref", "nullref", "nullfuncref", "nullexternref", "nullexnref")


# A result written as a kind with no value: any non-null reference of that kind.
NON_NULL_KINDS = {
    "funcref": lambda v: isinstance(v, FuncInstance),
    "eqref": lambda v: isinstance(v, (I31Ref, GcStruct, GcArray)),
    "i31ref": lambda v: isinstance(v, I31Ref),
    "structref": lambda v: isinstance(v, GcStruct),
    "arrayref": lambda v: isinstance(v, GcArray),
    "exnref": lambda v: isinstance(v, ExnInstance),
}


def parse_value(spec: dict):
    """An argument as a run-time value."""
    kind = spec["type"]
    value = spec.get("value")
    if kind in NUMERIC:
        return int(value)
    if kind == "v128":
        return _join_lanes(spec["lane_type"], [int(v) for v in value])
    if kind in NULLABLE_REFS:
        if value == "null":
            return None
        if kind in ("externref", "anyref"):  # anyref N: host reference N seen as anyref
            return HostRef(int(value))
        raise Unsupported(f"unsupported: reference argument {kind} {value}")
    raise Unsupported(f"unsupported: value type {kind}")


def _join_lanes(lane_type: str, lanes: list[int]) -> int:
    bits = LANE_BITS[lane_type]
    mask = (1 << bits) - 1
    result = 0
    for i, lane in enumerate(lanes):
        result |= (lane & mask) << (i * bits)
    return result


def _float_matches(bits: int, expected: str, width: int) -> bool:
    exp, quiet = (F32_NAN_EXP, F32_QUIET) if width == 32 else (F64_NAN_EXP, F64_QUIET)
    magnitude = bits & ~(1 << (width - 1))
    if expected == "nan:canonical":
        return magnitude == exp | quiet
    if expected == "nan:arithmetic":
        return magnitude & (exp | quiet) == exp | quiet
    return bits == int(expected)


def matches(spec: dict, actual) -> bool:
    """Whether a result equals the expected value (NaN patterns, any-reference forms)."""
    if "either" in spec:
        return any(matches(alt, actual) for alt in spec["either"])
    kind = spec["type"]
    value = spec.get("value")
    if kind in ("i32", "i64"):
        return isinstance(actual, int) and actual == int(value)
    if kind in ("f32", "f64"):
        return isinstance(actual, int) and _float_matches(actual, value, int(kind[1:]))
    if kind == "v128":
        if not isinstance(actual, int):
            return False
        lane_type = spec["lane_type"]
        bits = LANE_BITS[lane_type]
        mask = (1 << bits) - 1
        for i, lane in enumerate(value):
            got = (actual >> (i * bits)) & mask
            if lane_type.startswith("f"):
                if not _float_matches(got, lane, bits):
                    return False
            elif got != int(lane) & mask:
                return False
        return True
    if kind in NULLABLE_REFS:
        if value == "null":
            return actual is None
        if value is None:
            test = NON_NULL_KINDS.get(kind)
            return actual is not None and (test is None or test(actual))
        if kind in ("externref", "anyref"):
            return actual == HostRef(int(value))
        return False
    raise Unsupported(f"unsupported: result type {kind}")


def show(value) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(value)
