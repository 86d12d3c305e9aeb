"""The Kingdee business envelope and its `data` codec.

Every business call is `{requestId, businessSystemCode, interfaceCode, data}` where `data` is the
Base64 of UTF-8 JSON, or, when the tenant has an AES password, Base64(nonce12 ‖ ciphertext ‖ tag16)
under AES-128-GCM with key = SHA1(SHA1(password))[:16] (Java's SHA1PRNG seeded with the password).

Money never passes through a float: the JSON is `fapiao.connectors.wire`'s (Decimals exact, floats refused).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import random
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fapiao.connectors.kingdee.protocol import OK_CODES
from fapiao.connectors.wire import dumps, loads

__all__ = ["aes_key", "DataCodec", "new_request_id", "envelope", "Reply", "read_reply"]

_NONCE = 12


def aes_key(password: str) -> bytes:
    """The 128-bit key Java derives from `SecureRandom("SHA1PRNG")` seeded with the password."""
    return hashlib.sha1(hashlib.sha1(password.encode()).digest()).digest()[:16]


class DataCodec:
    """Encodes and decodes the `data` string of envelopes and callbacks."""

    def __init__(self, aes_password: str | None = None) -> None:
        self._aes = AESGCM(aes_key(aes_password)) if aes_password else None

    @property
    def aes(self) -> bool:
        return self._aes is not None

    def encode(self, value: Any) -> str:
        plain = dumps(value)
        if self._aes is None:
            return base64.b64encode(plain).decode()
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + self._aes.encrypt(nonce, plain, None)).decode()

    def open(self, text: str) -> Any:
        """Strictly decode in the configured mode (what a tenant does); ValueError if it cannot."""
        raw = _b64(text)
        if self._aes is not None:
            try:
                raw = self._aes.decrypt(raw[:_NONCE], raw[_NONCE:], None)
            except (InvalidTag, ValueError) as exc:
                raise ValueError("data is not AES-GCM under this password") from exc
        return loads(raw)

    def decode(self, value: Any) -> Any:
        """Leniently decode a response or callback `data`: an object as is, AES, Base64, or a plain string."""
        if not isinstance(value, str):
            return value
        attempts = [self] if self._aes is None else [self, _BASE64]
        for codec in attempts:
            try:
                return codec.open(value)
            except ValueError:
                continue
        return value  # e.g. the bare serialNo an OPEN answers with


_BASE64 = DataCodec()


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("data is not Base64") from exc


_RNG = random.Random()


def new_request_id(rng: random.Random | None = None) -> str:
    """13-digit epoch milliseconds followed by 3 random digits: a transport id, not the business key."""
    digits = (rng or _RNG).randrange(1000)
    return f"{time.time_ns() // 1_000_000:013d}{digits:03d}"


def envelope(business_system_code: str, interface_code: str, data: str, request_id: str) -> dict[str, str]:
    return {"requestId": request_id, "businessSystemCode": business_system_code,
            "interfaceCode": interface_code, "data": data}


@dataclass(frozen=True)
class Reply:
    """A decoded response envelope `{success, errorCode, message|errorMsg, data}`."""

    success: bool
    code: str
    message: str
    data: Any

    @property
    def ok(self) -> bool:
        return self.success and self.code in OK_CODES


def read_reply(body: bytes, codec: DataCodec) -> Reply | None:
    """The envelope in a response body, or None when the body is not one (an HTML error page, say)."""
    try:
        parsed = loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or "success" not in parsed and "errorCode" not in parsed:
        return None
    message = parsed.get("message") or parsed.get("errorMsg") or ""
    return Reply(success=parsed.get("success") is True, code=str(parsed.get("errorCode", "")),
                 message=str(message), data=codec.decode(parsed.get("data")))
