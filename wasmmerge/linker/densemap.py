"""The order in which wasm-ld walks a table of names: LLVM's DenseMap by string hash.

Where wasm-ld keeps names in an `llvm::DenseMap` keyed by `CachedHashStringRef` and
walks it, what it makes follows the map's bucket order, not the order names came in:
the trapping stubs of calls with a mismatched signature (and their warnings) are made
that way (`SymbolTable::handleSymbolVariants` in lld 14). `densemap_order(names)` gives
that order for names inserted in the order given.

The hash is LLVM 14's `hash_value(StringRef)` (llvm/ADT/Hashing.h: CityHash-style
mixing of the bytes with the fixed seed of release builds), kept to 32 bits as
`DenseMapInfo<StringRef>` keeps it. The map starts at 64 buckets, doubles when an
insertion would fill three quarters of them (re-inserting in bucket order), and probes
quadratically (1, 2, 3, ... buckets on) from the hash's bucket.
"""

_MASK = (1 << 64) - 1
_SEED = 0xFF51AFD7ED558CCD  # LLVM's get_execution_seed() with no override
_K0, _K1, _K2, _K3 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F, 0xC949D7C7509E6557
_MUL = 0x9DDFEA08EB382D69


def _u64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 8], "little")


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "little")


def _rotate(value: int, shift: int) -> int:
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _hash_16(low: int, high: int) -> int:
    a = ((low ^ high) * _MUL) & _MASK
    a ^= a >> 47
    b = ((high ^ a) * _MUL) & _MASK
    b ^= b >> 47
    return (b * _MUL) & _MASK


def _hash_short(s: bytes, seed: int) -> int:
    """Hashing.h's hash_short: a key of at most 64 bytes, by its length."""
    n = len(s)
    if 4 <= n <= 8:
        return _hash_16((n + (_u32(s, 0) << 3)) & _MASK, seed ^ _u32(s, n - 4))
    if 8 < n <= 16:
        a, b = _u64(s, 0), _u64(s, n - 8)
        return _hash_16(seed ^ a, _rotate((b + n) & _MASK, n)) ^ b
    if 16 < n <= 32:
        a = (_u64(s, 0) * _K1) & _MASK
        b = _u64(s, 8)
        c = (_u64(s, n - 8) * _K2) & _MASK
        d = (_u64(s, n - 16) * _K0) & _MASK
        return _hash_16((_rotate((a - b) & _MASK, 43) + _rotate(c ^ seed, 30) + d) & _MASK,
                        (a + _rotate(b ^ _K3, 20) - c + n + seed) & _MASK)
    if n > 32:
        z = _u64(s, 24)
        a = (_u64(s, 0) + (n + _u64(s, n - 16)) * _K0) & _MASK
        b = _rotate((a + z) & _MASK, 52)
        c = _rotate(a, 37)
        a = (a + _u64(s, 8)) & _MASK
        c = (c + _rotate(a, 7)) & _MASK
        a = (a + _u64(s, 16)) & _MASK
        vf = (a + z) & _MASK
        vs = (b + _rotate(a, 31) + c) & _MASK
        a = (_u64(s, 16) + _u64(s, n - 32)) & _MASK
        z = _u64(s, n - 8)
        b = _rotate((a + z) & _MASK, 52)
        c = _rotate(a, 37)
        a = (a + _u64(s, n - 24)) & _MASK
        c = (c + _rotate(a, 7)) & _MASK
        a = (a + _u64(s, n - 16)) & _MASK
        wf = (a + z) & _MASK
        ws = (b + _rotate(a, 31) + c) & _MASK
        r = _shift_mix(((vf + ws) * _K2 + (wf + vs) * _K0) & _MASK)
        return (_shift_mix(((seed ^ ((r * _K0) & _MASK)) + vs) & _MASK) * _K2) & _MASK
    if n:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K3) ^ seed) & _MASK) * _K2) & _MASK
    return _K2 ^ seed


class _State:
    """Hashing.h's hash_state: the mixing of keys longer than 64 bytes, 64 at a time."""

    def __init__(self, s: bytes, seed: int):
        self.h = [0, seed, _hash_16(seed, _K1), _rotate(seed ^ _K1, 49), (seed * _K1) & _MASK, _shift_mix(seed), 0]
        self.h[6] = _hash_16(self.h[4], self.h[5])
        self.mix(s, 0)

    @staticmethod
    def _mix_32(s: bytes, at: int, a: int, b: int) -> tuple[int, int]:
        a = (a + _u64(s, at)) & _MASK
        c = _u64(s, at + 24)
        b = _rotate((b + a + c) & _MASK, 21)
        d = a
        a = (a + _u64(s, at + 8) + _u64(s, at + 16)) & _MASK
        b = (b + _rotate(a, 44) + d) & _MASK
        return (a + c) & _MASK, b

    def mix(self, s: bytes, at: int):
        h = self.h
        h[0] = (_rotate((h[0] + h[1] + h[3] + _u64(s, at + 8)) & _MASK, 37) * _K1) & _MASK
        h[1] = (_rotate((h[1] + h[4] + _u64(s, at + 48)) & _MASK, 42) * _K1) & _MASK
        h[0] ^= h[6]
        h[1] = (h[1] + h[3] + _u64(s, at + 40)) & _MASK
        h[2] = (_rotate((h[2] + h[5]) & _MASK, 33) * _K1) & _MASK
        h[3] = (h[4] * _K1) & _MASK
        h[4] = (h[0] + h[5]) & _MASK
        h[3], h[4] = self._mix_32(s, at, h[3], h[4])
        h[5] = (h[2] + h[6]) & _MASK
        h[6] = (h[1] + _u64(s, at + 16)) & _MASK
        h[5], h[6] = self._mix_32(s, at + 32, h[5], h[6])
        h[0], h[2] = h[2], h[0]

    def finalize(self, length: int) -> int:
        h = self.h
        return _hash_16((_hash_16(h[3], h[5]) + _shift_mix(h[1]) * _K1 + h[2]) & _MASK,
                        (_hash_16(h[4], h[6]) + _shift_mix(length) * _K1 + h[0]) & _MASK)


def string_hash(name: str) -> int:
    """LLVM 14's hash_value(StringRef) of the name's UTF-8 bytes, kept to 32 bits."""
    s = name.encode("utf-8")
    n = len(s)
    if n <= 64:
        return _hash_short(s, _SEED) & 0xFFFFFFFF
    state = _State(s, _SEED)
    at = 64
    while at + 64 <= n:
        state.mix(s, at)
        at += 64
    if n & 63:
        state.mix(s, n - 64)
    return state.finalize(n) & 0xFFFFFFFF


def densemap_order(names) -> list:
    """The distinct `names` in the order a DenseMap keyed by them is walked, after
    inserting them in the order given."""
    buckets = [None] * 64
    count = 0
    for name in names:
        if _find(buckets, name)[1]:
            continue
        if (count + 1) * 4 >= len(buckets) * 3:
            old, buckets = buckets, [None] * (len(buckets) * 2)
            for entry in old:
                if entry is not None:
                    buckets[_find(buckets, entry)[0]] = entry
        buckets[_find(buckets, name)[0]] = name
        count += 1
    return [name for name in buckets if name is not None]


def _find(buckets: list, name) -> tuple[int, bool]:
    """(bucket holding `name` or the empty bucket it would go to, whether it is there)."""
    size = len(buckets)
    at = string_hash(name) & (size - 1)
    probe = 1
    while buckets[at] is not None:
        if buckets[at] == name:
            return at, True
        at = (at + probe) & (size - 1)
        probe += 1
    return at, False
