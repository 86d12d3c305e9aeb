"""`fapiao validate FILE [--json]`: check JSON-lines invoice requests offline, without a broker.

Each non-blank line is one request. Numbers are parsed as `Decimal` so amounts stay exact. A line that is
not a JSON object is reported as `malformed_request` and the run goes on. Exit status 0 when every line is
valid, 1 otherwise.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Iterator, TextIO

import click
from rich.console import Console
from rich.table import Table

from fapiao.schemas.records import Finding, Severity
from fapiao.streams.validation import check, is_valid

_NOT_JSON = Finding("malformed_request", "", Severity.ERROR, "该行不是合法的 JSON", "the line is not valid JSON")


def _checked(stream: TextIO) -> Iterator[tuple[int, Any, list[Finding]]]:
    """(line number, serial or None, findings) for every non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_float=Decimal)
        except ValueError:  # json.JSONDecodeError
            yield number, None, [_NOT_JSON]
            continue
        _, findings = check(obj)
        yield number, obj.get("serial") if isinstance(obj, dict) else None, findings


def _as_json(serial: Any, findings: list[Finding]) -> str:
    return json.dumps({
        "serial": serial,
        "valid": is_valid(findings),
        "findings": [{"code": f.code, "field": f.field, "severity": f.severity.value,
                      "message_zh": f.message_zh, "message_en": f.message_en} for f in findings],
    }, ensure_ascii=False, default=str)  # default=str: a serial an ERP sent as a number stays readable


def _report(results: Iterator[tuple[int, Any, list[Finding]]], console: Console) -> bool:
    """Print a table of the findings and a summary line for a person; True when every line is valid."""
    table = Table(title="Findings")
    for name in ("line", "serial", "severity", "code", "field"):
        table.add_column(name, no_wrap=True)  # identifiers a person copies: never broken across lines
    table.add_column("message")
    counts = {"valid": 0, "invalid": 0}
    for number, serial, findings in results:
        counts["valid" if is_valid(findings) else "invalid"] += 1
        for f in findings:
            style = "red" if f.severity is Severity.ERROR else "yellow"
            table.add_row(str(number), str(serial or ""), f"[{style}]{f.severity.value}[/]", f.code, f.field,
                          f"{f.message_zh}\n{f.message_en}")
    if table.row_count:
        console.print(table)
    console.print(f"[green]{counts['valid']} valid[/], [red]{counts['invalid']} invalid[/] "
                  f"of {counts['valid'] + counts['invalid']} requests")
    return counts["invalid"] == 0


@click.command("validate")
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"))  # a bad byte must not stop the run
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line instead of a table.")
def command(file: TextIO, as_json: bool) -> None:
    """Validate JSON-lines invoice requests in FILE (- for stdin) against the VAT rules."""
    results = _checked(file)
    if as_json:
        out = click.get_text_stream("stdout")
        all_valid = True
        for _, serial, findings in results:
            all_valid &= is_valid(findings)
            out.write(_as_json(serial, findings) + "\n")
    else:
        all_valid = _report(results, Console())
    raise SystemExit(0 if all_valid else 1)
