"""The sandbox's own signature against vectors from outside the code, and what `valid` refuses."""

from __future__ import annotations

import pytest
from yipiaoyun_vectors import VECTORS, VENDOR, Vector

from fapiao.connectors.yipiaoyun.sandbox.signature import signature, signed_core, signing_string, valid


@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_vectors(vector: Vector) -> None:
    assert signing_string(vector.params, vector.secret) == vector.signing_string
    assert signature(vector.params, vector.secret) == vector.sign
    assert valid({**vector.params, "sign": vector.sign}, vector.secret)


def test_only_the_four_core_names_are_signed_and_empty_values_are_left_out() -> None:
    business = {"applicationNo": "X1", "userId": "u1", "accessKey": "POS001", "accessSecret": "ACTIVE001",
                "orderList": [], "sign": "whatever"}
    assert signature({**VENDOR.params, **business}, VENDOR.secret) == VENDOR.sign
    assert signing_string({**VENDOR.params, "nonceStr": ""}, "k") == (
        "appId=12345678&signType=MD5&timestamp=1554366469041&key=k")


@pytest.mark.parametrize("change", [
    {"sign": VENDOR.sign.lower()},  # the vendor's rule says upper-case hex
    {"sign": "0" * 32},
    {"sign": None},
    {"sign": "非ASCII"},
    {"timestamp": "1554366469042"},
    {"nonceStr": ""},  # required: left out of the string, but the request is still refused
    {"appId": None},
    {"signType": "md5"},
    {"signType": "SHA512"},
])
def test_valid_refuses(change: dict[str, str | None]) -> None:
    params = {**VENDOR.params, "sign": VENDOR.sign, **change}
    assert not valid({k: v for k, v in params.items() if v is not None}, VENDOR.secret)


def test_another_secret_is_refused() -> None:
    assert not valid({**VENDOR.params, "sign": VENDOR.sign}, "abcdeg")


@pytest.mark.parametrize("sign_type", ["MD5", "SHA1", "SHA256"])
def test_signed_core_is_fresh_and_valid(sign_type: str) -> None:
    first, second = signed_core("app", "secret", sign_type), signed_core("app", "secret", sign_type)
    assert first["nonceStr"] != second["nonceStr"] and len(first["nonceStr"]) == 32
    assert first["timestamp"].isdigit() and len(first["timestamp"]) == 13  # milliseconds
    assert first["signType"] == sign_type and valid(first, "secret") and not valid(first, "other")
