"""Every rule: for each, a request it passes and one it rejects, with exactly the errors expected."""

from __future__ import annotations

from typing import Any

import pytest

PASS: list[tuple[str, str, dict[str, Any]]] = []
FAIL: list[tuple[str, str, dict[str, Any], list[tuple[str, str]]]] = []


def rule_cases(name: str, passing: dict[str, Any], failing: dict[str, Any], *expected: tuple[str, str],
               provider: str = "kingdee") -> None:
    """Register one passing and one failing request (as changes to the provider's base) for a rule."""
    PASS.append((name, provider, passing))
    FAIL.append((name, provider, failing, list(expected)))


def line(amount: str, tax: str, rate: str = "0.06", **extra: str) -> dict[str, str]:
    return {"name": "信息技术服务", "tax_code": "3040201010000000000", "tax_rate": rate, "amount": amount,
            "tax_amount": tax, **extra}


HAN = "中"  # 2 GBK bytes

# Header: serial, provider and invoice type.
rule_cases("serial_length", {"serial": "A" * 30}, {"serial": "A" * 31}, ("serial_length", "serial"))
rule_cases("serial_format", {"serial": "Ab_1-9"}, {"serial": "AB 1"}, ("serial_format", "serial"))
rule_cases("provider_unsupported", {"provider": "kingdee"}, {"provider": "nuonuo"}, ("provider_unsupported", "provider"))
rule_cases("invoice_type_unsupported", {"invoice_type": "roll"}, {"invoice_type": "paper"},
           ("invoice_type_unsupported", "invoice_type"))

# Taxpayer IDs.
rule_cases("tax_id_format_length", {"seller.tax_id": "440300123456789"}, {"seller.tax_id": "4403001234567890"},
           ("tax_id_format", "seller.tax_id"))
rule_cases("tax_id_format_chars", {"buyer.tax_id": "44030012345678901234"}, {"buyer.tax_id": "91440300ma5g9gk78y"},
           ("tax_id_format", "buyer.tax_id"))
rule_cases("tax_id_checksum_seller", {"seller.tax_id": "91310000MA1FL1234Q"}, {"seller.tax_id": "91440300MA5G9GK78X"},
           ("tax_id_checksum", "seller.tax_id"))
rule_cases("tax_id_checksum_buyer", {"buyer.tax_id": "91440300358768292H"}, {"buyer.tax_id": "91440300358768292A"},
           ("tax_id_checksum", "buyer.tax_id"))
rule_cases("tax_id_checksum_skipped_for_individuals",  # a 身份证 number is not a USCC
           {"buyer.kind": "individual", "buyer.tax_id": "11010519491231002X"},
           {"buyer.kind": "company", "buyer.tax_id": "11010519491231002X"}, ("tax_id_checksum", "buyer.tax_id"))
rule_cases("seller_tax_id_required", {}, {"seller.tax_id": None}, ("seller_tax_id_required", "seller.tax_id"))
rule_cases("buyer_tax_id_required_company", {"buyer.kind": "individual", "buyer.tax_id": None},
           {"buyer.tax_id": None}, ("buyer_tax_id_required", "buyer.tax_id"))
rule_cases("buyer_tax_id_required_special", {"invoice_type": "digital_special"},
           {"invoice_type": "digital_special", "buyer.kind": "individual", "buyer.tax_id": None},
           ("buyer_tax_id_required", "buyer.tax_id"))

# Names, phones, legacy 专票 buyer details.
rule_cases("name_required", {"seller.name": "A"}, {"seller.name": "  "}, ("name_required", "seller.name"))
rule_cases("name_forbidden_characters", {"buyer.name": "A&B 公司"}, {"buyer.name": "A<B>公司"},
           ("name_forbidden_characters", "buyer.name"))
rule_cases("goods_name_forbidden_characters", {"lines[0].name": "*信息技术服务*软件"}, {"lines[0].name": "<b>软件"},
           ("name_forbidden_characters", "lines[0].name"))
rule_cases("phone_format", {"buyer.phone": "+86 (020) 3800-0000"}, {"buyer.phone": "020-3800#1"},
           ("phone_format", "buyer.phone"))
