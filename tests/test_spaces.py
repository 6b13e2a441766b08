"""One vocabulary for index spaces and immediate kinds (`binary/spaces.py`).

Every immediate kind the opcode table uses is handled by every consumer: the decoder and
encoder, the scanner, the validator, the merger's remapper, the reference engine's
preparation and the compiled engine. Each test compares a consumer's per-kind table (or,
for the engines, which dispatch by instruction, their handlers) with `spaces.KINDS`, and
where it can, checks the handling itself on an instruction built from the table.
"""

import inspect

import pytest

from conftest import wat2wasm
from wasmmerge.binary import code, scan, spaces
from wasmmerge.binary.code import Catch, MemArg, decode_instrs, encode_instr
from wasmmerge.binary.opcodes import ALL_OPS, BY_NAME, index_spaces
from wasmmerge.binary.reader import decode_module
from wasmmerge.binary.types import FUNC, I32, FuncType, RefType, StructType, SubType, block_signature
from wasmmerge.binary.writer import encode_module
from wasmmerge.errors import ValidationError
from wasmmerge.merger import rewrite
from wasmmerge.runtime import ops
from wasmmerge.runtime.compiled.translate import UNTRANSLATED_FEATURES, Translator
from wasmmerge.runtime.prepare import _Preparer
from wasmmerge.usage import features_used, target_feature_name
from wasmmerge.validator import func as validator_func
from wasmmerge.validator.instructions import HANDLERS
from wasmmerge.validator.module import validate_module

USED_KINDS = {kind for op in ALL_OPS for kind in op.imms}
OUT_OF_RANGE = 999


def test_the_table_uses_exactly_the_declared_kinds():
    assert USED_KINDS == set(spaces.KINDS)
    assert set(spaces.INDEX_KINDS) == set(spaces.SPACES)
    assert set(spaces.INDEX_KINDS) | set(spaces.COMPOUND_KINDS) | set(spaces.PLAIN_KINDS) == set(spaces.KINDS)
    for kind in spaces.KINDS.values():
        assert set(kind.spaces) <= set(spaces.SPACES), kind
        assert (kind.size is not None) == (kind.layout in (spaces.FIXED, spaces.BYTE)), kind
    assert index_spaces(BY_NAME["table.init"]) == (spaces.ELEM, spaces.TABLE)
    assert index_spaces(BY_NAME["try_table"]) == (spaces.TYPE, spaces.TAG, spaces.LABEL)


# -- decoder, encoder, scanner -----------------------------------------------------------

def test_decoder_and_encoder_have_one_entry_per_kind():
    assert set(code.READERS) == set(spaces.KINDS)
    assert set(code.SINGLE_MEMORY_READERS) == set(spaces.KINDS)
    assert set(code.WRITERS) == set(spaces.KINDS)


def _example(kind: str, op, index: int = 1):
    """A well-formed immediate of `kind` for `op`, naming `index` wherever it names one."""
    if kind in spaces.INDEX_KINDS:
        return index
    return {
        "blocktype": index, "heaptype": index, "valtypes": (RefType(True, index),),
        "catches": (Catch(0, index, index), Catch(3, None, index)),
        "memarg": MemArg(op.align or 0, 16, index), "labels": (index, index),
        "u32": 300, "i32": -5, "i64": -(1 << 40), "f32": 0x3F800000, "f64": 0x3FF0000000000000,
        "v128": (1 << 127) | 5, "lane": 1, "shuffle": bytes(range(16)), "castflags": 3, "zero": 0,
    }[kind]


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
def test_every_instruction_round_trips_through_decoder_and_encoder(op):
    args = tuple(_example(kind, op) for kind in op.imms)
    # Inside a block (for else, catch...), then ends for the blocks it may open.
    data = b"\x02\x40" + encode_instr(op, *args) + b"\x0b" * 3
    instrs, _ = decode_instrs(data)
    assert instrs[1].op is op and instrs[1].args == args


def test_scanner_has_a_pattern_for_every_kind_but_counted_vectors():
    assert set(scan.IMM_PATTERNS) | scan.COUNTED == set(spaces.KINDS)
    assert not scan.COUNTED & set(scan.IMM_PATTERNS)
    assert scan.COUNTED == {name for name, kind in spaces.KINDS.items() if kind.layout == spaces.VECTOR}


# -- the merger's remapper ---------------------------------------------------------------

def test_remapper_has_a_step_for_every_kind_and_a_patcher_where_an_index_may_move():
    assert set(rewrite.SKIPPERS) | set(rewrite.COMPOUND_PATCHERS) == set(spaces.KINDS)
    assert not set(rewrite.SKIPPERS) & set(rewrite.COMPOUND_PATCHERS)
    assert rewrite.REMAPPABLE == spaces.MODULE_SPACES
    # A kind that may hold a module-wide index other than as a bare index has a patcher.
    for name, kind in spaces.KINDS.items():
        if not kind.is_index and set(kind.spaces) & set(spaces.MODULE_SPACES):
            assert name in rewrite.COMPOUND_PATCHERS, name
    # (tests/merge/test_rewrite_unit.py checks every index immediate is patched.)


# -- the validator -------------------------------------------------------------------------

def test_validator_says_how_it_checks_every_kind():
    checks = validator_func.IMMEDIATE_CHECKS
    assert set(checks) == set(spaces.KINDS)
    assert set(checks.values()) <= {validator_func.CHECK_ADDRESSED, validator_func.CHECK_LOOKUP,
                                    validator_func.CHECK_NONE}
    for name, kind in spaces.KINDS.items():
        if kind.spaces:
            assert checks[name] != validator_func.CHECK_NONE, name
    for op in ALL_OPS:
        assert op in validator_func.FIXED or op in validator_func.ADDRESSED or op.name in HANDLERS, op.name


