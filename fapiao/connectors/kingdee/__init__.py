"""Kingdee 发票云 (piaozone 旗舰版): the provider client, its callback parser, and (in `sandbox`) a local stand-in."""

from fapiao.connectors.kingdee.callbacks import KingdeeCallbacks
from fapiao.connectors.kingdee.client import KingdeeProvider, from_settings

__all__ = ["KingdeeProvider", "KingdeeCallbacks", "from_settings"]