rule_cases("mobile_format", {"buyer.mobile": "13800000000"}, {"buyer.mobile": "138-0000-000x"},
           ("phone_format", "buyer.mobile"))
rule_cases("buyer_details_required", {"invoice_type": "special"}, {"invoice_type": "special", "buyer.bank": None},
           ("buyer_details_required", "buyer.bank"))

# Lines: count, tax code, rate and policy.
rule_cases("lines_required", {"lines": [line("1.00", "0.06")]}, {"lines": []}, ("lines_required", "lines"))
rule_cases("too_many_lines", {"lines": [line("1.00", "0.06")] * 2000}, {"lines": [line("1.00", "0.06")] * 2001},
           ("too_many_lines", "lines"))
rule_cases("tax_code_format", {"lines[0].tax_code": "1060511020000000000"}, {"lines[0].tax_code": "30402"},
           ("tax_code_format", "lines[0].tax_code"))
rule_cases("tax_code_ascii_digits", {}, {"lines[0].tax_code": "３" * 19}, ("tax_code_format", "lines[0].tax_code"))
rule_cases("tax_rate_unsupported", {"lines[1].tax_rate": "0.015", "lines[1].tax_amount": "0.47"},
           {"lines[1].tax_rate": "0.17", "lines[1].tax_amount": "5.36"}, ("tax_rate_unsupported", "lines[1].tax_rate"))
rule_cases("zero_rate_policy_required", {"lines[1]": line("31.50", "0.00", "0", policy="03")},
           {"lines[1]": line("31.50", "0.00", "0")}, ("zero_rate_policy_required", "lines[1].policy"))
rule_cases("zero_rate_policy_zero_rate", {"lines[1]": line("31.50", "0.00", "0", policy="zero_rate")},
           {"lines[1]": line("31.50", "0.00", "0", policy="01")}, ("zero_rate_policy_required", "lines[1].policy"))
rule_cases("policy_unknown", {"lines[0].policy": "18"}, {"lines[0].policy": "19"}, ("policy_unknown", "lines[0].policy"))
rule_cases("policy_rate_mismatch", {"lines[0].policy": "01"}, {"lines[0].policy": "04"},
           ("policy_rate_mismatch", "lines[0].policy"))

# Discount lines.
DISCOUNTED = line("100.00", "6.00", kind="discounted")
DISCOUNT = line("-10.00", "-0.60", kind="discount")
rule_cases("discount_not_negative", {"lines": [DISCOUNTED, DISCOUNT]},
           {"lines": [DISCOUNTED, {**DISCOUNT, "amount": "0.00", "tax_amount": "0.00"}]},
           ("discount_not_negative", "lines[1].amount"))
rule_cases("discount_without_line", {"lines": [DISCOUNTED, DISCOUNT]}, {"lines": [line("100.00", "6.00"), DISCOUNT]},
           ("discount_without_line", "lines[1].kind"))
rule_cases("discount_line_missing", {"lines": [DISCOUNTED, DISCOUNT, line("1.00", "0.06")]},
           {"lines": [DISCOUNTED, line("1.00", "0.06")]}, ("discount_line_missing", "lines[0].kind"))
rule_cases("discount_tax_code_mismatch", {"lines": [DISCOUNTED, DISCOUNT]},
           {"lines": [DISCOUNTED, {**DISCOUNT, "tax_code": "1060511020000000000"}]},
           ("discount_tax_code_mismatch", "lines[1].tax_code"))
rule_cases("discount_tax_rate_mismatch", {"lines": [DISCOUNTED, DISCOUNT]},
           {"lines": [DISCOUNTED, {**DISCOUNT, "tax_rate": "0.05", "tax_amount": "-0.50"}]},
           ("discount_tax_rate_mismatch", "lines[1].tax_rate"))
rule_cases("discount_exceeds_line", {"lines": [DISCOUNTED, {**DISCOUNT, "amount": "-100.00", "tax_amount": "-6.00"}]},
           {"lines": [DISCOUNTED, {**DISCOUNT, "amount": "-100.01", "tax_amount": "-6.00"}]},
           ("discount_exceeds_line", "lines[1].amount"))

# Money: precision, signs, tolerances, totals.
rule_cases("amount_precision", {"lines[0].amount": "100.000"}, {"lines[0].amount": "100.001"},
           ("amount_precision", "lines[0].amount"), ("amount_precision", "total_amount"),
           ("amount_precision", "total_with_tax"))
