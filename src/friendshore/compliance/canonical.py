"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for hashing and signing.

The canonical form of a JSON value is: object members sorted by key (UTF-16 code
units, as RFC 8785 §3.2.3 requires), no whitespace, strings escaped as in
ECMAScript ``JSON.stringify`` (UTF-8; only ``"``, ``\\`` and the control characters
U+0000-U+001F escaped, as ``\\b \\t \\n \\f \\r`` or ``\\u00xx`` in lowercase hex,
§3.2.2.2), and numbers written as ECMAScript ``Number.prototype.toString`` writes
them (§3.2.2.3: ``1.0`` → ``1``, ``9.1e15`` → ``9100000000000000``, ``1e21`` →
``1e+21``, ``1e-7``, ``-0`` → ``0``). Integers beyond ±(2**53 - 1), non-finite
floats, lone surrogates and values nested deeper than :data:`MAX_DEPTH` are
refused, as in I-JSON (RFC 7493). The output equals that of the independent
``rfc8785`` package on every value both accept (a property test checks it).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, Final

import numpy as np

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "canonical_json", "json_text_too_deep", "sha256_hex"]

#: Number.MAX_SAFE_INTEGER: larger integers have no exact IEEE 754 double.
MAX_SAFE_INTEGER: Final = 2**53 - 1
#: The deepest nesting of arrays and objects accepted (certificates nest about 10).
MAX_DEPTH: Final = 100
#: Below 1e16 an integral double's exact digits are its shortest round-trip digits.
_EXACT_INTEGRAL: Final = 1e16


def _too_deep() -> ValueError:
    return ValueError(f"the JSON value is nested deeper than {MAX_DEPTH} levels")


def _number(value: float) -> str:
    """Write a finite float as ECMAScript ``Number.prototype.toString`` does."""
    if not math.isfinite(value):
        raise ValueError("NaN and infinity have no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest round-trip digits: value = int(digits) * 10**scale
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    stripped = (whole + frac).lstrip("0")
    digits = stripped.rstrip("0")
    scale = (int(exp_text) if exp_text else 0) - len(frac) + len(stripped) - len(digits)
    point = len(digits) + scale
    k, n = len(digits), point  # value = 0.digits × 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mant = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def _string(text: str) -> str:
    # json.dumps escapes exactly what RFC 8785 §3.2.2.2 escapes, in its forms; a lone
    # surrogate passes here and is refused by the UTF-8 encoding of the whole text.
    return json.dumps(text, ensure_ascii=False)


def _encode(value: Any, out: list[str], depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is beyond the I-JSON range ±(2**53 - 1)")
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_number(float(value)))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
        out.append("{")
        # UTF-16 code units; a lone surrogate cannot be encoded and is refused here
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(value[key], out, depth + 1)
        out.append("}")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")


class _UnsafeError(Exception):
    """The value needs the full encoder (a float or key the fast path cannot write)."""


def _fast(value: Any, depth: int) -> Any:
    """Return ``value`` with integral floats as ints, or raise :class:`_UnsafeError`.

    Python's ``json`` writes what RFC 8785 writes for strings, ints and booleans,
    sorts keys as RFC 8785 does when every key is in the Basic Multilingual Plane
    below the surrogates (U+D800), and writes non-integral floats with
    1e-4 <= |x| < 1e16 in the same shortest round-trip form as ECMAScript. An
    integral float below 1e16 is written as the int it equals: ECMAScript writes
    its shortest round-trip digits padded with zeros to the decimal point, and
    below 1e16 (where doubles are at most 2 apart) those are its exact digits.
    """
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or (key and max(key) >= "\ud800"):
                raise _UnsafeError
            out[key] = _fast(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        return [_fast(item, depth + 1) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise _UnsafeError
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INTEGRAL:
            return int(value)
        if math.isfinite(value) and 1e-4 <= abs(value) < _EXACT_INTEGRAL:
            return value
    raise _UnsafeError


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical JSON of ``value`` as UTF-8 bytes.

    Raises
    ------
    TypeError
        If ``value`` holds something that is not JSON (a date: dump it first).
    ValueError
        If it holds NaN, infinity, an integer beyond ±(2**53 - 1), a lone surrogate,
        or arrays and objects nested deeper than :data:`MAX_DEPTH`.
    """
    try:
        prepared = _fast(value, 0)
    except _UnsafeError:
        out: list[str] = []
        _encode(value, out, 0)
        return "".join(out).encode("utf-8")
    return json.dumps(
        prepared, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(value: Any) -> str:
    """Return the SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


_STRING = re.compile(rb'"[^"]*"')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as int8
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_text_too_deep(text: str | bytes, *, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in JSON text nest deeper than ``limit`` levels.

    Checks the text without parsing it, in time linear in its length and without
    recursion: run it before ``json.loads``, whose recursion a deep document exhausts.

    Notes
    -----
    Escaped backslashes and quotes, and then strings, are removed, every other character but
    brackets is dropped, and the depth is the largest running sum of +1 per opening
    and -1 per closing bracket. Text that is not valid JSON is judged on that sum
    too (its parser refuses it anyway).
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # \\ first, then \"
    steps = _STRING.sub(b"", unescaped).translate(_STEPS, _NOT_BRACKETS)
    if not steps:
        return False
    depth = np.cumsum(np.frombuffer(steps, dtype=np.int8), dtype=np.int64)
    return bool(depth.max() > limit)
