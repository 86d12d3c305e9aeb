"""Kafka authentication and encryption, from one set of settings to both client libraries.

    security_config(security)    -> librdkafka (confluent-kafka) properties
    broker_credentials(security) -> faust's `broker_credentials` (aiokafka underneath), or None

Both read the same `FAPIAO_KAFKA_SECURITY_PROTOCOL`, `..._SASL_*` and `..._SSL_*` keys; `Cluster` in
`fapiao.connectors.cluster` is their one user, so every client reaches the cluster the same way.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from fapiao.settings import KafkaSecurity

if TYPE_CHECKING:
    import faust

__all__ = ["security_config", "broker_credentials"]


def security_config(security: KafkaSecurity) -> dict[str, str]:
    """librdkafka properties for the configured protocol; empty for PLAINTEXT (librdkafka's default)."""
    if security.protocol == "PLAINTEXT":
        return {}
    config = {"security.protocol": security.protocol}
    if security.protocol.startswith("SASL_"):
        config.update({"sasl.mechanism": security.sasl_mechanism, "sasl.username": security.sasl_username or "",
                       "sasl.password": security.sasl_password or ""})
    if security.protocol.endswith("SSL"):
        files = {"ssl.ca.location": security.ssl_cafile, "ssl.certificate.location": security.ssl_certfile,
                 "ssl.key.location": security.ssl_keyfile}
        config.update({name: path for name, path in files.items() if path})
    return config


def broker_credentials(security: KafkaSecurity) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """faust's credentials for the configured protocol; None for PLAINTEXT."""
    import faust  # heavy: only the worker needs it

    context = _ssl_context(security) if security.protocol.endswith("SSL") else None
    if security.protocol.startswith("SASL_"):
        # faust picks SASL_SSL when it gets a context, SASL_PLAINTEXT when not.
        return faust.SASLCredentials(username=security.sasl_username, password=security.sasl_password,
                                     mechanism=security.sasl_mechanism, ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def _ssl_context(security: KafkaSecurity) -> ssl.SSLContext:
    """A verifying client context: the given CA file (else the system's), the client certificate if any."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=security.ssl_cafile)
    if security.ssl_certfile:
        context.load_cert_chain(security.ssl_certfile, security.ssl_keyfile)
    return context
