"""`fapiao audit --csv FILE`: one row per requested serial, for a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from fapiao.audit.counts import Summary
from fapiao.audit.model import Violation

__all__ = ["write_csv"]

COLUMNS = ("serial", "status", "provider", "seller_tax_id", "invoice_type", "invoice_number", "total_amount",
           "total_tax", "requested_at", "finished_at", "latency_s", "violations")


def write_csv(path: Path, summary: Summary, violations: list[Violation]) -> None:
    """Write the rows; `violations` names every invariant a serial breaks. Decimals keep their places."""
    broken: dict[str, list[str]] = {}
    for violation in violations:
        for serial in violation.serials:
            broken.setdefault(serial, []).append(violation.name)
    with path.open("w", newline="", encoding="utf-8-sig") as out:  # with a BOM, Excel reads the UTF-8
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in summary.rows:
            writer.writerow([
                row.serial, row.status, row.provider or "", row.seller_tax_id or "", row.invoice_type or "",
                row.invoice_number or "", row.total_amount if row.total_amount is not None else "",
                row.total_tax if row.total_tax is not None else "", row.requested_at.isoformat(),
                row.finished_at.isoformat() if row.finished_at else "",
                f"{row.latency_s:.3f}" if row.latency_s is not None else "", " ".join(broken.get(row.serial, [])),
            ])
