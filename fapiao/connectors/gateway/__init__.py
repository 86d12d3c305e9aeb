"""The callback gateway: provider webhooks in, records on `fapiao.callbacks` and `fapiao.signals` out."""

from fapiao.connectors.gateway.app import METRICS, SERVER_OPTIONS, create_app
from fapiao.connectors.gateway.guards import GatewayConfig
from fapiao.connectors.gateway.producer import AsyncProducer, NotAcknowledged

__all__ = ["GatewayConfig", "create_app", "AsyncProducer", "NotAcknowledged", "METRICS", "SERVER_OPTIONS"]
