"""Kingdee contract fixtures: sandboxes as real subprocesses on loopback, and a callback receiver.

Each sandbox runs `fapiao sandbox kingdee --port <free port> …`, is ready when `/_sandbox/stats`
answers, and is stopped by its pid at the end of the session (terminate, wait, kill if needed).
"""

from __future__ import annotations

import dataclasses
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

from fapiao.connectors.kingdee import KingdeeProvider
from fapiao.settings import load
from kingdee_support import OpenApi, Receiver, Sandbox
from sandbox_processes import Started


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def flaky_receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first=2)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on demand, one per distinct argument list; all stopped at the end."""
    started = Started(Sandbox)
    yield started
    started.stop_all()


@pytest.fixture
async def provider_factory() -> AsyncIterator[Callable[..., KingdeeProvider]]:
    """Providers pointed at a sandbox, with setting overrides; closed after the test."""
    made: list[KingdeeProvider] = []

    def make(target: Sandbox | str, timeout_s: float = 5.0, **overrides: Any) -> KingdeeProvider:
        url = target if isinstance(target, str) else target.url
        settings = dataclasses.replace(load({}).kingdee, base_url=url, **overrides)
        made.append(KingdeeProvider(settings, timeout_s))
        return made[-1]
    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
async def api_factory() -> AsyncIterator[Callable[..., OpenApi]]:
    """Envelope callers for a sandbox (red-letter calls built by the test), closed after the test."""
    made: list[OpenApi] = []

    def make(sandbox: Sandbox, **overrides: Any) -> OpenApi:
        made.append(OpenApi(sandbox, **overrides))
        return made[-1]
    yield make
    for api in made:
        await api.aclose()
