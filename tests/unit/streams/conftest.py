"""Factories for the lifecycle tests: parsed sample requests, signals, states in any status, a policy.

Every factory is session-scoped and pure, so hypothesis tests can take them as arguments too
(a function-scoped fixture would be shared across examples without being reset).
"""

from __future__ import annotations

from typing import Callable

import pytest
from streams_support import SERIAL, build_request, build_signal, build_state

from fapiao.schemas.records import Finding, InvoiceRequest, InvoiceState, Signal, SignalKind, Status
from fapiao.streams.lifecycle import Policy


@pytest.fixture(scope="session")
def request_factory() -> Callable[..., InvoiceRequest]:
    return build_request


@pytest.fixture(scope="session")
def invoice_request(request_factory: Callable[..., InvoiceRequest]) -> InvoiceRequest:
    return request_factory()


@pytest.fixture(scope="session")
def signal_factory() -> Callable[..., Signal]:
    return build_signal


@pytest.fixture(scope="session")
def signal(signal_factory: Callable[..., Signal]) -> Signal:
    """The ERP's request for SERIAL."""
    return signal_factory(SignalKind.REQUEST)


@pytest.fixture(scope="session")
def state_factory() -> Callable[..., InvoiceState]:
    return build_state


@pytest.fixture(scope="session")
def state(state_factory: Callable[..., InvoiceState]) -> InvoiceState:
    """SERIAL submitting its second attempt."""
    return state_factory(Status.SUBMITTING)


@pytest.fixture(scope="session")
def policy_factory() -> Callable[..., Policy]:
    return Policy


@pytest.fixture(scope="session")
def policy(policy_factory: Callable[..., Policy]) -> Policy:
    return policy_factory()


@pytest.fixture(scope="session")
def validator_factory() -> Callable[..., Callable[[InvoiceRequest], list[Finding]]]:
    """`validator_factory(*findings)`: a validator that finds exactly these, whatever the request."""

    def make(*findings: Finding) -> Callable[[InvoiceRequest], list[Finding]]:
        return lambda request: list(findings)

    return make


@pytest.fixture(scope="session")
def validator(validator_factory: Callable[..., Callable[[InvoiceRequest], list[Finding]]]
              ) -> Callable[[InvoiceRequest], list[Finding]]:
    return validator_factory()
