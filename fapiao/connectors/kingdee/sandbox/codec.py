"""The sandbox's JSON and `data` codec, written from providers.md §1.3 without the client's code.

JSON: every fraction is read as a Decimal and a Decimal is written with its own digits, so money never
passes through a float (a float handed to `to_json` is a bug and raises).

`data`: Base64 of the UTF-8 JSON; or, for a tenant with an AES password, Base64(nonce ‖ ciphertext ‖ tag)
under AES-128-GCM with a 12-byte nonce and a 16-byte tag, the key being the first 16 bytes of
SHA1(SHA1(password)) (what Java's SHA1PRNG seeded with the password yields).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from decimal import Decimal
from typing import Any, Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["to_json", "from_json", "derive_key", "DataCodec"]

NONCE_BYTES = 12


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not an amount")
    return f"{value:f}"


def _array(value: list[Any] | tuple[Any, ...]) -> str:
    return "[" + ",".join(to_json(item) for item in value) + "]"


def _object(value: dict[Any, Any]) -> str:
    return "{" + ",".join(_plain(str(key)) + ":" + to_json(item) for key, item in value.items()) + "}"


def _refuse_float(value: float) -> str:
    raise TypeError(f"a float ({value!r}) would lose money; use Decimal")


# Strings, ints, booleans and null; built once, since a body is mostly strings and json.dumps' setup costs.
_plain = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
_WRITERS: dict[type, Callable[[Any], str]] = {
    Decimal: _number, list: _array, tuple: _array, dict: _object, float: _refuse_float,
}


def to_json(value: Any) -> str:
    """Compact JSON; Decimals exactly as they are."""
    writer = _WRITERS.get(type(value))
    return writer(value) if writer else _plain(value)


def from_json(raw: str | bytes) -> Any:
    """Parse JSON with fractions as Decimals; ValueError (incl. UnicodeDecodeError) when it is not JSON."""
    return json.loads(raw, parse_float=Decimal)


def derive_key(password: str) -> bytes:
    """AES-128 key of a tenant password: SHA1 twice, first 16 bytes."""
    once = hashlib.sha1(password.encode("utf-8")).digest()
    return hashlib.sha1(once).digest()[:16]


class DataCodec:
    """Seals and opens envelope and callback `data` in the tenant's mode (Base64, or AES with a password)."""

    def __init__(self, password: str | None, nonce: Callable[[int], bytes] = os.urandom) -> None:
        self._cipher = AESGCM(derive_key(password)) if password else None
        self._nonce = nonce

    def seal(self, value: Any) -> str:
        plain = to_json(value).encode("utf-8")
        if self._cipher is not None:
            nonce = self._nonce(NONCE_BYTES)
            plain = nonce + self._cipher.encrypt(nonce, plain, None)  # AESGCM appends the 16-byte tag
        return base64.b64encode(plain).decode("ascii")

    def open(self, sealed: str) -> Any:
        """The value in `sealed`; ValueError when it is not Base64, not ours under AES, or not JSON."""
        try:
            raw = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("data is not Base64") from exc
        if self._cipher is not None:
            try:
                raw = self._cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
            except (InvalidTag, ValueError) as exc:
                raise ValueError("data is not AES-GCM under this tenant's password") from exc
        return from_json(raw)
