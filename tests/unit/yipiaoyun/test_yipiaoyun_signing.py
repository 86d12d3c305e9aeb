"""The signature: vectors from outside the code (yipiaoyun_vectors), empty values, case-sensitive order, verify."""

from __future__ import annotations

import pytest
from yipiaoyun_vectors import VECTORS, VENDOR, Vector

from fapiao.connectors.yipiaoyun.signing import SIGNED_KEYS, canonical, core_params, sign, verify

VECTOR = VENDOR.params


@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_vectors(vector: Vector) -> None:
    sign_type = vector.params["signType"]
    assert canonical(vector.params, vector.secret) == vector.signing_string
    assert sign(vector.params, vector.secret, sign_type) == vector.sign
    assert sign(vector.params, vector.secret, sign_type.lower()) == vector.sign


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
    signed = {**VECTOR, "sign": VENDOR.sign}
    assert verify(signed, "abcdef", "MD5")
    assert verify({**signed, "sign": signed["sign"].lower()}, "abcdef")
    assert not verify({**signed, "sign": "0" * 32}, "abcdef")
    assert not verify({k: v for k, v in signed.items() if k != "sign"}, "abcdef")
    assert not verify({**signed, "timestamp": "1554366469042"}, "abcdef")
    assert not verify({k: v for k, v in signed.items() if k != "nonceStr"}, "abcdef")
    assert not verify(signed, "abcdef", "SHA256")
    assert not verify({**signed, "sign": "非ASCII"}, "abcdef")

