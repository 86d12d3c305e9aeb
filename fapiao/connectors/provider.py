"""The port every invoice provider implements, and the classified outcome of one provider call.

Error tree of a provider call, as outcomes rather than exceptions (the issue agent folds them
into signals; nothing here raises for a business answer):

    Outcome.kind
    ├── ACCEPTED      provider took the submission; the result follows by callback or query
    ├── ISSUED        the invoice exists (number, code, time, file links)
    ├── PENDING       query answer: 开票中
    ├── FAILED        blocking business rejection, with the provider's code and message
    ├── RETRYABLE     nothing reached the provider (connect error, 5xx, rate limit): send again later
    ├── SESSION       the seller cannot issue now (token / tax device / bureau login): pause that seller
    ├── IN_DOUBT      the provider may have it (timeout or reset after sending): query before resending
    ├── DUPLICATE     the provider already has this serial: query and adopt, never resend
    └── NOT_FOUND     query answer: no such serial at the provider

For a red-letter invoice, any outcome may carry `form`: its 红字确认单 as the provider described it,
whose status (the bureau's `RED_FORM_STATUSES`) says the rest. A form answer (applied, queried,
revoked, answered) is ACCEPTED with it; FAILED outcomes carry it too: a refused revoke or answer
(with the form as it stands after), a query of a red that failed because its form ended, and a red's
callback.

Misconfiguration (wrong app id, secret, account) is not an outcome: it raises
`ProviderConfigurationError` at start, outside this tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Mapping, Protocol, runtime_checkable

from fapiao.exceptions import ConfigurationError
from fapiao.schemas.records import InvoiceInfo, InvoiceRequest, RedForm, RedOrder

__all__ = [
    "OutcomeKind",
    "Outcome",
    "Provider",
    "CallbackFacts",
    "CallbackParser",
    "ProviderConfigurationError",
    "RedProvider",
]


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"
    ISSUED = "issued"
    PENDING = "pending"
    FAILED = "failed"
    RETRYABLE = "retryable"
    SESSION = "session"
    IN_DOUBT = "in_doubt"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Outcome:
    """The classified answer of one provider call (or one callback)."""

    kind: OutcomeKind
    code: str | None = None
    message: str | None = None
    invoice: InvoiceInfo | None = None
    form: RedForm | None = None


class ProviderConfigurationError(ConfigurationError):
    """Credentials or base URL are wrong: an operator must fix configuration; retrying will not help."""


@runtime_checkable
class Provider(Protocol):
    """An async client for one provider. One instance per worker, one HTTP connection pool inside."""

    name: ClassVar[str]

    async def submit(self, request: InvoiceRequest) -> Outcome:
        """Send the request under its serial. Must never be retried by the client itself after sending."""
        ...

    async def query(self, request: InvoiceRequest) -> Outcome:
        """Ask the provider what it knows of this serial.

        FAILED here means the provider says *the invoice* failed (开票失败, 申请驳回); a query that
        itself failed is RETRYABLE, since it tells nothing about the invoice and a serial must never
        be failed while the provider may hold it.
        """
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class RedProvider(Provider, Protocol):
    """A provider that can take an invoice back: red-letter invoices and their 红字确认单.

    Every method answers with an Outcome, never raises for a business answer, and is safe to call
    again with the same order: the red's serial is the idempotency key of the red invoice, and of the
    form too (as its order number).
    """

    async def apply_red_form(self, order: RedOrder) -> Outcome:
        """Raise the form for `order`: ACCEPTED with `form` (its number, uuid and status)."""
        ...

    async def query_red_form(self, order: RedOrder, form: RedForm) -> Outcome:
        """The form's status now: ACCEPTED with `form`; NOT_FOUND when the provider has no such form."""
        ...

    async def revoke_red_form(self, order: RedOrder, form: RedForm) -> Outcome:
        """Withdraw a form still awaiting the counterparty: ACCEPTED with `form` as it stands after, or
        FAILED with the refusal and `form` as it stands (confirmed or ended first)."""
        ...

    async def answer_red_form(self, form: RedForm, seller_tax_id: str, confirm: bool) -> Outcome:
        """Confirm or refuse a form the counterparty raised against one of our invoices."""
        ...

    async def submit_red(self, order: RedOrder, form: RedForm | None) -> Outcome:
        """Issue the red invoice under the red's serial, as `submit`: of `form` when it is one that allows it
        (01, 04), or, without a form, raising one with it (a 01 form at once, or one that waits)."""
        ...

    async def query_red(self, order: RedOrder) -> Outcome:
        """What the provider knows of the red invoice, by the red's serial; as `query`."""
        ...


@dataclass(frozen=True)
class CallbackFacts:
    """What one provider callback says about one serial."""

    serial: str | None
    outcome: Outcome
    order_numbers: tuple[str, ...] = ()


class CallbackParser(Protocol):
    """Turns a provider's webhook body into facts, and knows the reply body the provider expects."""

    provider: ClassVar[str]
    reply_body: ClassVar[bytes]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """True when the body is authentic (signature checked), or when the provider does not sign."""
        ...

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[CallbackFacts]:
        """Raise `MalformedCallback` when the body is not a callback of this provider."""
        ...