rule_cases("amount_too_large", {"lines": [line("900000000000.00", "54000000000.00")]},
           {"lines": [line("1000000000000.00", "60000000000.00")]},
           ("amount_too_large", "lines[0].amount"), ("amount_too_large", "total_amount"),
           ("amount_too_large", "total_with_tax"))
rule_cases("amount_not_positive", {"lines[0].amount": "0.01", "lines[0].quantity": None, "lines[0].tax_amount": "0.00"},
           {"lines[0].amount": "0.00", "lines[0].quantity": None, "lines[0].tax_amount": "0.00"},
           ("amount_not_positive", "lines[0].amount"))
rule_cases("quantity_not_positive", {"lines[0].quantity": "2.5", "lines[0].unit_price": "40"},
           {"lines[0].quantity": "-2", "lines[0].unit_price": "-50"},
           ("amount_not_positive", "lines[0].quantity"), ("amount_not_positive", "lines[0].unit_price"))
rule_cases("line_amount_mismatch", {"lines[0].unit_price": "50.005"}, {"lines[0].unit_price": "50.01"},
           ("line_amount_mismatch", "lines[0].amount"))
rule_cases("line_tax_mismatch", {"lines[0].tax_amount": "6.06"}, {"lines[0].tax_amount": "6.07"},
           ("line_tax_mismatch", "lines[0].tax_amount"))
rule_cases("tax_deviation_total", {"lines": [line("1.00", "0.01")] * 25}, {"lines": [line("1.00", "0.01")] * 26},
           ("tax_deviation_total", "total_tax"))  # 25 × 0.05 = 1.25 passes, 26 × 0.05 = 1.30 does not
rule_cases("total_amount_mismatch", {"total_amount": "131.50", "total_with_tax": "141.60"},
           {"total_amount": "131.51", "total_with_tax": "141.61"}, ("total_amount_mismatch", "total_amount"))
rule_cases("total_tax_mismatch", {"total_tax": "10.10"}, {"total_tax": "10.11", "total_with_tax": "141.61"},
           ("total_tax_mismatch", "total_tax"))
rule_cases("total_with_tax_mismatch", {"total_with_tax": "141.6"}, {"total_with_tax": "141.59"},
           ("total_with_tax_mismatch", "total_with_tax"))

# GBK lengths.
rule_cases("name_too_long", {"seller.name": HAN * 50}, {"seller.name": HAN * 50 + "A"}, ("field_too_long", "seller.name"))
rule_cases("address_phone_too_long", {"buyer.address": HAN * 54, "buyer.phone": "020-3800000"},
           {"buyer.address": HAN * 55, "buyer.phone": "020-3800000"}, ("field_too_long", "buyer.address"))
rule_cases("bank_account_too_long", {"seller.bank": HAN * 67, "seller.bank_account": "1" * 16},
           {"seller.bank": HAN * 67, "seller.bank_account": "1" * 17}, ("field_too_long", "seller.bank"))
rule_cases("goods_name_too_long", {"lines[0].name": HAN * 46}, {"lines[0].name": HAN * 47},
           ("field_too_long", "lines[0].name"))
rule_cases("unit_too_long", {"lines[0].unit": HAN * 11}, {"lines[0].unit": HAN * 11 + "g"},
           ("field_too_long", "lines[0].unit"))
rule_cases("specification_too_long", {"lines[1].specification": "X" * 40}, {"lines[1].specification": "X" * 41},
           ("field_too_long", "lines[1].specification"))
rule_cases("remark_too_long_legacy", {"invoice_type": "normal", "remark": HAN * 115},
           {"invoice_type": "normal", "remark": HAN * 116}, ("field_too_long", "remark"))
rule_cases("not_gbk", {"buyer.name": "示例·采购方"}, {"buyer.name": "示例采购方😀"}, ("not_gbk", "buyer.name"))


# 票申/易票云: its own types, rates, lengths and application-form rules.
YPY = "yipiaoyun"
rule_cases("yipiaoyun_invoice_type", {"invoice_type": "special"}, {"invoice_type": "digital_normal"},
           ("invoice_type_unsupported", "invoice_type"), provider=YPY)
