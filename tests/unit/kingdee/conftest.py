"""Fixtures for the Kingdee unit tests: requests built from fapiao.samples."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import pytest

from fapiao.samples import valid_request
from fapiao.schemas.records import InvoiceRequest
from fapiao.schemas.requests import parse_request


def build_request(serial: str = "KD0001", invoice_type: str = "digital_normal", **changes: Any) -> InvoiceRequest:
    request, findings = parse_request(valid_request(serial, "kingdee", invoice_type=invoice_type))
    assert request is not None, findings
    return dataclasses.replace(request, **changes)


@pytest.fixture
def request_factory() -> Callable[..., InvoiceRequest]:
    return build_request
