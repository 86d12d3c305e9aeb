"""Secrets and personal data never reach the gateway's logs, whatever the gateway answers."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from gateway_fakes import SECRET, MemoryProducer

from fapiao.connectors.gateway.loadgen import yipiaoyun_callback

PHONE, EMAIL, ACCOUNT = "13912345678", "buyer.private@example.com", "6222020200112233445"
SELLER_TAX_ID, BUYER_TAX_ID, ID_CARD = "91440300MA5G9GK78Y", "91110108551385082Q", "110101199003077777"
SENSITIVE = [PHONE, EMAIL, ACCOUNT, SELLER_TAX_ID, BUYER_TAX_ID, ID_CARD, SECRET]


def _kingdee_body() -> bytes:
    item = {"serialNo": "PII-1", "invoiceNum": "24440000000000000009", "sellerTaxpayerId": SELLER_TAX_ID,
            "buyerTaxpayerId": BUYER_TAX_ID, "buyerPhone": PHONE, "buyerEmail": EMAIL, "buyerBankAccount": ACCOUNT,
            "buyerIdCard": ID_CARD}
    data = base64.b64encode(json.dumps(item).encode()).decode()
    return json.dumps({"returnCode": "0", "returnMsg": f"ok {PHONE}", "interfaceCode": "INVOICE.OPEN",
                       "data": data, "plain": item}).encode()


def _yipiaoyun_body(secret: str) -> bytes:
    body = json.loads(yipiaoyun_callback("PII-2", "sandbox-app", secret))
    body["data"]["invoiceEntrys"][0].update(purchaserTaxNo=BUYER_TAX_ID, purchaserTel=PHONE,
                                            purchaserBankAccount=ACCOUNT, sellerTaxNo=SELLER_TAX_ID)
    body["purchaserMail"] = EMAIL
    return json.dumps(body).encode()


async def test_no_secret_or_personal_data_in_logs(client_factory: Any, producer: MemoryProducer,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level: aiohttp's too
    client = await client_factory(shared_secret=SECRET, max_body=4096)
    headers = {"Content-Type": "application/json", "X-Fapiao-Token": SECRET, "X-Buyer-Phone": PHONE}
    forged = _yipiaoyun_body("wrong-secret")
    signature = json.loads(forged)["sign"]
    answers = [
        await client.post("/callbacks/kingdee", data=_kingdee_body(), headers=headers),
        await client.post(f"/callbacks/kingdee?token={SECRET}&phone={PHONE}", data=_kingdee_body(),
                          headers={"Content-Type": "application/json"}),
        await client.post("/callbacks/kingdee?token=wrong", data=_kingdee_body(),
                          headers={"Content-Type": "application/json", "X-Buyer-Mail": EMAIL}),
        await client.post("/callbacks/kingdee", data=_kingdee_body()[:-1] + ACCOUNT.encode(), headers=headers),
        await client.post("/callbacks/kingdee", data=_kingdee_body() * 40, headers=headers),
        await client.post("/callbacks/yipiaoyun", data=forged, headers=headers),
        await client.post("/callbacks/yipiaoyun", data=_yipiaoyun_body("sandbox-secret"), headers=headers),
    ]
    producer.down = True
    answers.append(await client.post("/callbacks/kingdee", data=_kingdee_body(), headers=headers))
    assert [a.status for a in answers] == [200, 200, 403, 400, 413, 401, 200, 503]

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "/callbacks/kingdee" in logged  # the gateway did log these requests
    for value in [*SENSITIVE, signature]:
        assert value not in logged