BASE = """(module
  (type $s (struct (field (mut i32))))
  (type $a (array (mut i32)))
  (type $f (func))
  (tag $t)
  (table 1 funcref)
  (memory 1)
  (global (mut i32) (i32.const 0))
  (elem func $g)
  (data "x")
  (func $g (local i32)))"""
# The module-wide index to use where an immediate must be valid (BASE's types by role).
_TYPE_FOR = {"struct.": 0, "array.": 1}
# How the validator words an unknown index (the spec suite's wording).
_WORD = {spaces.FUNC: "function"}
# Instructions valid only inside a construct: what to put around them.
_AROUND = {"catch": (b"\x06\x40\x00", b"\x0b"), "delegate": (b"\x06\x40\x00", b""),
           "else": (b"\x04\x40", b"\x0b")}


def _valid(kind, op):
    type_index = next((i for prefix, i in _TYPE_FOR.items() if op.name.startswith(prefix)), 2)
    if kind == spaces.TYPE:
        return type_index
    if kind in spaces.INDEX_KINDS:
        return 0
    valid = {"blocktype": None, "heaptype": FUNC, "valtypes": (I32,), "catches": (),
             "memarg": MemArg(op.align or 0, 0, 0), "labels": (0, 0)}
    return valid[kind] if kind in valid else _example(kind, op, 0)


def _index_cases():
    for op in ALL_OPS:
        for position, kind in enumerate(op.imms):
            for space in spaces.spaces_of(kind):
                yield pytest.param(op, position, space, id=f"{op.name}-{kind}-{space}")


@pytest.fixture(scope="module")
def base_module():
    module = decode_module(wat2wasm(BASE))
    module.datacount = len(module.datas)  # memory.init and data.drop need one
    return module


@pytest.mark.parametrize("op,position,space", list(_index_cases()))
def test_validator_rejects_every_index_immediate_out_of_range(base_module, op, position, space):
    args = [_valid(kind, op) for kind in op.imms]
    kind = op.imms[position]
    if kind in spaces.INDEX_KINDS:
        args[position] = OUT_OF_RANGE
    elif kind == "catches":
        args[position] = (Catch(0, OUT_OF_RANGE, 0),) if space == spaces.TAG else (Catch(2, None, OUT_OF_RANGE),)
    elif kind == "labels":
        args[position] = (OUT_OF_RANGE, 0)
    else:
        args[position] = _example(kind, op, OUT_OF_RANGE)
    before, after = _AROUND.get(op.name, (b"", b""))
    closes = b"\x0b" if op.name in code.BLOCK_OPENERS else b""
    body = b"\x00" + before + encode_instr(op, *args) + closes + after + b"\x0b"
    base_module.codes[0].body = body
    module = decode_module(encode_module(base_module))
    with pytest.raises(ValidationError) as err:
        validate_module(module, jobs=1)
    assert f"unknown {_WORD.get(space, space)}" in err.value.message


# -- the engines -----------------------------------------------------------------------------

def _handler(cls, op):
    return getattr(cls, "op_" + op.name.replace(".", "_"), None)


def _takes_immediates(handler, op) -> bool:
    try:
        inspect.signature(handler).bind(None, *(None for _ in op.imms))
    except TypeError:
        return False
    return True


def test_reference_engine_prepares_every_instruction_with_its_immediates():
    handled = set()
    for op in ALL_OPS:
        handler = _handler(_Preparer, op)
        if handler is not None:
            assert _takes_immediates(handler, op), op.name
        else:
            assert op.params is not None, f"the reference engine has no handler for {op.name}"
            if op.align is None and op.feature != "threads" and not op.name.endswith(".const") \
                    and not op.name.startswith("memory."):
                ops.numeric(op.name)  # raises for an instruction it cannot compute
        handled.update(op.imms)
    assert handled == set(spaces.KINDS)


# Instructions the compiled engine leaves to the reference engine, beyond whole features.
COMPILED_FALLBACKS = {"br_on_null", "br_on_non_null"}


def test_compiled_engine_translates_every_kind_or_falls_back():
    translated, fallbacks = set(), set()
    for op in ALL_OPS:
        if op.feature in UNTRANSLATED_FEATURES:
            continue
        handler = _handler(Translator, op)
        if handler is not None:
            assert _takes_immediates(handler, op), op.name
        elif op.params is None:
            fallbacks.add(op.name)
            continue
        translated.update(op.imms)
    assert fallbacks == COMPILED_FALLBACKS
    # What it never sees runs on the reference engine, which handles every kind (above).
    untranslated = {kind for op in ALL_OPS if op.feature in UNTRANSLATED_FEATURES or op.name in fallbacks
                    for kind in op.imms}
    assert translated | untranslated == set(spaces.KINDS)
    assert {"memarg", "blocktype", "labels", "func", "global", "local", "lane", "shuffle"} <= translated


# -- block types and feature names -----------------------------------------------------------

def test_one_block_signature_for_both_engines():
    func = FuncType((I32, I32), (I32,))
    types = [SubType(StructType()), SubType(func)]
    assert block_signature(None, types) == (0, 0)
    assert block_signature(I32, types) == (0, 1)
    assert block_signature(1, types) == (2, 1)
    assert block_signature(1, [t.comp for t in types]) == (2, 1)
    assert block_signature(0, types) is None


def test_feature_names_have_one_spelling_and_one_translation_for_target_features():
    module = decode_module(wat2wasm("(module (memory 1) (memory 1) (table 1 funcref) (table 1 funcref))"))
    used = features_used(module)
    assert {"multi-memory", "reference-types"} <= used
    assert target_feature_name("multi-memory") == "multimemory"
    assert target_feature_name("reference-types") == "reference-types"
