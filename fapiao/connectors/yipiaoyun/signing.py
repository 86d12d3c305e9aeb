"""The 票申/易票云 request signature (providers.md 2.1), used both ways: our requests and their callbacks.

    1. drop empty values   2. sort names ASCII ascending (case-sensitive)   3. join `k=v&…`
    4. append `&key={appSecret}`   5. MD5 / SHA1 / SHA256, upper-case hex

Which names are signed: the vendor's table says userId/userNo/accessKey/accessSecret are signed, its note
says business params and those credentials are not, and its worked example signs exactly appId, nonceStr,
signType and timestamp. We follow the worked example (the only thing we can check), so the signature
authenticates the sender but NOT the business payload. Change `SIGNED_KEYS` if the vendor says otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Mapping

from fapiao.clock import now

__all__ = ["SIGNED_KEYS", "SIGN_TYPES", "canonical", "sign", "verify", "core_params"]

SIGNED_KEYS = frozenset({"appId", "nonceStr", "timestamp", "signType"})

SIGN_TYPES = {"MD5": hashlib.md5, "SHA1": hashlib.sha1, "SHA256": hashlib.sha256}


def _text(value: Any) -> str:
    # JSON booleans are signed the way Java prints them.
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def canonical(params: Mapping[str, Any], app_secret: str) -> str:
    """The string that is hashed: signed, non-empty params sorted by name, then `&key=secret`."""
    kept = sorted(
        (name, _text(value))
        for name, value in params.items()
        if name in SIGNED_KEYS and value is not None and _text(value) != ""
    )
    return "&".join(f"{name}={value}" for name, value in kept) + f"&key={app_secret}"


def sign(params: Mapping[str, Any], app_secret: str, sign_type: str = "MD5") -> str:
    """Upper-case hex digest of `canonical(params)` with the given hash."""
    try:
        digest = SIGN_TYPES[sign_type.upper()]
    except KeyError:
        raise ValueError(f"signType {sign_type!r}: use one of {', '.join(SIGN_TYPES)}") from None
    return digest(canonical(params, app_secret).encode("utf-8")).hexdigest().upper()


def verify(params: Mapping[str, Any], app_secret: str, sign_type: str | None = None) -> bool:
    """True when `params["sign"]` is right for `params["signType"]` (which must equal `sign_type` if given)."""
    carried, declared = params.get("sign"), params.get("signType")
    if not isinstance(carried, str) or not isinstance(declared, str) or declared.upper() not in SIGN_TYPES:
        return False
    if sign_type is not None and declared.upper() != sign_type.upper():
        return False
    if not all(params.get(name) not in (None, "") for name in SIGNED_KEYS):
        return False
    expected = sign(params, app_secret, declared)
    return hmac.compare_digest(expected.encode("ascii"), carried.upper().encode("ascii", "replace"))


def core_params(app_id: str, app_secret: str, sign_type: str) -> dict[str, str]:
    """Fresh signed core params for one request: a new nonceStr and a millisecond timestamp every time."""
    params = {
        "appId": app_id,
        "nonceStr": secrets.token_hex(16),
        "timestamp": str(int(now().timestamp() * 1000)),
        "signType": sign_type.upper(),
    }
    params["sign"] = sign(params, app_secret, sign_type)
    return params
