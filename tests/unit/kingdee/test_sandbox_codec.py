"""The sandbox's own JSON and `data` codec against vectors made outside this code base.

Where each vector comes from:
- the AES key of "synthetic-key": the SDK vector quoted in shared/providers.md §1.3, and reproduced with
  `printf synthetic-key | openssl dgst -sha1 -binary | openssl dgst -sha1 -binary | head -c16 | base64`;
- BASE64_DATA: `printf '%s' "$PLAIN" | base64 -w0` (GNU coreutils);
- AES_DATA: Node.js 20 `crypto.createCipheriv("aes-128-gcm", key, iv)` over PLAIN with the nonce
  000102…0b, written as Base64(nonce ‖ ciphertext ‖ getAuthTag());
- VENDOR_QUERY: the 4.1.04 answer example on the vendor's page (providers.md §1.6), trimmed.
"""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from fapiao.connectors.kingdee.sandbox.codec import DataCodec, derive_key, from_json, to_json

PASSWORD = "synthetic-key"
PLAIN = '{"serialNo":"KD-VECTOR-1","buyerName":"示例","amount":2.00,"taxAmount":0.12}'
VALUE = {"serialNo": "KD-VECTOR-1", "buyerName": "示例", "amount": Decimal("2.00"), "taxAmount": Decimal("0.12")}
BASE64_DATA = "eyJzZXJpYWxObyI6IktELVZFQ1RPUi0xIiwiYnV5ZXJOYW1lIjoi56S65L6LIiwiYW1vdW50IjoyLjAwLCJ0YXhBbW91bnQiOjAuMTJ9"
NONCE = bytes(range(12))
AES_DATA = ("AAECAwQFBgcICQoLGuEMuNcZzZSRdULwilIwF1+GLWqDByA2r6v2uzPttG6k1caVKiL9dsWjPDHKC0bmJlbXqCpSxBUDx3N3BRhK11ym"
            "1gw1YQp018FuS3aQiz9gor0sYGRih4NvtIHAPQ==")
VENDOR_QUERY = ('{"errorCode":"0","success":true,"errorMsg":"","data":{"serialNo":"300_20240311134422540_0001",'
                '"invoiceType":"02","invoiceStatus":"0","invoiceNum":"24952000000028787793","totalAmount":9,'
                '"totalTaxAmount":0.54,"includeTaxAmount":9.54,"invoiceDetail":[{"seq":0,"quantity":"1.0000000000000",'
                '"price":"2.0000000000000","amount":2,"includeTaxAmount":2.12,"taxRate":"0.06","taxAmount":0.12}]}}')


def test_key_matches_the_published_vector() -> None:
    assert base64.b64encode(derive_key(PASSWORD)).decode() == "QRV4pRsmj5Vcn3z+fM22Qg=="


def test_base64_data_matches_coreutils() -> None:
    assert DataCodec(None).seal(VALUE) == BASE64_DATA
    assert DataCodec(None).open(BASE64_DATA) == VALUE


def test_aes_data_matches_node_crypto_both_ways() -> None:
    assert DataCodec(PASSWORD, nonce=lambda size: NONCE[:size]).seal(VALUE) == AES_DATA
    assert DataCodec(PASSWORD).open(AES_DATA) == VALUE


def test_aes_refuses_another_password_a_forged_tag_and_plain_base64() -> None:
    forged = bytearray(base64.b64decode(AES_DATA))
    forged[-1] ^= 1
    for codec, sealed in [(DataCodec("other-key"), AES_DATA), (DataCodec(PASSWORD), base64.b64encode(forged).decode()),
                          (DataCodec(PASSWORD), BASE64_DATA), (DataCodec(None), "not base64!")]:
        with pytest.raises(ValueError):
            codec.open(sealed)


def test_a_fresh_nonce_every_time() -> None:
    codec = DataCodec(PASSWORD)
    assert codec.seal(VALUE) != codec.seal(VALUE)


def test_the_vendor_example_reads_as_decimals_and_writes_back_unchanged() -> None:
    parsed = from_json(VENDOR_QUERY)
    assert parsed["data"]["totalTaxAmount"] == Decimal("0.54") and type(parsed["data"]["totalAmount"]) is int
    assert to_json(parsed) == VENDOR_QUERY


def test_floats_are_refused_and_decimals_written_with_their_own_digits() -> None:
    assert to_json({"a": Decimal("0.10"), "b": Decimal("1E+2"), "c": [Decimal("-0.01")], "d": None, "e": True}) \
        == '{"a":0.10,"b":100,"c":[-0.01],"d":null,"e":true}'
    with pytest.raises(TypeError):
        to_json({"amount": 24.8})
    with pytest.raises(ValueError):
        to_json(Decimal("NaN"))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=-10**14, max_value=10**14),
       st.text())
def test_amounts_and_text_survive_the_round_trip(amount: Decimal, text: str) -> None:
    value = {"amount": amount, "text": text}
    assert from_json(to_json(value)) == value
    assert DataCodec(PASSWORD).open(DataCodec(PASSWORD).seal(value)) == value
