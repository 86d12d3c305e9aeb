"""The package surface changes only on purpose."""

from __future__ import annotations

import fapiao.connectors.yipiaoyun as yipiaoyun
import pytest

from fapiao.connectors.provider import CallbackParser, Provider, ProviderConfigurationError
from fapiao.settings import YipiaoyunSettings, load


def test_exports() -> None:
    assert sorted(yipiaoyun.__all__) == sorted(["YipiaoyunProvider", "YipiaoyunCallbacks", "from_settings", "sign", "verify"])
    assert all(hasattr(yipiaoyun, name) for name in yipiaoyun.__all__)


async def test_implements_the_ports() -> None:
    assert yipiaoyun.YipiaoyunProvider.name == "yipiaoyun"
    assert yipiaoyun.YipiaoyunCallbacks.provider == "yipiaoyun"
    parser: CallbackParser = yipiaoyun.YipiaoyunCallbacks("secret")
    assert parser.reply_body == b'{"code":0,"message":"success"}'
    provider = yipiaoyun.YipiaoyunProvider(YipiaoyunSettings("http://127.0.0.1:9", "app", "secret", "MD5"), 1.0)
    assert isinstance(provider, Provider)
    await provider.aclose()


def test_from_settings_uses_the_yipiaoyun_keys_and_the_provider_timeout() -> None:
    settings = load({"FAPIAO_YIPIAOYUN_BASE_URL": "http://127.0.0.1:9", "FAPIAO_PROVIDER_TIMEOUT_S": "3"})
    assert isinstance(yipiaoyun.from_settings(settings), yipiaoyun.YipiaoyunProvider)
    with pytest.raises(ProviderConfigurationError, match="BASE_URL"):
        yipiaoyun.from_settings(load({}))
