"""Classify every 票申/易票云 answer, and every way a call can fail, into an `Outcome`.

Error tree at the connector edge (`edge()` turns httpx exceptions into these; the client turns them into
outcomes, so nothing but misconfiguration escapes `submit`/`query`):

    YipiaoyunError            carries .serial and .outcome
    ├── YipiaoyunUnavailable  RETRYABLE: the request never left (connect error, pool timeout)
    ├── YipiaoyunInDoubt      IN_DOUBT: it may have arrived (read timeout, reset after sending)
    └── YipiaoyunRejected     FAILED: it cannot be sent as built (local protocol error)
    ProviderConfigurationError (outside the tree): bad base URL, appId or appSecret

Answer codes (seed 004, providers.md 2.4): 0 accepted; -1 申请单号重复 duplicate; -1 签名错误/appId
configuration; 5001 no online tax device -> SESSION (pause the seller); 4002 门店不存在 and any other code
-> FAILED with the code and message. HTTP 429/502/503 -> RETRYABLE, other 5xx -> IN_DOUBT (the backend
may have stored it), other non-2xx -> FAILED.
"""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterator, Mapping

import httpx

from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.wire import TRANSPORT_KINDS
from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.records import InvoiceInfo

__all__ = [
    "YipiaoyunError",
    "YipiaoyunUnavailable",
    "YipiaoyunInDoubt",
    "YipiaoyunRejected",
    "EXCEPTION_KINDS",
    "edge",
    "NO_QUERY_ENDPOINT",
    "classify_submit",
    "classify_query",
    "invoice_from_entries",
]

DUPLICATE_TEXT = "申请单号重复"
NOT_FOUND_TEXT = "不存在"
CONFIGURATION_TEXTS = ("签名错误", "appId")
SESSION_CODES = frozenset({5001})
NO_QUERY_ENDPOINT = "no_query_endpoint"


class YipiaoyunError(FapiaoStreamError):
    """A call that got no business answer; `.outcome` says what that means for the serial."""

    kind = OutcomeKind.IN_DOUBT

    def __init__(self, message: str, serial: str) -> None:
        super().__init__(f"{serial}: {message}")
        self.serial = serial
        self.outcome = Outcome(self.kind, code=type(self).__name__, message=message)


class YipiaoyunUnavailable(YipiaoyunError):
    kind = OutcomeKind.RETRYABLE


class YipiaoyunInDoubt(YipiaoyunError):
    kind = OutcomeKind.IN_DOUBT


class YipiaoyunRejected(YipiaoyunError):
    kind = OutcomeKind.FAILED


# Every exception httpx can raise, decided one by one (a test fails when httpx adds one we have not seen).
# None: misconfiguration, raised as ProviderConfigurationError. The shared rows are in `wire`; these are ours.
_ERRORS: dict[OutcomeKind | None, type[YipiaoyunError] | None] = {
    OutcomeKind.RETRYABLE: YipiaoyunUnavailable, OutcomeKind.IN_DOUBT: YipiaoyunInDoubt, None: None,
}
EXCEPTION_KINDS: dict[type[Exception], type[YipiaoyunError] | None] = {
    **{cls: _ERRORS[kind] for cls, kind in TRANSPORT_KINDS.items()},
    httpx.LocalProtocolError: YipiaoyunRejected,  # h11 refused to write it: it cannot be sent as built
    httpx.TooManyRedirects: YipiaoyunRejected,  # redirects are not followed; a base URL pointing at one is wrong
}


@contextmanager
def edge(serial: str) -> Iterator[None]:
    """Translate httpx exceptions raised inside into the tree above (the only place that does)."""
    try:
        yield
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = next(EXCEPTION_KINDS[cls] for cls in type(exc).__mro__ if cls in EXCEPTION_KINDS)
        if error is None:
            raise ProviderConfigurationError(f"票申/易票云 base URL: {exc}") from exc
        raise error(f"{type(exc).__name__}: {exc}", serial) from exc


