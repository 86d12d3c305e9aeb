"""The callback gateway: provider webhooks in, records on `fapiao.callbacks` out."""

from fapiao.connectors.gateway.app import GatewayConfig, create_app
from fapiao.connectors.gateway.producer import AsyncProducer

__all__ = ["GatewayConfig", "create_app", "AsyncProducer"]
