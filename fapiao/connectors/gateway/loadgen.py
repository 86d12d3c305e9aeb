"""A load generator for the callback gateway: N keep-alive connections POST a fixed count of Kingdee
callbacks (one serial each), stopping early at a time limit, and report rate and latency.

    python -m fapiao.connectors.gateway.loadgen --url http://127.0.0.1:8780 --count 20000 --concurrency 32

`run()` returns a dict (also what the command prints as JSON) that `fapiao bench` can use; its
`acknowledged` list holds the serials answered 200, so a caller can check each is on the topic.
A gateway under load from one address needs FAPIAO_GATEWAY_RATE_PER_S raised, or it answers 429.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp

from fapiao.connectors.yipiaoyun import signing

__all__ = ["kingdee_callback", "yipiaoyun_callback", "run", "main"]


def kingdee_callback(serial: str, invoice_num: str = "24440000000000000001") -> bytes:
    """A 2.1.02 数电票回调 body (Base64 `data`) saying `serial` was issued, as the Kingdee sandbox sends it."""
    item = {"serialNo": serial, "invoiceNum": invoice_num, "invoiceDate": "2025-01-02 03:04:05",
            "invoiceType": "01", "totalAmount": 100.00, "totalTaxAmount": 13.00, "includeTaxAmount": 113.00,
            "invoiceFileUrl": f"https://files.example/{serial}.pdf"}
    data = base64.b64encode(json.dumps(item, ensure_ascii=False).encode()).decode()
    return json.dumps({"returnCode": "0", "returnMsg": "success", "interfaceCode": "INVOICE.OPEN",
                       "data": data}).encode()


def yipiaoyun_callback(serial: str, app_id: str, app_secret: str, sign_type: str = "MD5",
                       invoice_no: str = "24440000000000000001") -> bytes:
    """A signed 申请回调 (code 1, 开票成功) naming `serial` as its erpOrderNo; sign with a wrong secret to forge one."""
    entry = {"invoiceType": "ce", "invoiceNo": invoice_no, "invoiceCode": "", "paperDrewDate": "20250102030405",
             "status": "1", "amountWithTax": 113.0, "pdfPath": f"https://files.example/{serial}.pdf"}
    data = {"orderBatchNo": f"B-{serial}", "erpOrderNos": [serial], "partnerOrderNos": [f"P-{serial}"],
            "successNumber": 1, "failNumber": 0, "invoiceEntrys": [entry]}
    body = {**signing.core_params(app_id, app_secret, sign_type), "code": 1, "message": "开票成功", "data": data}
    return json.dumps(body, ensure_ascii=False).encode()


def _percentile(sorted_ms: list[float], fraction: float) -> float:
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, int(fraction * len(sorted_ms)))]


async def run(url: str, count: int = 20_000, concurrency: int = 32, duration_s: float = 30.0,
              token: str | None = None, prefix: str | None = None) -> dict[str, Any]:
    """POST up to `count` callbacks to `{url}/callbacks/kingdee` (or stop after `duration_s`).

    Bodies are built before the clock starts, so the figures measure the gateway, not the generator.
    """
    prefix = prefix or f"LOAD-{uuid.uuid4().hex[:8]}"
    bodies = [(f"{prefix}-{i}", kingdee_callback(f"{prefix}-{i}")) for i in range(count)]
    headers = {"Content-Type": "application/json", **({"X-Fapiao-Token": token} if token else {})}
    target = f"{url.rstrip('/')}/callbacks/kingdee"
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    acknowledged: list[str] = []
    next_index = iter(range(count))
    started = time.perf_counter()
    deadline = started + duration_s

    async def connection(session: aiohttp.ClientSession) -> None:
        for index in next_index:  # one shared iterator: each body is sent exactly once
            if time.perf_counter() > deadline:
                return
            serial, body = bodies[index]
            sent = time.perf_counter()
            try:
                async with session.post(target, data=body, headers=headers) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status = type(exc).__name__
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[status] += 1
            if status == "200":
                acknowledged.append(serial)

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(connection(session) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "url": target, "sent": len(latencies), "concurrency": concurrency, "elapsed_s": round(elapsed, 3),
        "rate_per_s": round(len(acknowledged) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50), 2), "p99_ms": round(_percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else 0.0,
        "statuses": dict(statuses), "acknowledged": acknowledged,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="gateway base URL, e.g. http://127.0.0.1:8780")
    parser.add_argument("--count", type=int, default=20_000, help="callbacks to send at most")
    parser.add_argument("--concurrency", type=int, default=32, help="connections, each one request at a time")
    parser.add_argument("--duration", type=float, default=30.0, help="stop sending after this many seconds")
    parser.add_argument("--token", default=None, help="shared secret to send as X-Fapiao-Token")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.url, args.count, args.concurrency, args.duration, args.token))
    report.pop("acknowledged")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
