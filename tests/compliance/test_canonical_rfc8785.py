"""The canonicaliser against an independent RFC 8785 implementation (the ``rfc8785`` package).

Hypothesis draws the structure of each example (a seed, the edge cases to mix in,
hand-shaped values); the bulk of the values is generated from the drawn seed, so that
more than 100,000 JSON values are compared in a few seconds. Every value must give
byte-identical canonical JSON, or both implementations must refuse it.
"""

from __future__ import annotations

import math
import random
import struct
import sys
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from friendshore.compliance.canonical import (
    MAX_DEPTH,
    MAX_SAFE_INTEGER,
    canonical_json,
    json_text_too_deep,
)

#: RFC 8785 Appendix B and the boundaries of ECMAScript's number forms.
EDGE_FLOATS = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    9007199254740991.0,
    9007199254740992.0,
    9007199254740993.0,  # rounds to 2**53
    9007199254740994.0,
    -9007199254740994.0,
    9.1e15,
    9999999999999998.0,
    1e16,
    1.0000000000000002e16,
    295147905179352830000.0,
    9.999999999999997e22,
    1e23,
    1.0000000000000001e23,
    999999999999999700000.0,
    999999999999999900000.0,
    1e21,
    1e21 - 65536,
    1e-7,
    1e-6,
    9.999999999999997e-7,
    0.000001,
    1e-4,
    333333333.33333329,
    333333333.3333332,
    333333333.33333325,
    333333333.3333334,
    333333333.33333343,
    -0.0000033333333333333333,
    1424953923781206.2,
    0.1 + 0.2,
    1.5,
    100.0,
]
#: Keys that sort differently by code point and by UTF-16 code unit (astral vs U+E000+).
EDGE_KEYS = ["", "a", "\r", "1", "\u0080", "ö", "€", "\ufb33", "😀", "\U0010ffff", "\uffff", "\x7f"]
EDGE_STRINGS = ["", "\x00\x1f\x7f", '"\\/', "\b\f\n\r\t", "\u2028\u2029", "é😀\U0010ffff", "<>&'"]

VALUES_PER_EXAMPLE = 2_000
EXAMPLES = 60  # x 2,000 numbers and x 400 structured values: 144,000 values compared
STRUCTURED_PER_EXAMPLE = 400
compared = {"numbers": 0, "structured": 0}


def _bits_float(rng: random.Random) -> float:
    """A double from random bits: every exponent equally likely (no NaN or infinity)."""
    while True:
        value: float = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(value):
            return value


def _bulk_number(rng: random.Random) -> float | int:
    kind = rng.randrange(9)
    if kind == 0:
        return _bits_float(rng)
    if kind == 1:  # integral doubles from 2**53 to past 1e21: the forms of issue 14
        return float(rng.randrange(2**53, 10**22)) * rng.choice((1, -1))
    if kind == 2:  # integral doubles of every magnitude
        return float(rng.randrange(10 ** rng.randrange(1, 25)))
    if kind == 3:  # money: cents and fractions
        return rng.randrange(10 ** rng.randrange(1, 18)) / 10.0 ** rng.randrange(0, 8)
    if kind == 4:  # around the decimal-exponent boundaries of the number forms
        return rng.choice((1.0, 9.999999, 1.5, 7.0)) * 10.0 ** rng.randrange(-12, 25)
    if kind == 5:  # the neighbours of an edge case
        edge = math.nextafter(rng.choice(EDGE_FLOATS), rng.choice((math.inf, -math.inf)))
        return edge if math.isfinite(edge) else 0.0
    if kind == 6:
        return rng.uniform(-1e6, 1e6)
    if kind == 7:
        return rng.randint(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    return rng.choice(EDGE_FLOATS)


def _text(rng: random.Random, size: int) -> str:
    out = []
    for _ in range(rng.randrange(size + 1)):
        plane = rng.randrange(5)
        if plane == 0:
            out.append(chr(rng.randrange(0x20)))
        elif plane == 1:
            out.append(chr(rng.randrange(0x20, 0x80)))
        elif plane == 2:  # BMP below and above the surrogates
            out.append(
                chr(rng.choice((rng.randrange(0x80, 0xD800), rng.randrange(0xE000, 0x10000))))
            )
        elif plane == 3:
            out.append(chr(rng.randrange(0x10000, 0x110000)))
        else:
            out.append(rng.choice(EDGE_STRINGS))
    return "".join(out)


def _bulk_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 6 else 5)
    if kind == 0:
        return rng.choice((None, True, False))
    if kind in (1, 2):
        return _bulk_number(rng)
    if kind == 3:
        return _text(rng, 12)
    if kind == 4:
        return rng.choice(EDGE_STRINGS)
    if kind == 5:
        return [_bulk_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    keys = [rng.choice(EDGE_KEYS) + _text(rng, 3) for _ in range(rng.randrange(6))]
    return {key: _bulk_value(rng, depth + 1) for key in keys}


def _assert_same(values: list[Any]) -> None:
    """Each value canonicalises to the bytes ``rfc8785.dumps`` gives (checked as one list)."""
    ours, theirs = canonical_json(values), rfc8785.dumps(values)
    if ours != theirs:  # name the first value that differs
        for value in values:
            assert canonical_json(value) == rfc8785.dumps(value), repr(value)
    assert ours == theirs


@settings(max_examples=EXAMPLES)
@given(seed=st.integers(0, 2**64 - 1), drawn=st.lists(st.floats(allow_nan=False), max_size=40))
def test_numbers_match_rfc8785(seed: int, drawn: list[float]) -> None:
    drawn = [x for x in drawn if math.isfinite(x)]
    rng = random.Random(seed)
    numbers = [_bulk_number(rng) for _ in range(VALUES_PER_EXAMPLE)]
    _assert_same([*EDGE_FLOATS, *drawn, *numbers])
    compared["numbers"] += len(EDGE_FLOATS) + len(drawn) + len(numbers)


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(EDGE_FLOATS)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(EDGE_KEYS)
            | st.text(st.characters(exclude_categories=["Cs"]), max_size=4),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=EXAMPLES)
