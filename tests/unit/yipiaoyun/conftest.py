"""Fixtures for the 票申/易票云 unit tests: a small, fully known request to map and send."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable

import pytest

from fapiao.schemas.records import InvoiceRequest, Line, Party

SELLER = Party(name="深圳市示例科技有限公司", tax_id="91440300MA5G9GK78Y", address="深圳市南山区", phone="0755-86000000",
               bank="招商银行", bank_account="755900000000001")
BUYER = Party(name="示例采购方有限公司", kind="company", tax_id="91440300358768292H", email="ap@example.com")
LINE = Line(name="住宿费", tax_code="3070401000000000000", tax_rate=Decimal("0.06"), amount=Decimal("23.40"),
            tax_amount=Decimal("1.40"), quantity=Decimal("2"), unit="天", specification="标间")


@pytest.fixture
def line() -> Line:
    """The one line of `invoice_request()`: 23.40 + 1.40 tax, 2 days of 住宿费 at 12.40 tax-inclusive."""
    return LINE


@pytest.fixture
def invoice_request() -> Callable[..., InvoiceRequest]:
    """`invoice_request(**changes)`: a valid yipiaoyun request (total 24.80 tax-inclusive) with changes applied."""

    def make(lines: tuple[Line, ...] = (LINE,), **changes: Any) -> InvoiceRequest:
        amount = sum((line.amount for line in lines), Decimal(0))
        tax = sum((line.tax_amount for line in lines), Decimal(0))
        request = InvoiceRequest(
            serial="YP20260001", provider="yipiaoyun", invoice_type="normal", seller=SELLER, buyer=BUYER,
            lines=lines, total_amount=amount, total_tax=tax, total_with_tax=amount + tax, drawer="李四",
            erp_order_no="SO-1", options={"store_no": "S001"},
        )
        return replace(request, **changes)

    return make