def _envelope(status: int, payload: Any) -> Outcome | tuple[int, str, Any]:
    """The HTTP-level outcome, or (code, message, data) of a readable answer."""
    if status in (429, 502, 503):  # refused before the application was read: safe to send again
        return Outcome(OutcomeKind.RETRYABLE, code=f"http_{status}")
    if status >= 500:  # 500, 504…: the backend may have stored the application before it failed
        return Outcome(OutcomeKind.IN_DOUBT, code=f"http_{status}")
    if status in (401, 403):
        raise ProviderConfigurationError(f"票申/易票云 refused our credentials (HTTP {status})")
    if not 200 <= status < 300:
        return Outcome(OutcomeKind.FAILED, code=f"http_{status}", message="unexpected HTTP status")
    if not isinstance(payload, Mapping) or not isinstance(payload.get("code"), int):
        # A 2xx we cannot read: the request was processed somehow, so we may not resend blindly.
        return Outcome(OutcomeKind.IN_DOUBT, code="unreadable_answer")
    code, message = payload["code"], str(payload.get("message") or "")
    if code == -1 and any(text in message for text in CONFIGURATION_TEXTS):
        raise ProviderConfigurationError(f"票申/易票云 refused our signature: {code} {message}")
    return code, message, payload.get("data")


def classify_submit(status: int, payload: Any) -> Outcome:
    """The outcome of one submission answer (`submitByPos` success carries its H5 link)."""
    answer = _envelope(status, payload)
    if isinstance(answer, Outcome):
        return answer
    code, message, data = answer
    if code == 0:
        link = data if isinstance(data, str) and data.startswith("http") else None
        return Outcome(OutcomeKind.ACCEPTED, code="0", message=message or None,
                       invoice=InvoiceInfo(h5_url=link) if link else None)
    if code == -1 and DUPLICATE_TEXT in message:
        return Outcome(OutcomeKind.DUPLICATE, code=str(code), message=message)
    if code in SESSION_CODES:
        return Outcome(OutcomeKind.SESSION, code=str(code), message=message)
    return Outcome(OutcomeKind.FAILED, code=str(code), message=message)


def classify_query(status: int, payload: Any) -> Outcome:
    """The outcome of the (assumed) query answer: data.status pending|issued|failed|rejected."""
    if status == 404:  # the tenant has no query endpoint: the client falls back to re-submitting
        return Outcome(OutcomeKind.NOT_FOUND, code=NO_QUERY_ENDPOINT, message="HTTP 404 on the query endpoint")
    answer = _envelope(status, payload)
    if isinstance(answer, Outcome):
        # A query that failed says nothing about the invoice: only data.status failed/rejected fails a serial.
        return Outcome(OutcomeKind.RETRYABLE, answer.code, answer.message) if answer.kind is OutcomeKind.FAILED \
            else answer
    code, message, data = answer
    if code == -1 and NOT_FOUND_TEXT in message:
        return Outcome(OutcomeKind.NOT_FOUND, code=str(code), message=message)
    if code != 0 or not isinstance(data, Mapping):
        return Outcome(OutcomeKind.RETRYABLE, code=str(code), message=message)
    state, detail = data.get("status"), data.get("message") or None
    if state == "issued":
        return Outcome(OutcomeKind.ISSUED, code="issued", invoice=invoice_from_entries(data.get("invoiceEntrys") or []))
    if state in ("failed", "rejected"):
        return Outcome(OutcomeKind.FAILED, code=state, message=detail)
    if state == "pending":
        return Outcome(OutcomeKind.PENDING, code=state, message=detail)
    return Outcome(OutcomeKind.IN_DOUBT, code="unknown_status", message=str(state))


def _money(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def invoice_from_entries(entries: list[Mapping[str, Any]]) -> InvoiceInfo:
    """One InvoiceInfo for the invoices of one application: numbers joined by ",", amounts summed."""

    def joined(key: str) -> str | None:
        return ",".join(str(e[key]) for e in entries if e.get(key)) or None

    def total(key: str) -> Decimal | None:
        amounts = [m for m in (_money(e.get(key)) for e in entries) if m is not None]
        return sum(amounts, Decimal(0)) if amounts else None

    return InvoiceInfo(number=joined("invoiceNo"), code=joined("invoiceCode"), issued_at=joined("paperDrewDate"),
                       pdf_url=joined("pdfPath"), total_amount=total("amountWithoutTax"), total_tax=total("taxAmount"))
