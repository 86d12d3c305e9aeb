"""Sample invoice requests for the demo, the benchmark and the tests: consistent ones, and broken ones on purpose."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterator

__all__ = ["SELLERS", "valid_request", "invalid_request", "demo_requests", "RED_ROLES", "plan_reds", "red_requests"]

CENT = Decimal("0.01")

# Real-looking 统一社会信用代码 with correct GB 32100-2015 check digits.
SELLERS = (
    {"tax_id": "91440300MA5G9GK78Y", "name": "深圳市示例科技有限公司", "address": "深圳市南山区科技园",
     "phone": "0755-86000000", "bank": "招商银行深圳分行", "bank_account": "755900000000001"},
    {"tax_id": "91310000MA1FL1234Q", "name": "上海示例贸易有限公司", "address": "上海市浦东新区",
     "phone": "021-50000000", "bank": "工商银行上海分行", "bank_account": "100100000000002"},
)
BUYER_COMPANY = {"kind": "company", "tax_id": "91440300358768292H", "name": "示例采购方有限公司",
                 "address": "广州市天河区", "phone": "020-38000000", "bank": "中国银行广州分行",
                 "bank_account": "440100000000003", "email": "ap@example.com"}
BUYER_PERSON = {"kind": "individual", "name": "张三", "mobile": "13800000000"}
GOODS = (
    ("信息技术服务", "3040201010000000000", Decimal("0.06"), "项"),
    ("办公用品", "1060511020000000000", Decimal("0.13"), "件"),
    ("咨询服务", "3040602000000000000", Decimal("0.06"), "次"),
    ("运输服务", "3010101020000000000", Decimal("0.09"), "次"),
)
_TYPES = {"kingdee": ("digital_normal", "digital_special"), "yipiaoyun": ("electronic_normal", "normal")}


def _line(rng: random.Random) -> dict[str, str]:
    name, code, rate, unit = rng.choice(GOODS)
    quantity = Decimal(rng.randint(1, 20))
    unit_price = (Decimal(rng.randint(100, 500_000)) / 100).quantize(CENT)
    amount = (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
    tax = (amount * rate).quantize(CENT, ROUND_HALF_UP)
    return {"name": name, "tax_code": code, "tax_rate": str(rate), "amount": str(amount),
            "tax_amount": str(tax), "quantity": str(quantity), "unit_price": str(unit_price), "unit": unit}


def valid_request(serial: str, provider: str = "kingdee", rng: random.Random | None = None,
                  invoice_type: str | None = None) -> dict[str, Any]:
    """A request that passes every rule, in its JSON shape."""
    rng = rng or random.Random(serial)
    invoice_type = invoice_type or rng.choice(_TYPES[provider])
    lines = [_line(rng) for _ in range(rng.randint(1, 4))]
    total_amount = sum((Decimal(line["amount"]) for line in lines), Decimal("0"))
    total_tax = sum((Decimal(line["tax_amount"]) for line in lines), Decimal("0"))
    special = invoice_type in ("digital_special", "special", "electronic_special")
    buyer = BUYER_COMPANY if special or rng.random() < 0.6 else BUYER_PERSON
    request: dict[str, Any] = {
        "serial": serial, "provider": provider, "invoice_type": invoice_type,
        "seller": dict(rng.choice(SELLERS)), "buyer": dict(buyer), "lines": lines,
        "total_amount": str(total_amount), "total_tax": str(total_tax),
        "total_with_tax": str(total_amount + total_tax),
        "drawer": "李四", "erp_order_no": f"SO-{serial}", "source": "demo",
    }
    if provider == "yipiaoyun":
        request["options"] = {"store_no": "S001"}
        if invoice_type == "electronic_normal":
            request["buyer"].setdefault("email", "buyer@example.com")
    return request


def invalid_request(serial: str, provider: str = "kingdee", rng: random.Random | None = None) -> dict[str, Any]:
    """A request with one deliberate mistake an ERP makes: wrong totals, a bad tax code or a bad tax ID."""
    rng = rng or random.Random(serial)
    request = valid_request(serial, provider, rng)
    mistake = rng.choice(("total", "tax_code", "tax_id"))
    if mistake == "total":  # the seed's own example: 价税合计金额不对
        request["total_with_tax"] = str(Decimal(request["total_with_tax"]) + Decimal("1.00"))
    elif mistake == "tax_code":
        request["lines"][0]["tax_code"] = "30402"
    else:
        request["seller"]["tax_id"] = "91440300MA5G9GK78X"
    return request


def demo_requests(count: int, provider: str = "mixed", invalid_every: int = 7,
                  seed: int = 20261121, prefix: str = "DEMO") -> Iterator[dict[str, Any]]:
    """`count` requests with unique serials; every `invalid_every`-th one is broken on purpose."""
    rng = random.Random(seed)
    providers = ("kingdee", "yipiaoyun") if provider == "mixed" else (provider,)
    for i in range(count):
        serial = f"{prefix}{seed % 10000:04d}{i:06d}"
        chosen = providers[i % len(providers)]
        if invalid_every and i % invalid_every == invalid_every - 1:
            yield invalid_request(serial, chosen, rng)
        else:
            yield valid_request(serial, chosen, rng)


# -- reds, for the demo: each role is one way a company takes an invoice back -------------------------------

RED_ROLES = ("whole_return", "allowances", "confirmed", "refused")
# The Kingdee sandbox reads these in a blue's remark: the buyer has used the blue (so a red needs the buyer's
# confirmation), and how the buyer answers.
BUYER_MARKERS = {"confirmed": "SANDBOX:USED SANDBOX:BUYER-CONFIRMS", "refused": "SANDBOX:USED SANDBOX:BUYER-REFUSES"}
ALLOWANCE_SHARE = Decimal("0.4")
ALLOWANCES = 3  # of 40 % each: the third asks for more than remains and is refused


def plan_reds(requests: list[dict[str, Any]], every: int = 2) -> dict[str, str]:
    """Roles for the demo's reds, cycling through RED_ROLES over every `every`-th valid Kingdee blue; the blues
    whose red must wait for the buyer get the sandbox's markers in their remark (so plan before publishing)."""
    from fapiao.streams.validation import check, is_valid  # the demo's own choice of blues, not a rule

    eligible = [r for r in requests if r["provider"] == "kingdee" and is_valid(check(r)[1])]
    roles: dict[str, str] = {}
    for n, request in enumerate(eligible[::every]):
        role = RED_ROLES[n % len(RED_ROLES)]
        roles[request["serial"]] = role
        if role in BUYER_MARKERS:
            request["remark"] = " ".join(part for part in (request.get("remark"), BUYER_MARKERS[role]) if part)
    return roles


