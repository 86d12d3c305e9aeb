"""Factories for the schema tests: sample requests, every record type, codecs with and without a registry.

Session-scoped and pure, so hypothesis tests can take them as arguments.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from schemas_support import RegistryStub, build_request, every_record, request_shape

from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceRequest


@pytest.fixture(scope="session")
def request_factory() -> Callable[..., InvoiceRequest]:
    """`request_factory(serial, provider, seed, **field_changes)`: a valid parsed request from fapiao.samples."""
    return build_request


@pytest.fixture(scope="session")
def invoice_request(request_factory: Callable[..., InvoiceRequest]) -> InvoiceRequest:
    return request_factory()


@pytest.fixture(scope="session")
def shape_factory() -> Callable[..., dict[str, Any]]:
    """`shape_factory(serial, provider, seed, **changes)`: a valid request in its JSON shape (a fresh dict)."""
    return request_shape


@pytest.fixture
def shape(shape_factory: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return shape_factory()


@pytest.fixture(scope="session")
def records_factory() -> Callable[..., list[Any]]:
    return every_record


@pytest.fixture(scope="session")
def records(records_factory: Callable[..., list[Any]]) -> list[Any]:
    return records_factory()


@pytest.fixture(scope="session")
def codec_factory() -> Callable[..., Codec]:
    """`codec_factory()`: single-object encoding; `codec_factory(stub)`: Confluent format through the stub."""

    def make(registry: RegistryStub | None = None) -> Codec:
        return Codec(registry.register, registry.lookup) if registry else Codec()

    return make


@pytest.fixture(scope="session")
def codec(codec_factory: Callable[..., Codec]) -> Codec:
    return codec_factory()


@pytest.fixture
def registry_factory() -> Callable[..., RegistryStub]:
    return RegistryStub


@pytest.fixture
def registry(registry_factory: Callable[..., RegistryStub]) -> RegistryStub:
    return registry_factory()
