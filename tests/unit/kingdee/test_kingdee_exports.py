"""The public surface changes only on purpose."""

from __future__ import annotations

import inspect

import fapiao.connectors.kingdee as kingdee
from fapiao.connectors.kingdee.protocol import SANDBOX_URL
from fapiao.connectors.kingdee.sandbox import command
from fapiao.connectors.kingdee.sandbox.names import DEFAULT_PORT
from fapiao.connectors.provider import Provider
from fapiao.settings import load


def test_exports() -> None:
    assert sorted(kingdee.__all__) == ["KingdeeCallbacks", "KingdeeProvider", "from_settings"]
    assert list(inspect.signature(kingdee.KingdeeProvider).parameters) == ["settings", "timeout_s", "transport"]


async def test_from_settings_builds_a_provider() -> None:
    provider = kingdee.from_settings(load({"FAPIAO_PROVIDER_TIMEOUT_S": "3"}))
    try:
        assert isinstance(provider, Provider) and provider.name == "kingdee"
    finally:
        await provider.aclose()


def test_sandbox_command() -> None:
    assert command.name == "kingdee"
    options = {param.name for param in command.params}
    assert {"host", "port", "app_id", "app_secret", "account_id", "aes_password", "latency_ms", "fail_rate",
            "timeout_rate", "hang_s", "callback_url", "drop_callback_rate", "duplicate_callback_rate",
            "token_ttl_s", "issue_delay_ms", "seed", "dedupe", "apply_reasons", "used_rate", "buyer_answer",
            "buyer_delay_s", "form_deadline_s", "auto_issue_on_confirm", "face_check_rate"} <= options


def test_the_sandbox_listens_where_an_unconfigured_client_goes() -> None:
    assert f"http://127.0.0.1:{DEFAULT_PORT}" == SANDBOX_URL