def red_requests(roles: dict[str, str], blues: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The reds of the planned roles, for the blues given (those that were issued)."""
    reds: list[dict[str, Any]] = []
    for serial, role in roles.items():
        if serial not in blues:
            continue
        if role == "allowances":
            reds += [_allowance(f"{serial}-A{n}", blues[serial]) for n in range(1, ALLOWANCES + 1)]
        else:  # a whole return; "confirmed" and "refused" wait for the buyer first
            reds.append({"serial": f"{serial}-R", "kind": "red", "original_serial": serial, "red_reason": "02",
                         "erp_order_no": f"RMA-{serial}", "source": "demo"})
    return reds


def _allowance(serial: str, blue: dict[str, Any]) -> dict[str, Any]:
    """A sales allowance (04) of ALLOWANCE_SHARE of the blue's first line: no quantity, no price."""
    line = blue["lines"][0]
    amount = (Decimal(line["amount"]) * ALLOWANCE_SHARE).quantize(CENT, ROUND_HALF_UP)
    tax = (amount * Decimal(line["tax_rate"])).quantize(CENT, ROUND_HALF_UP)
    return {"serial": serial, "kind": "red", "original_serial": blue["serial"], "red_reason": "04",
            "lines": [{"original_line": 1, "amount": str(-amount), "tax_amount": str(-tax)}],
            "total_amount": str(-amount), "total_tax": str(-tax), "total_with_tax": str(-(amount + tax)),
            "erp_order_no": f"ALW-{serial}", "source": "demo"}
