"""The rules a red and a red_cancel answer for themselves (no blue needed): what `fapiao validate` says offline.

Expected codes are written out by hand from docs/red-letter.md's table, one request per rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from fapiao.schemas.records import RequestKind
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.validation import check


def a_red(**changes: Any) -> dict[str, Any]:
    red: dict[str, Any] = {
        "serial": "RED-0001", "kind": "red", "original_serial": "BLUE-0001", "red_reason": "02",
        "lines": [{"original_line": 1, "amount": "-40.00", "tax_amount": "-5.20", "quantity": "-2"}],
        "total_amount": "-40.00", "total_tax": "-5.20", "total_with_tax": "-45.20"}
    red.update(changes)
    return {key: value for key, value in red.items() if value is not None}


def codes(shape: dict[str, Any]) -> list[tuple[str, str]]:
    return [(finding.code, finding.field) for finding in check(shape)[1]]


def test_a_partial_return_and_a_whole_one_pass() -> None:
    assert codes(a_red()) == []
    assert codes(a_red(lines=None, total_amount=None, total_tax=None, total_with_tax=None)) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"original_serial": None}, [("missing_field", "original_serial")]),
    ({"red_reason": None}, [("missing_field", "red_reason")]),
    ({"red_reason": "1"}, [("invalid_red_reason", "red_reason")]),
    ({"original_serial": "RED-0001"}, [("red_original_is_self", "original_serial")]),
    ({"provider": "yipiaoyun"}, [("red_not_supported", "provider")]),
    ({"provider": "nuonuo"}, [("provider_unsupported", "provider")]),
    ({"invoice_type": "special"}, [("red_not_supported", "invoice_type")]),
    ({"red_reason": "01"}, [("red_partial_not_allowed", "lines")]),
    ({"red_reason": "04"}, [("red_allowance_quantity", "lines[0].quantity")]),
    ({"lines": [{"original_line": 1, "amount": "40.00", "tax_amount": "-5.20"}]},
     [("total_amount_mismatch", "total_amount"), ("red_line_sign", "lines[0].amount")]),
    ({"lines": [{"original_line": 1, "amount": "-40.00", "tax_amount": "5.20"}]},
     [("total_tax_mismatch", "total_tax"), ("red_line_sign", "lines[0].tax_amount")]),
    ({"lines": [{"original_line": 1, "amount": "-20.00", "tax_amount": "-2.60"},
                {"original_line": 1, "amount": "-20.00", "tax_amount": "-2.60"}]},
     [("red_line_repeated", "lines[1].original_line")]),
    ({"total_with_tax": "-45.21"}, [("total_with_tax_mismatch", "total_with_tax")]),
    ({"lines": None, "total_amount": "40.00", "total_tax": "-5.20", "total_with_tax": "34.80"},
     [("red_line_sign", "total_amount"), ("red_line_sign", "total_with_tax")]),
])
def test_each_rule_names_its_field(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert codes(a_red(**changes)) == expected


def test_a_red_line_must_name_its_blue_line_and_lines_need_totals() -> None:
    found = codes(a_red(lines=[{"amount": "-1.00", "tax_amount": "0"}], total_amount=None))
    assert ("missing_field", "lines[0].original_line") in found and ("missing_field", "total_amount") in found
    assert codes(a_red(lines=[{"original_line": 0, "amount": "-1.00", "tax_amount": "0"}])) == [
        ("invalid_line_number", "lines[0].original_line")]


def test_a_red_cancel_needs_only_the_red_it_withdraws() -> None:
    request, findings = check({"serial": "CANCEL-1", "kind": "red_cancel", "original_serial": "RED-0001"})
    assert findings == [] and request is not None and request.kind is RequestKind.RED_CANCEL
    assert codes({"serial": "CANCEL-1", "kind": "red_cancel"}) == [("missing_field", "original_serial")]


def test_an_unknown_kind_is_the_only_finding() -> None:
    assert codes({"serial": "X1", "kind": "purple"}) == [("invalid_kind", "kind")]


def test_a_blue_without_kind_keeps_its_fingerprint() -> None:
    """Requests from before reds existed: no kind means blue, and the stored fingerprints still match."""
    from fapiao.samples import valid_request

    shape = valid_request("B1", "kingdee")
    plain, _ = parse_request(shape)
    explicit, _ = parse_request({**shape, "kind": "blue"})
    assert plain is not None and explicit is not None and plain.kind is RequestKind.BLUE
    assert fingerprint(plain) == fingerprint(explicit)
    # computed by the code of efb1015, before requests had a kind: rows written then still match
    assert fingerprint(plain) == "6e97ffd7e0b1d8fd9b576fb81701ffc02200bdd9b3d9c237d1b8d722a949e872"
