"""票申/易票云 (yipiaoyun): signed JSON API client, callback parser, and an offline sandbox (`sandbox/`).

Modules, one job each: `signing` (the signature), `mapping` (request -> bodies), `errors` (answers and
failures -> Outcome), `client` (the Provider), `callbacks` (申请回调); exact-decimal JSON is `fapiao.connectors.wire`.
"""

from __future__ import annotations

from fapiao.connectors.yipiaoyun.callbacks import YipiaoyunCallbacks
from fapiao.connectors.yipiaoyun.client import YipiaoyunProvider, from_settings
from fapiao.connectors.yipiaoyun.signing import sign, verify

__all__ = ["YipiaoyunProvider", "YipiaoyunCallbacks", "from_settings", "sign", "verify"]
