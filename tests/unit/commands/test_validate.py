"""`fapiao validate`: the real console script on a JSON-lines file, read back line by line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fapiao.samples import invalid_request, valid_request

FAPIAO = Path(sys.executable).with_name("fapiao")


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FAPIAO), "validate", *args], input=stdin, capture_output=True, text=True,
                          encoding="utf-8", timeout=60, check=False,
                          env={**os.environ, "COLUMNS": "200"})  # a wide table: codes are never cut


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_json_output_one_object_per_line_in_order(tmp_path: Path) -> None:
    broken = invalid_request("BAD1", "kingdee")
    broken["total_with_tax"] = "0.01"  # whatever else the sample broke, the header total is now wrong too
    requests = _write(tmp_path / "requests.jsonl",
                      json.dumps(valid_request("OK1", "kingdee")),
                      "",  # blank lines are skipped
                      "this is not json",
                      json.dumps(broken, ensure_ascii=False),
                      "[1, 2]",
                      json.dumps(valid_request("OK2", "yipiaoyun"), ensure_ascii=False))
    result = _run(str(requests), "--json")
    assert result.returncode == 1, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["serial"], o["valid"]) for o in out] == [
        ("OK1", True), (None, False), ("BAD1", False), (None, False), ("OK2", True)]
    assert out[0]["findings"] == []
    assert [f["code"] for f in out[1]["findings"]] == ["malformed_request"]
    assert ("total_with_tax_mismatch", "total_with_tax", "error") in [
        (f["code"], f["field"], f["severity"]) for f in out[2]["findings"]]
    assert set(out[2]["findings"][0]) == {"code", "field", "severity", "message_zh", "message_en"}
    assert [f["code"] for f in out[3]["findings"]] == ["malformed_request"]


def test_exact_decimals_from_stdin_and_exit_zero_when_all_valid() -> None:
    request = valid_request("OK3", "kingdee")
    raw = json.dumps(request)
    for key in ("total_amount", "total_tax", "total_with_tax"):
        # JSON numbers, not strings: valid only if read as Decimal (parse_request refuses a float).
        raw = raw.replace(f'"{key}": "{request[key]}"', f'"{key}": {request[key]}')
    assert '"total_tax": "' not in raw
    result = _run("-", "--json", stdin=raw + "\n")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout) == {"serial": "OK3", "valid": True, "findings": []}


def test_table_for_people(tmp_path: Path) -> None:
    broken = valid_request("BAD2", "kingdee")
    broken["lines"][0]["tax_code"] = "30402"
    result = _run(str(_write(tmp_path / "r.jsonl", json.dumps(broken, ensure_ascii=False), "{")))
    assert result.returncode == 1
    assert "tax_code_format" in result.stdout and "malformed_request" in result.stdout
    assert "0 valid, 2 invalid of 2 requests" in result.stdout
