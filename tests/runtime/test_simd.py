"""Vector numerics against the spec suite, and the OPS tables against the opcode table."""

import pytest

from wasmmerge.binary.opcodes import ALL_OPS
from wasmmerge.runtime import numerics, simd

from conftest import or_missing_suite, suite_scripts
from .test_numerics import check_script, differential, run_script

# Scripts whose functions are mostly straight-line vector code. Those that also test
# control flow (blocks and branches around vector values) have a lower bar.
PARTLY_STRAIGHT_LINE = {
    "simd_bit_shift": 0.9, "simd_bitwise": 0.9, "simd_boolean": 0.8, "simd_const": 0.85,
    "simd_load": 0.9, "simd_load_extend": 0.8, "simd_load_splat": 0.9, "simd_load_zero": 0.8,
    "simd_store": 0.45, "simd_lane": 0.95, "simd_splat": 0.95,
    "simd_f32x4_cmp": 0.99, "simd_f64x2_cmp": 0.99, "simd_i8x16_cmp": 0.98,
    "simd_i16x8_cmp": 0.98, "simd_i32x4_cmp": 0.98,
}
# Scripts without numeric assertions of their own (linking, multi-memory, relaxed trunc
# with no assertions in this suite version).
NOT_NUMERIC = {"simd_linking", "simd_memory-multi", "i32x4_relaxed_trunc"}


def _vector_scripts(version):
    names = [p.stem for p in suite_scripts(version)]
    return sorted(n for n in names if (n.startswith("simd_") or "relaxed" in n) and n not in NOT_NUMERIC)


@pytest.mark.spec
@pytest.mark.parametrize("version,name",
                         or_missing_suite([(v, n) for v in ("wasm-2.0", "wasm-3.0") for n in _vector_scripts(v)], 2))
def test_vector_spec_script(version, name):
    check_script(version, name, PARTLY_STRAIGHT_LINE.get(name, 1.0))


def _qualifying_rows():
    """Every instruction the engine takes from OPS: fixed signature, not memory, not const."""
    return [op for op in ALL_OPS
            if op.params is not None and "memarg" not in op.imms and not op.name.startswith("memory.")
            and op.feature != "threads" and not op.name.endswith(".const")]


def test_every_numeric_row_has_an_entry():
    ops = {**numerics.OPS, **simd.OPS}
    missing = [op.name for op in _qualifying_rows() if op.name not in ops]
    assert not missing, f"no semantics for {missing}"
    assert len(_qualifying_rows()) == len(numerics.OPS) + len(simd.OPS)


def test_no_entry_without_a_row():
    names = {op.name for op in _qualifying_rows()}
    assert not set(numerics.OPS) & set(simd.OPS)
    assert set(numerics.OPS) <= names and set(simd.OPS) <= names


def test_memory_helpers_cover_the_vector_accesses():
    accesses = {op.name for op in ALL_OPS if op.name.startswith("v128.") and "memarg" in op.imms}
    lane_accesses = {name for name in accesses if name.endswith("_lane")}
    assert set(simd.LANE_WIDTHS) == lane_accesses
    assert set(simd.LOADS) == accesses - lane_accesses - {"v128.load", "v128.store"}
    assert set(simd.LOAD_BYTES) == set(simd.LOADS)


@pytest.mark.spec
def test_evaluator_catches_wrong_semantics(monkeypatch):
    """Negative control: a wrong lane operation must make its script fail."""
    from . import test_numerics
    wrong = dict(test_numerics.OPS)
    wrong["i16x8.add_sat_s"] = simd.OPS["i16x8.add"]
    wrong["f32x4.min"] = simd.OPS["f32x4.pmin"]
    monkeypatch.setattr(test_numerics, "OPS", wrong)
    assert run_script("wasm-2.0", "simd_i16x8_sat_arith").failures
    assert run_script("wasm-2.0", "simd_f32x4").failures


# -- behaviour the suite checks only loosely --------------------------------------------

def _i32x4(*lanes):
    return sum((x & 0xFFFFFFFF) << (32 * i) for i, x in enumerate(lanes))


def _f32x4(*bits):
    return _i32x4(*bits)


