"""The source map codec and merge: VLQ round trips (against hand-computed strings from the
format's description), and a hand-made map whose offsets follow moved code."""

from hypothesis import given
from hypothesis import strategies as st

from wasmmerge.debuginfo import AddressMap, FunctionMove
from wasmmerge.debuginfo.sourcemap import (MapInput, decode_mappings, encode_mappings, merge_source_maps,
                                           read_url_section, url_section_payload, vlq_decode, vlq_encode)


def test_vlq_known_values():
    # From the source map v3 description: 0 -> A, 1 -> C, -1 -> D, 16 -> gB, 123 -> 2H.
    assert vlq_encode([0, 1, -1, 16, 123]) == "ACDgB2H"
    assert vlq_decode("ACDgB2H") == [0, 1, -1, 16, 123]


@given(st.lists(st.integers(min_value=-2**40, max_value=2**40)))
def test_vlq_round_trip(values):
    assert vlq_decode(vlq_encode(values)) == values


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 50), st.integers(0, 10**5),
                          st.integers(0, 500), st.one_of(st.none(), st.integers(0, 40)))))
def test_mappings_round_trip(raw):
    segments = sorted(raw, key=lambda s: s[0])
    assert decode_mappings(encode_mappings(segments)) == segments


def test_hand_made_maps_follow_their_code():
    # Input 0: two functions at code offsets [3, 40) and [42, 90); code payload at file offset 100.
    # Input 1: one function at [2, 30); its code payload at file offset 60.
    addresses = AddressMap()
    addresses.add(0, FunctionMove(3, 40, 5))  # moves by +2
    addresses.add(0, FunctionMove(42, 90, 50, shifts=[(60, 1)]))  # +8, and +9 from offset 60 on
    addresses.add(1, FunctionMove(2, 30, 100))  # +98
    first = {"version": 3, "sources": ["a.c", "shared.h"], "names": ["f"], "sourceRoot": "",
             "mappings": encode_mappings([(103, 0, 4, 0, 0), (110, 0, 5, 2, None), (150, 1, 9, 1, None),
                                          (170, 0, 7, 3, None), (195, None, None, None, None)])}
    second = {"version": 3, "sources": ["shared.h", "b.c"], "names": ["f", "g"],
              "sourcesContent": ["// shared", "// b"],
              "mappings": encode_mappings([(62, 1, 1, 0, 1), (70, 0, 2, 0, 0)])}
    merged = merge_source_maps([MapInput(0, "a", first, 100), MapInput(1, "b", second, 60)], addresses,
                               code_start=200, file="out.wasm")
    assert merged["sources"] == ["a.c", "shared.h", "b.c"]
    assert merged["names"] == ["f", "g"]
    assert merged["sourcesContent"] == [None, "// shared", "// b"]
    assert merged["file"] == "out.wasm"
    # 195 is code offset 95: in no function, so dropped. Offsets: file - 100 -> map -> + 200.
    assert decode_mappings(merged["mappings"]) == [
        (205, 0, 4, 0, 0),   # 3 -> 5
        (212, 0, 5, 2, None),  # 10 -> 12
        (258, 1, 9, 1, None),  # 50 -> 58
        (279, 0, 7, 3, None),  # 70 -> 70 + 8 + 1
        (300, 2, 1, 0, 1),   # input 1: file 62 is code 2 -> 100, file 300
        (308, 1, 2, 0, 0),   # 10 -> 108; shared.h is source 1, f is name 0
    ]


def test_url_section_round_trip():
    assert read_url_section(url_section_payload("https://example.com/out.wasm.map")) == \
        "https://example.com/out.wasm.map"
