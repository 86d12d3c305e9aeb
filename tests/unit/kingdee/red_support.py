"""Hand-written red orders against one blue 数电专票 of two lines, for the Kingdee red-letter unit tests.

The blue (BLUE-0001, number 24952000000028787793, issued 2024-03-11 12:06:51):
    line 1  办公用品     13 %   10 件 × 20.00  = 200.00, tax 26.00
    line 2  信息技术服务  6 %    1 项 × 100.00 = 100.00, tax  6.00
    totals 300.00 + 32.00 = 332.00
"""

from __future__ import annotations

from decimal import Decimal as D

from fapiao.schemas.records import InvoiceInfo, InvoiceRequest, Line, Party, RedForm, RedLine, RedOrder, RequestKind

SELLER = Party(name="深圳市示例科技有限公司", tax_id="91440300MA5G9GK78Y")
BUYER = Party(name="示例采购方有限公司", tax_id="91440300358768292H", kind="company")
BLUE_INVOICE = InvoiceInfo(number="24952000000028787793", issued_at="2024-03-11 12:06:51",
                           total_amount=D("300.00"), total_tax=D("32.00"))
FORM = RedForm(number="44011222071003100064", uuid="a35494ab1e7f49e59ae30be9ac321cb5", status="01")


def office(amount: str, tax: str, quantity: str | None) -> Line:
    """A red line taking back part of blue line 1 (办公用品), as the grant describes it: negative."""
    return Line(name="办公用品", tax_code="1060511020000000000", tax_rate=D("0.13"), amount=D(amount),
                tax_amount=D(tax), quantity=D(quantity) if quantity else None, unit_price=D("20.00"), unit="件",
                specification="A4", original_line=1)


def service(amount: str, tax: str, quantity: str | None) -> Line:
    """A red line taking back part of blue line 2 (信息技术服务)."""
    return Line(name="信息技术服务", tax_code="3040201010000000000", tax_rate=D("0.06"), amount=D(amount),
                tax_amount=D(tax), quantity=D(quantity) if quantity else None, unit_price=D("100.00"), unit="项",
                original_line=2)


def red(serial: str, reason: str, lines: tuple[Line, ...], taken: tuple[RedLine, ...], whole: bool,
        invoice_type: str = "digital_special", seller: Party | None = SELLER) -> RedOrder:
    amount = sum((line.amount for line in lines), D(0))
    tax = sum((line.tax_amount for line in lines), D(0))
    request = InvoiceRequest(serial=serial, provider="kingdee", invoice_type=invoice_type, seller=seller, buyer=BUYER,
                             lines=lines, total_amount=amount, total_tax=tax, total_with_tax=amount + tax,
                             kind=RequestKind.RED, original_serial="BLUE-0001", red_reason=reason)
    return RedOrder(request=request, original_serial="BLUE-0001", original_invoice=BLUE_INVOICE, reason=reason,
                    lines=taken, whole=whole)


# 01 开票有误: all of the blue.
WHOLE = red("RED-0001", "01", (office("-200.00", "-26.00", "-10"), service("-100.00", "-6.00", "-1")),
            (RedLine(1, D("200.00"), D("26.00"), D("10")), RedLine(2, D("100.00"), D("6.00"), D("1"))), whole=True)
# 02 销货退回: 2 of the 10 件 come back.
RETURN = red("RED-0002", "02", (office("-40.00", "-5.20", "-2"),), (RedLine(1, D("40.00"), D("5.20"), D("2")),),
             whole=False)
# 04 销售折让: 10.00 off the service; an allowance names no quantity and no price.
ALLOWANCE = red("RED-0004", "04", (service("-10.00", "-0.60", None),), (RedLine(2, D("10.00"), D("0.60")),),
                whole=False)
# 03 服务中止 taking back all that remained after RETURN: whole, but not all of the blue.
REST = red("RED-0003", "03", (office("-160.00", "-20.80", "-8"), service("-100.00", "-6.00", "-1")),
           (RedLine(1, D("160.00"), D("20.80"), D("8")), RedLine(2, D("100.00"), D("6.00"), D("1"))), whole=True)