rule_cases("yipiaoyun_tax_rate", {"lines[1].tax_rate": "0.10", "lines[1].tax_amount": "3.15"},
           {"lines[1].tax_rate": "0.015", "lines[1].tax_amount": "0.47"}, ("tax_rate_unsupported", "lines[1].tax_rate"),
           provider=YPY)
rule_cases("yipiaoyun_goods_name_length", {"lines[0].name": HAN * 47}, {"lines[0].name": HAN * 47 + "A"},
           ("field_too_long", "lines[0].name"), provider=YPY)
rule_cases("yipiaoyun_unit_characters", {"lines[0].unit": "千克"}, {"lines[0].unit": "kg/m"},
           ("letters_digits_only", "lines[0].unit"), provider=YPY)
rule_cases("yipiaoyun_specification_characters", {"lines[1].specification": "A4纸"},
           {"lines[1].specification": "A4 纸"}, ("letters_digits_only", "lines[1].specification"), provider=YPY)
rule_cases("yipiaoyun_line_description",
           {"lines[0].quantity": None, "lines[0].unit_price": None, "lines[0].goods_id": "G001"},
           {"lines[0].quantity": None, "lines[0].unit_price": None},
           ("line_description_incomplete", "lines[0].quantity"), ("line_description_incomplete", "lines[0].unit_price"),
           provider=YPY)
rule_cases("yipiaoyun_order_no", {"erp_order_no": None, "order_no": "PO-1"}, {"erp_order_no": None},
           ("order_no_required", "order_no"), provider=YPY)
rule_cases("yipiaoyun_drawer_first", {"payee": "王五"}, {"drawer": None, "payee": "王五"},
           ("drawer_required", "drawer"), provider=YPY)
rule_cases("yipiaoyun_same_person", {"payee": "王五", "reviewer": "赵六"}, {"payee": "王五", "reviewer": "李四"},
           ("same_person", "reviewer"), provider=YPY)
rule_cases("yipiaoyun_auto_deal", {"invoice_type": "normal", "options.auto_deal": "false"},
           {"invoice_type": "normal", "options.auto_deal": "1"}, ("auto_deal_not_allowed", "options.auto_deal"),
           provider=YPY)
rule_cases("yipiaoyun_delivery_contact", {"buyer.email": None, "buyer.mobile": "13800000000"}, {"buyer.email": None},
           ("delivery_contact_required", "buyer.email"), provider=YPY)
# The same requests go through Kingdee, which has none of those form rules.
rule_cases("kingdee_without_yipiaoyun_rules",
           {"erp_order_no": None, "drawer": None, "payee": "王五", "lines[0].unit": "kg/m", "buyer.email": None},
           {"erp_order_no": None, "lines[0].unit": "kg/m", "lines[0].tax_rate": "0.10", "lines[0].tax_amount": "10.00"},
           ("tax_rate_unsupported", "lines[0].tax_rate"))


@pytest.mark.parametrize(("name", "provider", "changes"), PASS, ids=[case[0] for case in PASS])
def test_rule_passes(name: str, provider: str, changes: dict[str, Any], build, errors) -> None:
    assert errors(build(changes, provider)) == []


@pytest.mark.parametrize(("name", "provider", "changes", "expected"), FAIL, ids=[case[0] for case in FAIL])
def test_rule_rejects(name: str, provider: str, changes: dict[str, Any], expected: list[tuple[str, str]],
                      build, errors) -> None:
    assert errors(build(changes, provider)) == expected


def test_a_digital_remark_past_the_ceiling_is_an_error_not_a_warning() -> None:
    from fapiao.samples import valid_request
    from fapiao.streams.validation import check

    def findings_for(remark: str) -> list[tuple[str, str, str]]:
        request = valid_request("REMARK1", "kingdee", invoice_type="digital_normal")
        request["remark"] = remark
        return [(f.code, f.field, f.severity.value) for f in check(request)[1]]

    assert findings_for("发" * 500) == [("field_too_long", "remark", "warning")]  # 1,000 bytes: unknown limit
    assert findings_for("发" * 1001) == [("field_too_long", "remark", "error")]  # 2,002 bytes: past any platform