@given(seed=st.integers(0, 2**64 - 1), shaped=st.lists(_json_values, max_size=8))
def test_json_values_match_rfc8785(seed: int, shaped: list[Any]) -> None:
    rng = random.Random(seed)
    values = [_bulk_value(rng) for _ in range(STRUCTURED_PER_EXAMPLE)]
    _assert_same([*shaped, *values])
    compared["structured"] += len(shaped) + len(values)


def test_at_least_100000_values_were_compared() -> None:
    """The two property tests above compared ≥ 100,000 values (when they ran first)."""
    if compared["numbers"] == 0 or compared["structured"] == 0:
        pytest.skip("run with the property tests above")
    assert compared["numbers"] + compared["structured"] >= 100_000


@pytest.mark.parametrize(
    "value",
    [
        9.1e15,
        {"value_usd": 9.1e15},
        [2.0**53 + 2, 2.0**60, 1e21, 1e-7, -0.0, 5e-324, 0.1 + 0.2],
        {"😀": 1, "\ufb33": 2, "€": 3},
        "\x00\x1f\x7f\u2028",
    ],
)
def test_issue_14_values_match_rfc8785(value: Any) -> None:
    """The values an independent verifier rejected before (9.1e15 was 9100000000000000.0)."""
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(9.1e15) == b"9100000000000000"
    assert canonical_json(1e21) == b"1e+21"
    assert canonical_json(-0.0) == b"0"


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        "\ud800",
        {"\udfff": 1},
        [1, {"a": "x\udc00y"}],
    ],
)
def test_both_refuse_what_i_json_forbids(value: Any) -> None:
    with pytest.raises(ValueError, match=r"."):
        rfc8785.dumps(value)
    with pytest.raises(ValueError, match=r"NaN|I-JSON|surrogate|utf-16|utf-8"):
        canonical_json(value)


def test_nesting_is_bounded_without_recursion() -> None:
    deep: Any = 0
    for level in range(MAX_DEPTH):
        deep = [deep] if level % 2 else {"k": deep}
    assert canonical_json(deep) == rfc8785.dumps(deep)
    for value in ([deep], {"k": deep}):
        with pytest.raises(ValueError, match=f"deeper than {MAX_DEPTH}"):
            canonical_json(value)
    very: Any = []
    for _ in range(sys.getrecursionlimit() * 2):
        very = [very]
    with pytest.raises(ValueError, match="deeper than"):
        canonical_json(very)


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        ("[]" * 5000, False),
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('{"a":"' + "[" * 5000 + '"}', False),  # brackets in a string do not nest
        ('{"a":"\\"' + "{" * 500 + '"}', False),  # nor after an escaped quote
        ('{"a":"\\\\","b":' + "[" * 101 + "]" * 101 + "}", True),  # an escaped backslash
        ('{"a":' * 60 + "[" * 41 + "]" * 41 + "}" * 60, True),
        ("[" * 5000, True),  # unbalanced: judged on its openers
        ("[" * 990 + "]" * 990, True),
    ],
)
def test_json_text_depth_is_checked_before_parsing(text: str, too_deep: bool) -> None:
    assert json_text_too_deep(text) is too_deep
    assert json_text_too_deep(text.encode()) is too_deep
