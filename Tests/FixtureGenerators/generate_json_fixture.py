"""Writes Fixtures/python-json-dumps.jsonl: random JSON values and what CPython's json.dumps writes for them.

Each line is a JSON array of five strings:
  [input, dumps(sort_keys=True), dumps(), dumps(indent=2, ensure_ascii=False),
   dumps(separators=(",", ":"), ensure_ascii=False)]
`input` is json.dumps(value) (insertion order kept), which the Swift tests parse and write back.

Run from the repository root:  python3 Tests/FixtureGenerators/generate_json_fixture.py
"""
import json
import math
import random
import struct
import sys
from pathlib import Path

rng = random.Random(20261122)

RANGES = [
    (0x20, 0x7E, 30),        # printable ASCII
    (0x00, 0x1F, 6),         # C0 controls
    (0x7F, 0x9F, 3),         # DEL and C1 controls
    (0xA0, 0x2FF, 6),        # Latin
    (0x300, 0x36F, 3),       # combining marks
    (0x370, 0x7FF, 4),       # Greek .. Arabic
    (0x800, 0xD7FF, 6),      # rest of the BMP below the surrogates
    (0xE000, 0xFFFF, 4),     # private use .. specials (incl. U+FEFF, U+FFFF)
    (0x10000, 0x10FFFF, 6),  # astral
    (0x1F300, 0x1FAFF, 6),   # emoji
]
SPECIAL = ['"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x00", "\x7f", "\u2028", "\u2029", "\ufeff", "e\u0301", "\u00e9"]
weights = [w for _, _, w in RANGES]


def random_char():
    if rng.random() < 0.1:
        return rng.choice(SPECIAL)
    low, high, _ = rng.choices(RANGES, weights)[0]
    return chr(rng.randint(low, high))


def random_string(max_len=24):
    return "".join(random_char() for _ in range(rng.randint(0, max_len)))


SPECIAL_FLOATS = [
    0.0, -0.0, 1.0, -1.0, 10.0, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 1e16, 1e15, 1e17, 9999999999999998.0,
    1234567890123456.0, 12345678901234567.0, 1e-4, 1e-5, 0.0001, 0.00001, 1.5e300, 1e308, 1.7976931348623157e308,
    2.2250738585072014e-308, 2.225073858507201e-308, 5e-324, 1e-323, 1e22, 1e23, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63,
    2.0 ** 64, 123.456, 100.0, 1e100, 1e-100, 4.35, 0.5, 1e21, 1e-7, 9.999999999999999e22, 5e-5, 0.000123,
    float("nan"), float("inf"), float("-inf"), 1e+20, 999999999999999.9, 9999999999999999.0, 0.1 + 0.7,
]


def random_float():
    kind = rng.random()
    if kind < 0.15:
        return rng.choice(SPECIAL_FLOATS)
    if kind < 0.55:
        bits = rng.getrandbits(64)
    elif kind < 0.70:
        bits = rng.getrandbits(52) | (rng.getrandbits(1) << 63)  # subnormal
    elif kind < 0.85:
        return round(rng.uniform(-1000, 1000), rng.randint(0, 6))
    else:
        return rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30)
    value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


def random_int():
    kind = rng.random()
    if kind < 0.3:
        return rng.randint(-1000, 1000)
    if kind < 0.5:
        return rng.choice([0, -1, 2 ** 31, -(2 ** 31), 2 ** 63 - 1, -(2 ** 63), 2 ** 63, -(2 ** 63) - 1, 2 ** 64,
                           12345678901234567890, 10 ** 18, 10 ** 19, -(10 ** 19)])
    if kind < 0.75:
        return rng.randint(-(2 ** 63), 2 ** 63 - 1)
    return rng.randint(-(10 ** 60), 10 ** 60)


TRICKY_KEYS = ["", "a", "A", "_", "b", "ab", "a\u0000", "\u00e9", "e\u0301", "\U0001F600", "\uffff", "\U0010FFFF",
               "Z", "z", "0", "10", "9", " ", "~", "\x7f", "\u0080", "aa", "a b", "\"", "\\", "\n", "\ud7ff", "\ue000"]


def random_key():
    return rng.choice(TRICKY_KEYS) if rng.random() < 0.6 else random_string(8)


def random_value(depth=0):
    kind = rng.random()
    if depth >= 4 or kind < 0.45:
        leaf = rng.random()
        if leaf < 0.35:
            return random_string()
        if leaf < 0.65:
            return random_float()
        if leaf < 0.85:
            return random_int()
        return rng.choice([None, True, False])
    if kind < 0.7:
        return [random_value(depth + 1) for _ in range(rng.randint(0, 5))]
    obj = {}
    for _ in range(rng.randint(0, 7)):
        obj[random_key()] = random_value(depth + 1)
    return obj


def main():
    values = []
    values += [random_string(40) for _ in range(800)]
    values += [random_float() for _ in range(800)]
    values += [random_int() for _ in range(200)]
    values += [random_value() for _ in range(700)]
    out = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures" / "python-json-dumps.jsonl"
    with out.open("w", encoding="ascii") as f:
        for value in values:
            row = [
                json.dumps(value),
                json.dumps(value, sort_keys=True),
                json.dumps(value),
                json.dumps(value, indent=2, ensure_ascii=False),
                json.dumps(value, separators=(",", ":"), ensure_ascii=False),
            ]
            f.write(json.dumps(row) + "\n")
    print(f"wrote {len(values)} values to {out} with Python {sys.version.split()[0]}")


main()
