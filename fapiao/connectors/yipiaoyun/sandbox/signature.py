"""The 票申/易票云 signature as the sandbox checks it on requests and puts it on callbacks (providers.md §2.1).

Signed names: appId, nonceStr, signType, timestamp, the four the vendor's worked example signs (its table
and its note disagree; the example is the only thing that can be checked). All four are required (the
table marks them Y). The string: the non-empty signed values as `name=value`, names in ASCII order,
joined by `&`, then `&key=<appSecret>`; hashed as UTF-8 with signType's hash; upper-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any, Mapping

from fapiao.connectors.yipiaoyun.sandbox.protocol import SIGN_TYPES

__all__ = ["signing_string", "signature", "valid", "signed_core"]

SIGNED = ("appId", "nonceStr", "signType", "timestamp")


def signing_string(params: Mapping[str, Any], app_secret: str) -> str:
    pairs = [f"{name}={params[name]}" for name in sorted(SIGNED) if params.get(name) not in (None, "")]
    return "&".join([*pairs, f"key={app_secret}"])


def signature(params: Mapping[str, Any], app_secret: str) -> str:
    """The signature of `params` with the hash its own `signType` names."""
    algorithm = str(params["signType"]).lower()
    return hashlib.new(algorithm, signing_string(params, app_secret).encode("utf-8")).hexdigest().upper()


def valid(params: Mapping[str, Any], app_secret: str) -> bool:
    """True when every signed name is present, signType is one of the three and `sign` is exactly right."""
    if params.get("signType") not in SIGN_TYPES or any(params.get(name) in (None, "") for name in SIGNED):
        return False
    carried = params.get("sign")
    if not isinstance(carried, str):
        return False
    return hmac.compare_digest(signature(params, app_secret).encode(), carried.encode())


def signed_core(app_id: str, app_secret: str, sign_type: str) -> dict[str, str]:
    """The core params of one callback: a fresh nonce, the time in milliseconds, and their signature."""
    core = {"appId": app_id, "nonceStr": secrets.token_hex(16), "timestamp": str(time.time_ns() // 1_000_000),
            "signType": sign_type}
    return {**core, "sign": signature(core, app_secret)}
