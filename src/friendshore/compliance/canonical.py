"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for hashing and signing.

The canonical form of a JSON value is: object members sorted by key (UTF-16 code
units, as RFC 8785 §3.2.3 requires), no whitespace, strings escaped as in
ECMAScript ``JSON.stringify`` (UTF-8, only ``"``, ``\\`` and control characters
escaped), and numbers written as ECMAScript writes them (``1.0`` → ``1``, ``1e21``,
``1e-7``). Integers beyond 2**53 and non-finite floats are refused, as in I-JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

__all__ = ["canonical_json", "sha256_hex"]

_MAX_SAFE = 2**53


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


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE:
            raise ValueError(f"integer {value} is beyond the I-JSON range (2**53)")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
        for i, key in enumerate(keys):
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")


class _UnsafeError(Exception):
    """The value needs the full encoder (a float or key the fast path cannot write)."""


def _fast(value: Any) -> Any:
    """Return ``value`` with integral floats as ints, or raise :class:`_UnsafeError`.

    Python's ``json`` writes what RFC 8785 writes for strings, ints and booleans,
    sorts keys as RFC 8785 does when every key is in the Basic Multilingual Plane
    below the surrogates (U+D800), and writes non-integral floats with
    1e-4 <= |x| < 1e16 in the same shortest round-trip form as ECMAScript.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or (key and max(key) >= "\ud800"):
                raise _UnsafeError
            out[key] = _fast(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_fast(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE:
            raise _UnsafeError
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= _MAX_SAFE:
            return int(value)
        if math.isfinite(value) and 1e-4 <= abs(value) < 1e16:
            return value
    raise _UnsafeError


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical JSON of ``value`` as UTF-8 bytes.

    Raises
    ------
    TypeError
        If ``value`` holds something that is not JSON (a date: dump it first).
    ValueError
        If it holds NaN, infinity or an integer beyond 2**53.
    """
    try:
        prepared = _fast(value)
    except _UnsafeError:
        out: list[str] = []
        _encode(value, out)
        return "".join(out).encode("utf-8")
    return json.dumps(
        prepared, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(value: Any) -> str:
    """Return the SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
