"""The sandbox's exact-decimal JSON: checked against the standard library's json and exact Decimal equality."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.connectors.yipiaoyun.sandbox.exact_json import read, write

_scalars = st.none() | st.booleans() | st.integers() | st.text()
_plain = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
                      max_leaves=30)
_money = st.decimals(allow_nan=False, allow_infinity=False)


@given(_plain)
def test_without_decimals_it_reads_back_as_json_does(value: object) -> None:
    assert json.loads(write(value)) == value


@given(_money)
def test_a_decimal_keeps_its_digits_and_exponent(amount: Decimal) -> None:
    back = read(write({"amount": amount}))["amount"]
    assert back == amount and str(back) == str(amount)  # 24.80 stays 24.80, not 24.8
    # and a float reader sees the same number (json reads a whole one as an int, past 2**53 too: compare as floats)
    assert float(back) == float(json.loads(write(amount)))


def test_shapes() -> None:
    assert write({"名称": "住宿费", "n": 2, "p": Decimal("24.80"), "l": (Decimal("1E+2"), None, True)}) == (
        '{"名称":"住宿费","n":2,"p":24.80,"l":[1E+2,null,true]}'.encode())
    assert read(b'{"a": 0.1, "b": 3}') == {"a": Decimal("0.1"), "b": 3}
    assert type(read(b"3")) is int


@pytest.mark.parametrize("value", [0.1, Decimal("NaN"), Decimal("Infinity"), object()])
def test_floats_and_non_numbers_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        write({"x": value})


@pytest.mark.parametrize("body", [b"{", b"\xff", b""])
def test_not_json_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        read(body)
