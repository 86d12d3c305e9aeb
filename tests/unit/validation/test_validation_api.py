"""The validation package's surface: exports, check/is_valid, warnings, order, samples, and its purity."""

from __future__ import annotations

import ast
import random
import sys
from pathlib import Path

import pytest

import fapiao.streams.validation as validation
from fapiao.samples import invalid_request, valid_request
from fapiao.schemas.records import INVOICE_TYPES, PROVIDERS, Severity
from fapiao.streams.validation import check, is_valid, validate
from fapiao.streams.validation.providers import PROFILES
from fapiao.streams.validation.taxpayer import uscc_check_digit


def test_exports() -> None:
    assert sorted(validation.__all__) == ["check", "is_valid", "validate"]


def test_profiles_cover_every_provider_and_kingdee_every_type() -> None:
    assert set(PROFILES) == set(PROVIDERS)
    assert set(PROFILES["kingdee"].invoice_types) == set(INVOICE_TYPES)
    assert dict(PROFILES["yipiaoyun"].invoice_types) == {"special": "s", "normal": "c", "electronic_normal": "ce"}


@pytest.mark.parametrize(("code17", "digit"), [
    ("91440300MA5G9GK78", "Y"), ("91310000MA1FL1234", "Q"), ("91440300358768292", "H"),
    ("00000000000000000", "0"),  # sum 0: 31 - 0 = 31, which is written '0'
    ("9144030035876829I", None),  # I is not in the GB 32100 charset
])
def test_uscc_check_digit(code17: str, digit: str | None) -> None:
    assert uscc_check_digit(code17) == digit


def test_check_reports_structure_without_validating() -> None:
    request, findings = check([1, 2])
    assert request is None and [(f.code, f.field) for f in findings] == [("malformed_request", "")]
    request, findings = check({"serial": "X"})
    assert request is None and {f.code for f in findings} == {"missing_field"}


def test_remark_over_legacy_limit_is_only_a_warning_on_digital_invoices(build) -> None:
    _, findings = check(build({"invoice_type": "digital_special", "remark": "中" * 116}))
    assert [(f.code, f.field, f.severity) for f in findings] == [("field_too_long", "remark", Severity.WARNING)]
    assert is_valid(findings)
    assert not is_valid(check(build({"invoice_type": "special", "remark": "中" * 116}))[1])


def test_findings_come_in_rule_order_and_are_deterministic(build) -> None:
    request, _ = check(build({"lines[0].tax_code": "1", "serial": "a b", "total_with_tax": "0", "seller.tax_id": "X"}))
    assert request is not None
    codes = [f.code for f in validate(request)]
    assert codes == ["serial_format", "tax_id_format", "tax_code_format", "total_with_tax_mismatch"]
    assert validate(request) == validate(request)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_samples_keep_passing_and_failing(provider: str) -> None:
    for seed in range(40):
        for invoice_type in PROFILES[provider].invoice_types:
            sample = valid_request(f"S{seed}", provider, random.Random(seed), invoice_type=invoice_type)
            assert check(sample)[1] == [], (invoice_type, seed)
        assert not is_valid(check(invalid_request(f"S{seed}", provider, random.Random(seed)))[1])


def test_the_core_imports_only_the_stdlib_and_the_schemas() -> None:
    package = Path(validation.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = name.startswith(("fapiao.schemas", "fapiao.streams.validation")) or (
                    top != "fapiao" and top in sys.stdlib_module_names) or top == "__future__"
                assert allowed, f"{module.name} imports {name}"
