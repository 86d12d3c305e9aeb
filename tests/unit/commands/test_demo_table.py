"""`fapiao demo`'s table at 80 columns: serials and statuses whole, reasons whole below it."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Console

from fapiao.commands.demo import results_table
from fapiao.schemas.records import Finding, InvoiceInfo, InvoiceResult, Severity, Status

AT = datetime(2024, 3, 11, tzinfo=timezone.utc)
REASON = "the total amount is not the sum of the line amounts, and this reason goes on for a good while longer"


def rendered(width: int, count: int = 20) -> tuple[str, list[dict[str, str]], dict[str, InvoiceResult]]:
    requests = [{"serial": f"ERP-LONG-SERIAL-2024-{n:08d}", "provider": ("kingdee", "yipiaoyun")[n % 2],
                 "invoice_type": "electronic_special"} for n in range(count)]
    results: dict[str, InvoiceResult] = {}
    for n, request in enumerate(requests):
        serial = request["serial"]
        if n % 3 == 0:
            results[serial] = InvoiceResult(serial, Status.ISSUED, AT, invoice=InvoiceInfo(number=f"2444{n:016d}"))
        elif n % 3 == 1:
            results[serial] = InvoiceResult(serial, Status.REJECTED, AT, errors=(
                Finding("total_mismatch", "total_amount", Severity.ERROR, "合计金额不等于各行金额之和", REASON),
                Finding("invalid_tax_code", "lines[0].tax_code", Severity.ERROR, "税收分类编码无效", "bad code")))
        # n % 3 == 2: still pending
    console = Console(width=width, record=True, color_system=None)
    console.print(results_table(requests, results))
    return console.export_text(), requests, results


def test_every_serial_and_status_is_whole_at_80_columns() -> None:
    text, requests, results = rendered(80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    for request in requests:
        serial = request["serial"]
        status = results[serial].status.value if serial in results else "pending"
        assert any(serial in line and status in line for line in lines), serial


def test_reasons_are_whole_below_the_table_at_80_columns() -> None:
    text, _, results = rendered(80)
    flat = " ".join(text.split())
    for result in results.values():
        if result.status is Status.REJECTED:
            assert f"{result.serial} total_mismatch total_amount: {REASON} (+1)" in flat


def test_nothing_is_cut_at_any_width_from_60_up() -> None:
    for width in (60, 100, 160):
        text, requests, _ = rendered(width, count=4)
        assert all(any(r["serial"] in line for line in text.splitlines()) for r in requests), width
