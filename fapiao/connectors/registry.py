"""The providers fapiao-stream can issue through, by the name a request carries in `provider`."""

from __future__ import annotations

from fapiao.connectors.kingdee import KingdeeCallbacks
from fapiao.connectors.kingdee import from_settings as kingdee_from_settings
from fapiao.connectors.provider import CallbackParser, Provider
from fapiao.connectors.yipiaoyun import YipiaoyunCallbacks
from fapiao.connectors.yipiaoyun import from_settings as yipiaoyun_from_settings
from fapiao.settings import Settings

__all__ = ["providers", "callback_parsers"]


def providers(settings: Settings) -> dict[str, Provider]:
    """One client per provider that has a base URL configured, each with its own connection pool."""
    configured: dict[str, Provider] = {}
    if settings.kingdee.base_url:
        configured["kingdee"] = kingdee_from_settings(settings)
    if settings.yipiaoyun.base_url:
        configured["yipiaoyun"] = yipiaoyun_from_settings(settings)
    return configured


def callback_parsers(settings: Settings) -> dict[str, CallbackParser]:
    """The webhook parser of each provider, by route name."""
    return {
        "kingdee": KingdeeCallbacks(settings.kingdee.aes_password),
        "yipiaoyun": YipiaoyunCallbacks(settings.yipiaoyun.app_secret, settings.yipiaoyun.sign_type),
    }
