"""Signature vectors from outside our code, for the client's signing and the sandbox's alike.

MD5 is the vendor's own worked example (providers.md §2.1, from its 安全规范 page). The others were
computed with OpenSSL 3.0 on the command line, never with Python, over the signing string the vendor's
rule gives (signType is itself signed, so it changes with the hash):

    printf '%s' 'appId=12345678&nonceStr=b7c0ebd06e66454b867e73d8400ff882&signType=SHA1&timestamp=1554366469041&key=abcdef' | openssl dgst -sha1
    printf '%s' 'appId=12345678&nonceStr=b7c0ebd06e66454b867e73d8400ff882&signType=SHA256&timestamp=1554366469041&key=abcdef' | openssl dgst -sha256
    printf '%s' 'appId=12345678&nonceStr=b7c0ebd06e66454b867e73d8400ff882&signType=SHA256&timestamp=1554366469041&key=票申密钥' | openssl dgst -sha256

(the last in a UTF-8 locale, so the secret is hashed as its UTF-8 bytes; `xxd` showed e7 a5 a8 for 票).
OpenSSL prints lower-case hex; the vendor's rule upper-cases it, so the values below are upper-cased.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Vector", "VECTORS", "VENDOR"]


class Vector(NamedTuple):
    params: dict[str, str]
    secret: str
    signing_string: str
    sign: str


def _vector(sign_type: str, secret: str, sign: str) -> Vector:
    params = {"appId": "12345678", "nonceStr": "b7c0ebd06e66454b867e73d8400ff882", "signType": sign_type,
              "timestamp": "1554366469041"}
    text = f"appId=12345678&nonceStr=b7c0ebd06e66454b867e73d8400ff882&signType={sign_type}&timestamp=1554366469041"
    return Vector(params, secret, f"{text}&key={secret}", sign)


VENDOR = _vector("MD5", "abcdef", "8AED3DCC696D89D628AA62719A66FBED")
VECTORS = {
    "vendor MD5": VENDOR,
    "openssl SHA1": _vector("SHA1", "abcdef", "0D8EF728821E0B97B58C939F25B16A2F904381A3"),
    "openssl SHA256": _vector("SHA256", "abcdef", "2C01E4D640643F2AEB3013271A6A08382C0F46A741BA5B295B978FE9ECB848B8"),
    "openssl SHA256, UTF-8 secret": _vector(
        "SHA256", "票申密钥", "F800C241DE9AA25B4CDBFB2011C8F732C257E2A8347B45C147D66D999BC7CAD4"),
}
