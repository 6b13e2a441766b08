"""`--build-id`: the id is the one lld computes (wasm-ld 14 lacks the option; lld 17 and
later: a tree hash of the whole file with the id still a placeholder of spaces, XXH3 for
`fast` turned into a version-5 UUID, tree SHA-1 for `sha1`). XXH3 itself is checked
against the reference C library (libxxhash) over every length class."""

import ctypes
import ctypes.util
import hashlib
import random

import pytest

from wasmmerge.custom.xxh3 import xxh3_64

from .harness import compile_sources, run_wasmmerge_link

_NAMESPACE = bytes.fromhex("a1fa482d0e22038d338b521cd6d212b2")  # lld's, for version-5 ids


def _libxxhash():
    name = ctypes.util.find_library("xxhash") or "libxxhash.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        pytest.skip("libxxhash not found (apt-get install libxxhash0; `make test` installs it)")
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return lambda data: lib.XXH3_64bits(bytes(data), len(data))


def test_xxh3_matches_the_reference_library():
    reference = _libxxhash()
    rnd = random.Random(10)
    # every short path (0, 1-3, 4-8, 9-16, 17-128, 129-240) and the long one: block
    # boundaries (1 KiB), partial last stripes, and a few multi-block inputs
    lengths = [*range(0, 300), *range(1000, 1100), 2047, 2048, 2049, 4096 + 63, 65536, 100_003]
    for n in lengths:
        data = rnd.randbytes(n)
        assert xxh3_64(data) == reference(data), n


def _tree(data, piece_hash):
    pieces = b"".join(piece_hash(data[at:at + (1 << 20)]) for at in range(0, len(data), 1 << 20))
    return piece_hash(pieces)


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    return compile_sources(["freestanding/lib.c", "freestanding/data.c"], tmp_path_factory.mktemp("objs"))


def _link(objects, tmp_path, *flags, name="out.wasm"):
    out = tmp_path / name
    done = run_wasmmerge_link(["--no-entry", "--export=fib", *flags, *map(str, objects), "-o", "x"], out)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def _split_id(data: bytes, size: int) -> tuple[bytes, bytes]:
    """The file with its id replaced by lld's placeholder, and the id (the last bytes)."""
    assert data[-size - 1 - len("build_id") - 1:-size - 1] == b"\x08build_id"
    return data[:-size] + b" " * size, data[-size:]


def test_fast_is_lld_s_uuid_of_the_xxh3_tree_hash(objects, tmp_path):
    reference = _libxxhash()
    data = _link(objects, tmp_path, "--build-id")
    assert _link(objects, tmp_path, "--build-id=fast", name="again.wasm") == data  # reproducible
    hashed, got = _split_id(data, 16)
    file_hash = _tree(hashed, lambda piece: reference(piece).to_bytes(8, "little"))
    want = bytearray(hashlib.sha1(_NAMESPACE + file_hash).digest()[:16])
    want[6] = 0x50 | (want[6] & 0x0F)
    want[8] = 0x80 | (want[8] & 0x3F)
    assert got == bytes(want)


def test_sha1_is_a_tree_hash_and_uuid_is_random_version_4(objects, tmp_path):
    data = _link(objects, tmp_path, "--build-id=sha1")
    hashed, got = _split_id(data, 20)
    assert got == _tree(hashed, lambda piece: hashlib.sha1(piece).digest())
    assert _link(objects, tmp_path, "--build-id=tree", name="tree.wasm") == data
    first = _split_id(_link(objects, tmp_path, "--build-id=uuid", name="u1.wasm"), 16)[1]
    second = _split_id(_link(objects, tmp_path, "--build-id=uuid", name="u2.wasm"), 16)[1]
    assert first != second and first[6] >> 4 == 4 and first[8] >> 6 == 2


def test_hex_id_and_none(objects, tmp_path):
    data = _link(objects, tmp_path, "--build-id=0xc0ffee")
    assert _split_id(data, 3)[1] == b"\xc0\xff\xee"
    assert b"build_id" not in _link(objects, tmp_path, "--build-id", "--build-id=none", name="none.wasm")


def test_relocatable_output_ends_with_the_id(objects, tmp_path):
    data = _link(objects, tmp_path, "-r", "--build-id")
    hashed, _ = _split_id(data, 16)
    assert b"reloc.CODE" in hashed and b"linking" in hashed
