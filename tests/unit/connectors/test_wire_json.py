"""`wire.text` writes what json.dumps writes, except Decimals as their own digits and floats refused."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fapiao.connectors.wire import loads, text

_scalars = st.none() | st.booleans() | st.integers() | st.text()
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
                     max_leaves=30)
_money = st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=-10**12, max_value=10**12)


@given(_json)
def test_without_money_it_is_compact_json_dumps(value: object) -> None:
    assert text(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@given(st.dictionaries(st.text(), _money | _scalars, max_size=8))
def test_money_reads_back_exactly(value: dict) -> None:
    assert loads(text(value)) == value


def test_tuples_are_arrays_and_keys_are_text() -> None:
    assert text({1: (Decimal("2.50"), "a")}) == '{"1":[2.50,"a"]}'
