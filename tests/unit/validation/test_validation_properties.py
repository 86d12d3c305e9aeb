"""Property tests: consistent requests pass; one corrupted amount, tax, rate or total fails at that field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fapiao.schemas.records import PROVIDERS
from fapiao.streams.validation.providers import PROFILES

CENT = Decimal("0.01")
# Rates no provider allows, to corrupt a line's rate with.
FOREIGN_RATES = ("0.02", "0.04", "0.07", "0.11", "0.17", "0.2")


@st.composite
def lines(draw: st.DrawFn, provider: str) -> dict[str, str]:
    """A line whose amount is quantity × price and whose tax is round_half_up(amount × rate, 2)."""
    quantity = Decimal(draw(st.integers(1, 1000)))
    unit_price = Decimal(draw(st.integers(1, 10_000_000))) * CENT
    rate = draw(st.sampled_from(sorted(PROFILES[provider].tax_rates)))
    amount = quantity * unit_price
    line = {"name": "信息技术服务", "tax_code": "3040201010000000000", "tax_rate": str(rate), "amount": str(amount),
            "tax_amount": str((amount * rate).quantize(CENT, ROUND_HALF_UP)), "quantity": str(quantity),
            "unit_price": str(unit_price), "unit": "项"}
    if rate == 0:
        line["policy"] = "03"  # 免税: a zero rate must say why
    return line


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, list[dict[str, str]]]:
    provider = draw(st.sampled_from(PROVIDERS))
    return provider, draw(st.lists(lines(provider), min_size=1, max_size=20))


def _add(value: str, delta: Decimal) -> str:
    return str(Decimal(value) + delta)


@settings(max_examples=200, deadline=None)
@given(requests())
def test_consistent_requests_pass(build, errors, drawn: tuple[str, list[dict[str, str]]]) -> None:
    provider, drawn_lines = drawn
    assert errors(build({"lines": drawn_lines}, provider)) == []


@settings(max_examples=200, deadline=None)
@given(requests(), st.data())
def test_one_corruption_fails_at_its_field(build, errors, drawn: tuple[str, list[dict[str, str]]],
                                           data: st.DataObject) -> None:
    provider, drawn_lines = drawn
    request: dict[str, Any] = build({"lines": drawn_lines}, provider)
    i = data.draw(st.integers(0, len(drawn_lines) - 1), label="line")
    line = request["lines"][i]
    what = data.draw(st.sampled_from(("amount", "tax", "rate", "total_amount", "total_tax", "total_with_tax")))
    sign = data.draw(st.sampled_from((1, -1)), label="sign")
    cents = data.draw(st.integers(1, 10**6), label="cents")

    def off(tolerance_cents: int) -> Decimal:
        """A change of more than the tolerance, either way."""
        return Decimal(sign * (cents + tolerance_cents)) * CENT

    if what == "amount":
        line["amount"] = _add(line["amount"], off(1))
        expected = ("line_amount_mismatch", f"lines[{i}].amount")
    elif what == "tax":
        line["tax_amount"] = _add(line["tax_amount"], off(6))
        expected = ("line_tax_mismatch", f"lines[{i}].tax_amount")
    elif what == "rate":
        line["tax_rate"] = data.draw(st.sampled_from(FOREIGN_RATES))
        expected = ("tax_rate_unsupported", f"lines[{i}].tax_rate")
    else:
        request[what] = _add(request[what], off(0))
        expected = (f"{what}_mismatch", what)
    assert expected in errors(request)
