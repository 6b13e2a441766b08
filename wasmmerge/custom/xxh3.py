"""XXH3-64 (xxHash 0.8, seed 0, default secret), the hash newer wasm-ld uses for
`--build-id=fast`.

Written from the xxHash specification: inputs of up to 240 bytes take one of five short
paths; longer ones are cut into 64-byte stripes that feed eight 64-bit accumulators,
scrambled after every 1 KiB block, then merged. The long path is the only hot one: its
accumulators stay Python ints and are masked to 64 bits only where a shift or a merge
needs it (once per block), and each stripe is unpacked with one struct call.
"""

import struct

_SECRET = bytes((
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
))

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
P32_1, P32_2, P32_3 = 0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D
P64_1, P64_2, P64_3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
P64_4, P64_5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
PMX1, PMX2 = 0x165667919E3779F9, 0x9FB21C651E98DF25

_STRIPE = 64
_STRIPES_PER_BLOCK = (len(_SECRET) - _STRIPE) // 8  # 16: a block is 1 KiB
_BLOCK = _STRIPE * _STRIPES_PER_BLOCK
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_LANES = struct.Struct("<8Q")


def _r64(data, at: int) -> int:
    return _U64.unpack_from(data, at)[0]


def _r32(data, at: int) -> int:
    return _U32.unpack_from(data, at)[0]


# The secret words each stripe of a block is keyed with (stripe n starts at byte 8n),
# the last stripe's (7 bytes before the scramble key) and the scramble key itself.
_STRIPE_KEYS = [_LANES.unpack_from(_SECRET, 8 * n) for n in range(_STRIPES_PER_BLOCK)]
_LAST_KEY = _LANES.unpack_from(_SECRET, len(_SECRET) - _STRIPE - 7)
_SCRAMBLE_KEY = _LANES.unpack_from(_SECRET, len(_SECRET) - _STRIPE)


def _avalanche(h: int) -> int:
    h ^= h >> 37
    h = (h * PMX1) & M64
    return h ^ (h >> 32)


def _xxh64_avalanche(h: int) -> int:
    h ^= h >> 33
    h = (h * P64_2) & M64
    h ^= h >> 29
    h = (h * P64_3) & M64
    return h ^ (h >> 32)


def _fold(a: int, b: int) -> int:
    """The 128-bit product of a and b, its halves xored."""
    p = a * b
    return (p & M64) ^ (p >> 64)


def _mix16(data, at: int, key: int) -> int:
    return _fold(_r64(data, at) ^ _r64(_SECRET, key), _r64(data, at + 8) ^ _r64(_SECRET, key + 8))


def _short(data, n: int) -> int:
    if n == 0:
        return _xxh64_avalanche(_r64(_SECRET, 56) ^ _r64(_SECRET, 64))
    if n <= 3:
        combined = (data[0] << 16) | (data[n >> 1] << 24) | data[n - 1] | (n << 8)
        return _xxh64_avalanche(combined ^ (_r32(_SECRET, 0) ^ _r32(_SECRET, 4)))
    if n <= 8:
        keyed = (_r32(data, n - 4) + (_r32(data, 0) << 32)) ^ (_r64(_SECRET, 8) ^ _r64(_SECRET, 16))
        keyed ^= ((keyed << 49 | keyed >> 15) ^ (keyed << 24 | keyed >> 40)) & M64
        keyed = (keyed * PMX2) & M64
        keyed ^= (keyed >> 35) + n
        keyed = (keyed * PMX2) & M64
        return keyed ^ (keyed >> 28)
    if n <= 16:
        lo = _r64(data, 0) ^ (_r64(_SECRET, 24) ^ _r64(_SECRET, 32))
        hi = _r64(data, n - 8) ^ (_r64(_SECRET, 40) ^ _r64(_SECRET, 48))
        swapped = int.from_bytes(lo.to_bytes(8, "little"), "big")
        return _avalanche((n + swapped + hi + _fold(lo, hi)) & M64)
    acc = n * P64_1
    if n <= 128:
        # pairs from both ends, inner pairs first when the input is long enough for them
        for i in range((n - 1) >> 5, -1, -1):
            acc += _mix16(data, 16 * i, 32 * i) + _mix16(data, n - 16 * (i + 1), 32 * i + 16)
        return _avalanche(acc & M64)
    for i in range(8):
        acc += _mix16(data, 16 * i, 16 * i)
    acc = _avalanche(acc & M64)
    for i in range(8, n // 16):
        acc += _mix16(data, 16 * i, 16 * (i - 8) + 3)
    acc += _mix16(data, n - 16, 136 - 17)
    return _avalanche(acc & M64)


def _accumulate(acc: list, data, at: int, stripes: int, keys=None):
    a0, a1, a2, a3, a4, a5, a6, a7 = acc
    for s in range(stripes):
        d0, d1, d2, d3, d4, d5, d6, d7 = _LANES.unpack_from(data, at + _STRIPE * s)
        k0, k1, k2, k3, k4, k5, k6, k7 = keys or _STRIPE_KEYS[s]
        a1 += d0
        a0 += d1
        a3 += d2
        a2 += d3
        a5 += d4
        a4 += d5
        a7 += d6
        a6 += d7
        x = d0 ^ k0
        a0 += (x & M32) * (x >> 32)
        x = d1 ^ k1
        a1 += (x & M32) * (x >> 32)
        x = d2 ^ k2
        a2 += (x & M32) * (x >> 32)
        x = d3 ^ k3
        a3 += (x & M32) * (x >> 32)
        x = d4 ^ k4
        a4 += (x & M32) * (x >> 32)
        x = d5 ^ k5
        a5 += (x & M32) * (x >> 32)
        x = d6 ^ k6
        a6 += (x & M32) * (x >> 32)
        x = d7 ^ k7
        a7 += (x & M32) * (x >> 32)
    acc[:] = (a0 & M64, a1 & M64, a2 & M64, a3 & M64, a4 & M64, a5 & M64, a6 & M64, a7 & M64)


def _long(data, n: int) -> int:
    acc = [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1]
    blocks = (n - 1) // _BLOCK
    for b in range(blocks):
        _accumulate(acc, data, b * _BLOCK, _STRIPES_PER_BLOCK)
        acc = [(((a ^ (a >> 47)) ^ k) * P32_1) & M64 for a, k in zip(acc, _SCRAMBLE_KEY)]
    _accumulate(acc, data, blocks * _BLOCK, ((n - 1) - blocks * _BLOCK) // _STRIPE)
    _accumulate(acc, data, n - _STRIPE, 1, _LAST_KEY)
    result = n * P64_1
    for i in range(4):
        result += _fold(acc[2 * i] ^ _r64(_SECRET, 11 + 16 * i), acc[2 * i + 1] ^ _r64(_SECRET, 19 + 16 * i))
    return _avalanche(result & M64)


def xxh3_64(data) -> int:
    """XXH3_64bits(data) with seed 0 and the default secret."""
    n = len(data)
    return _short(data, n) if n <= 240 else _long(data, n)
