"""Fixtures for the 票申 contract tests: one receiver and cached sandboxes per session, a fresh request each time."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, AsyncIterator, Callable, Iterator

import pytest
from sandbox_processes import Started
from yipiaoyun_processes import Receiver, Sandbox

from fapiao.connectors.yipiaoyun import YipiaoyunProvider
from fapiao.samples import valid_request
from fapiao.schemas.records import InvoiceRequest
from fapiao.schemas.requests import parse_request


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandbox_factory(receiver: Receiver) -> Iterator[Callable[..., Sandbox]]:
    """`sandbox_factory(*options, sign_type="MD5")`: a running sandbox calling back to the receiver (cached)."""
    def start(*options: str, sign_type: str) -> Sandbox:
        return Sandbox("--callback-url", receiver.url, "--complete-delay-ms", "100", *options, sign_type=sign_type)

    started = Started(start)

    def get(*options: str, sign_type: str = "MD5") -> Sandbox:
        return started(*options, sign_type=sign_type)

    yield get
    started.stop_all()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """The plain MD5 sandbox, no faults."""
    return sandbox_factory()


@pytest.fixture
async def provider(sandbox: Sandbox) -> AsyncIterator[YipiaoyunProvider]:
    async with sandbox.client() as client:
        yield client


_serials = iter(range(1, 10**6))


@pytest.fixture
def invoice_request() -> Callable[..., InvoiceRequest]:
    """`invoice_request(invoice_type="normal", **changes)`: a valid sample under a fresh serial."""

    def make(invoice_type: str = "normal", **changes: Any) -> InvoiceRequest:
        serial = f"YPC{int(time.time()) % 100000:05d}{next(_serials):05d}"
        parsed, findings = parse_request(valid_request(serial, "yipiaoyun", invoice_type=invoice_type))
        assert parsed is not None and not findings
        return replace(parsed, **changes)

    return make