def test_lanes_are_little_endian():
    v = _i32x4(1, 2, 3, 4)
    assert [simd.OPS["i32x4.extract_lane"](i, v) for i in range(4)] == [1, 2, 3, 4]
    assert simd.OPS["i8x16.extract_lane_u"](4, v) == 2
    assert simd.OPS["i32x4.replace_lane"](3, v, 9) == _i32x4(1, 2, 3, 9)
    assert simd.extract_lane(v, 16, 2) == 2 and simd.replace_lane(v, 16, 2, 7) == _i32x4(1, 7, 3, 4)


def test_float_lane_bit_operations_keep_nan_payloads():
    snan, negative_snan = 0x7FA00001, 0xFFA00001
    v = _f32x4(snan, negative_snan, 0x7F800000, 0)
    assert simd.OPS["f32x4.abs"](v) == _f32x4(snan, snan, 0x7F800000, 0)
    assert simd.OPS["f32x4.neg"](v) == _f32x4(negative_snan, snan, 0xFF800000, 0x80000000)
    # pmin/pmax return an operand unchanged, NaN payload included.
    assert simd.OPS["f32x4.pmin"](v, 0) == _f32x4(snan, negative_snan, 0, 0)


def test_relaxed_choices_are_deterministic_and_strict():
    a, b = _i32x4(0x80000000, 1, 2, 3), _i32x4(0x10, 0xFF, 0x8F, 0x01)
    assert simd.OPS["i8x16.relaxed_swizzle"](a, b) == simd.OPS["i8x16.swizzle"](a, b)
    nans = _f32x4(0x7FC00000, 0xFF800000, 0x4F800000, 0xCF000001)
    assert simd.OPS["i32x4.relaxed_trunc_f32x4_s"](nans) == simd.OPS["i32x4.trunc_sat_f32x4_s"](nans)
    mask = _i32x4(0x80000000, 0x7FFFFFFF, 0, -1)
    assert simd.OPS["i32x4.relaxed_laneselect"](a, b, mask) == simd.OPS["v128.bitselect"](a, b, mask)


def test_relaxed_madd_rounds_once():
    a = 0x3F800800  # 1 + 2**-12
    result = simd.OPS["f32x4.relaxed_madd"](_f32x4(a), _f32x4(a), _f32x4(0xBF800000))
    # a*a - 1 = 2**-11 + 2**-24: kept by a fused multiply-add; rounding the product
    # first (a tie, to even) would lose the 2**-24.
    assert result & 0xFFFFFFFF == 0x3A000400
    nmadd = simd.OPS["f32x4.relaxed_nmadd"](_f32x4(a), _f32x4(a), _f32x4(0x3F800000))
    assert nmadd & 0xFFFFFFFF == 0xBA000400


def test_load_helpers():
    raw = int.from_bytes(bytes([0x80, 1, 2, 3, 4, 5, 6, 0xFF]), "little")
    assert simd.LOADS["v128.load8x8_s"](raw) & 0xFFFF == 0xFF80
    assert simd.LOADS["v128.load8x8_u"](raw) & 0xFFFF == 0x0080
    assert simd.LOADS["v128.load32_splat"](0x12345678) == _i32x4(*[0x12345678] * 4)
    assert simd.LOADS["v128.load64_zero"](raw) == raw
    assert simd.LOAD_BYTES["v128.load16_splat"] == 2 and simd.LOAD_BYTES["v128.load16x4_u"] == 8


def vector_rows():
    """Every strict vector op, with a few immediates for the lane and shuffle ones."""
    rows = []
    for op in ALL_OPS:
        if op.name not in simd.OPS or op.feature == "relaxed-simd":
            continue
        if op.lanes:
            rows += [(op, (lane,)) for lane in sorted({0, 1, op.lanes - 1})]
        elif "shuffle" in op.imms:
            mixed = bytes([31, 0, 17, 2, 3, 16, 5, 30, 8, 9, 10, 11, 12, 13, 14, 15])
            rows += [(op, (bytes(range(16)),)), (op, (mixed,))]
        else:
            rows.append((op, ()))
    return rows


def test_vector_ops_agree_with_wasmtime():
    problems = differential(vector_rows(), rounds=60, seed=2)
    assert not problems, "\n".join(problems[:30])
