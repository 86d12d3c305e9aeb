"""The Kingdee client against faulty sandboxes: tokens, credentials, 503s, hung answers, AES, flaky receivers."""

from __future__ import annotations

import asyncio
from typing import Callable

import pytest

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.provider import OutcomeKind, ProviderConfigurationError

from kingdee_support import Receiver, Sandbox, new_request, settled
from sandbox_processes import free_port

ProviderFactory = Callable[..., KingdeeProvider]
AES = "synthetic-key"


@pytest.fixture(scope="module")
def sandbox(sandboxes: Callable[..., Sandbox]) -> Sandbox:
    return sandboxes("--issue-delay-ms", "50")


@pytest.mark.parametrize("overrides", [{"app_secret": "not-the-secret"}, {"app_id": "other-app"},
                                       {"account_id": "other-account"}])
async def test_wrong_credentials_are_a_configuration_error(sandbox: Sandbox, provider_factory: ProviderFactory,
                                                           overrides: dict[str, str]) -> None:
    provider = provider_factory(sandbox, **overrides)
    with pytest.raises(ProviderConfigurationError, match="refused appId=") as caught:
        await provider.check()
    assert "not-the-secret" not in str(caught.value) and "13800000000" not in str(caught.value)
    with pytest.raises(ProviderConfigurationError):
        await provider.submit(new_request())


async def test_expired_tokens_are_refreshed_transparently(sandboxes: Callable[..., Sandbox],
                                                          provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--token-ttl-s", "1", "--issue-delay-ms", "50")
    provider = provider_factory(sandbox)
    first, second = new_request(), new_request()
    assert (await provider.submit(first)).kind is OutcomeKind.ACCEPTED
    await asyncio.sleep(1.2)  # past the token's deadline
    assert (await provider.submit(second)).kind is OutcomeKind.ACCEPTED
    assert (await settled(provider, second)).kind is OutcomeKind.ISSUED
    stats = sandbox.stats()
    assert stats["issued_per_serial"][first.serial] == stats["issued_per_serial"][second.serial] == 1


async def test_a_refused_token_is_refreshed_once_and_the_submit_sent_once(
        sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    await provider.check()
    sandbox.expire_tokens()  # the cached token is now 未进行接口授权 at the gateway
    unauthorized = sandbox.stats()["requests"].get("unauthorized", 0)
    request = new_request()
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    stats = sandbox.stats()
    assert stats["requests"]["unauthorized"] == unauthorized + 1
    assert (await settled(provider, request)).kind is OutcomeKind.ISSUED
    assert sandbox.stats()["issued_per_serial"][request.serial] == 1


async def test_unavailable_provider_is_retryable(sandboxes: Callable[..., Sandbox],
                                                 provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--fail-rate", "1.0")
    provider = provider_factory(sandbox)
    request = new_request()
    outcome = await provider.submit(request)
    assert outcome.kind is OutcomeKind.RETRYABLE and outcome.code == "HTTP 503"
    assert (await provider.query(request)).kind is OutcomeKind.NOT_FOUND
    assert sandbox.stats()["held"] == 0


async def test_unreachable_provider_is_retryable(provider_factory: ProviderFactory) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the connection is refused
    assert (await provider_factory(nobody).submit(new_request())).kind is OutcomeKind.RETRYABLE


async def test_a_hung_answer_is_in_doubt_and_the_query_finds_it(sandboxes: Callable[..., Sandbox],
                                                                provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--timeout-rate", "1.0", "--hang-s", "3", "--issue-delay-ms", "50")
    provider = provider_factory(sandbox, timeout_s=1.0)
    request = new_request()
    assert (await provider.submit(request)).kind is OutcomeKind.IN_DOUBT
    assert (await settled(provider, request)).kind is OutcomeKind.ISSUED
    assert sandbox.stats()["issued_per_serial"][request.serial] == 1


async def test_aes_end_to_end_with_duplicated_and_retried_callbacks(
        sandboxes: Callable[..., Sandbox], flaky_receiver: Receiver, provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--aes-password", AES, "--callback-url", flaky_receiver.url,
                        "--duplicate-callback-rate", "1.0", "--issue-delay-ms", "50")
    provider = provider_factory(sandbox, aes_password=AES)
    request = new_request("digital_special")
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    assert (await settled(provider, request)).kind is OutcomeKind.ISSUED
    facts = await flaky_receiver.wait_for(2, KingdeeCallbacks(AES), request.serial)
    assert [fact.outcome.kind for fact in facts] == [OutcomeKind.ISSUED, OutcomeKind.ISSUED]
    stats = sandbox.stats()
    assert stats["issued_per_serial"][request.serial] == 1
    assert stats["callbacks"]["sent"] == 2 and stats["callbacks"]["failed_attempts"] == 2
    # A client without the AES password is refused: the tenant cannot read its data.
    plain = await provider_factory(sandbox).submit(new_request())
    assert plain.kind is OutcomeKind.FAILED


async def test_dropped_callbacks_are_not_sent(sandboxes: Callable[..., Sandbox], receiver: Receiver,
                                              provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--callback-url", receiver.url, "--drop-callback-rate", "1.0", "--issue-delay-ms", "50")
    provider = provider_factory(sandbox)
    request = new_request()
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    assert (await settled(provider, request)).kind is OutcomeKind.ISSUED
    assert sandbox.stats()["callbacks"]["dropped"] == 1
    assert await receiver.wait_for(1, KingdeeCallbacks(), request.serial, timeout=0.3) == []
