"""The signature: the vendor's worked MD5 vector, each hash, empty values, case-sensitive order, verify."""

from __future__ import annotations

import hashlib

import pytest

from fapiao.connectors.yipiaoyun.signing import SIGNED_KEYS, canonical, core_params, sign, verify

VECTOR = {"appId": "12345678", "nonceStr": "b7c0ebd06e66454b867e73d8400ff882", "signType": "MD5",
          "timestamp": "1554366469041"}
VECTOR_STRING = "appId=12345678&nonceStr=b7c0ebd06e66454b867e73d8400ff882&signType=MD5&timestamp=1554366469041&key=abcdef"


def test_vendor_md5_vector() -> None:
    assert canonical(VECTOR, "abcdef") == VECTOR_STRING
    assert sign(VECTOR, "abcdef", "MD5") == "8AED3DCC696D89D628AA62719A66FBED"


@pytest.mark.parametrize("sign_type, digest", [("MD5", hashlib.md5), ("SHA1", hashlib.sha1), ("SHA256", hashlib.sha256)])
def test_each_hash_is_upper_hex_of_the_canonical_string(sign_type: str, digest: type) -> None:
    params = {**VECTOR, "signType": sign_type}
    expected = digest(canonical(params, "abcdef").encode()).hexdigest().upper()
    assert sign(params, "abcdef", sign_type) == expected
    assert sign(params, "abcdef", sign_type.lower()) == expected


def test_empty_values_and_unsigned_params_are_left_out() -> None:
    params = {**VECTOR, "nonceStr": "", "userId": "u1", "accessKey": "POS001", "applicationNo": "X1", "sign": "S"}
    assert canonical(params, "k") == "appId=12345678&signType=MD5&timestamp=1554366469041&key=k"


def test_names_sort_case_sensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    # ASCII order puts every upper-case letter before any lower-case one: "Zeta" < "appId".
    monkeypatch.setattr("fapiao.connectors.yipiaoyun.signing.SIGNED_KEYS", SIGNED_KEYS | {"Zeta"})
    assert canonical({**VECTOR, "Zeta": "z"}, "k").startswith("Zeta=z&appId=")


def test_signed_key_set_follows_the_worked_example() -> None:
    assert SIGNED_KEYS == {"appId", "nonceStr", "timestamp", "signType"}


def test_unknown_sign_type_is_refused() -> None:
    with pytest.raises(ValueError, match="signType"):
        sign(VECTOR, "k", "SHA512")


@pytest.mark.parametrize("sign_type", ["MD5", "SHA1", "SHA256"])
def test_core_params_are_fresh_and_verify(sign_type: str) -> None:
    first, second = core_params("app", "secret", sign_type), core_params("app", "secret", sign_type)
    assert first["nonceStr"] != second["nonceStr"]
    assert len(first["timestamp"]) == 13  # milliseconds
    assert verify(first, "secret") and verify(first, "secret", sign_type)
    assert not verify(first, "other-secret")


def test_verify_is_false_when_missing_wrong_or_of_another_type() -> None:
    signed = {**VECTOR, "sign": "8AED3DCC696D89D628AA62719A66FBED"}
    assert verify(signed, "abcdef", "MD5")
    assert verify({**signed, "sign": signed["sign"].lower()}, "abcdef")
    assert not verify({**signed, "sign": "0" * 32}, "abcdef")
    assert not verify({k: v for k, v in signed.items() if k != "sign"}, "abcdef")
    assert not verify({**signed, "timestamp": "1554366469042"}, "abcdef")
    assert not verify({k: v for k, v in signed.items() if k != "nonceStr"}, "abcdef")
    assert not verify(signed, "abcdef", "SHA256")
    assert not verify({**signed, "sign": "非ASCII"}, "abcdef")

