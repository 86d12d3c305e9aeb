"""The Kafka cluster and how to reach it: the one place every client's configuration is built.

    cluster = Cluster.of(settings)
    cluster.check()                      # answers, or BrokerUnavailable with one line saying what to check
    cluster.producer() / .consumer(group) / .admin()    confluent-kafka clients, security included
    cluster.faust_options()              faust's broker URL and credentials (aiokafka underneath)

Every command, the worker, the gateway, the readers, the write-back and the benchmark take a `Cluster`,
so none of them can reach the cluster without its `FAPIAO_KAFKA_SECURITY_PROTOCOL`, SASL and SSL settings.
librdkafka's own log lines (`%3|…|FAIL|…`) go to Python logging as `fapiao.librdkafka`, never
straight to the terminal: into the process log where the process configured logging, nowhere where
it did not (a NullHandler keeps Python's last-resort handler from printing them).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from fapiao.connectors.security import broker_credentials, security_config
from fapiao.exceptions import FapiaoStreamError
from fapiao.settings import KafkaSecurity, Settings

__all__ = ["Cluster", "BrokerUnavailable", "explain", "LIBRDKAFKA_LOG"]

LIBRDKAFKA_LOG = logging.getLogger("fapiao.librdkafka")
LIBRDKAFKA_LOG.addHandler(logging.NullHandler())

# Errors no retry can mend: the first one ends the check at once.
_FINAL = {KafkaError._SSL: "ssl", KafkaError._AUTHENTICATION: "authentication"}


class BrokerUnavailable(FapiaoStreamError):
    """The Kafka cluster did not answer in time, or refused the connection's TLS or credentials."""


@dataclass(frozen=True)
class Cluster:
    """Bootstrap servers, security settings, and how long to wait for an answer at start."""

    bootstrap: str
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    connect_timeout_s: float = 30.0

    @classmethod
    def of(cls, settings: Settings, bootstrap: str | None = None) -> Cluster:
        """The configured cluster (or `bootstrap`, e.g. an embedded broker's, with the same security)."""
        address = bootstrap or settings.kafka_bootstrap
        if not address:
            raise ValueError("no bootstrap: FAPIAO_KAFKA_BOOTSTRAP is unset")
        return cls(address, settings.kafka_security, settings.kafka_connect_timeout_s)

    def config(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """librdkafka properties: the address, the security settings, then `extra`."""
        # A broker closing an idle connection is routine, not an error worth a line on stderr.
        return {"bootstrap.servers": self.bootstrap, "log.connection.close": False, "logger": LIBRDKAFKA_LOG,
                **security_config(self.security), **(extra or {})}

    def producer(self, extra: Mapping[str, Any] | None = None) -> Producer:
        """An idempotent producer that partitions keys as faust does (murmur2, the Java client's)."""
        return Producer(self.config({"partitioner": "murmur2_random", "enable.idempotence": True, "linger.ms": 5,
                                     **(extra or {})}))

    def consumer(self, group: str, extra: Mapping[str, Any] | None = None) -> Consumer:
        """A consumer that commits nothing unless told to (readers `assign()` partitions directly)."""
        return Consumer(self.config({"group.id": group, "enable.auto.commit": False, **(extra or {})}))

    def admin(self, extra: Mapping[str, Any] | None = None) -> AdminClient:
        return AdminClient(self.config(extra))

    def faust_options(self) -> dict[str, Any]:
        """`faust.App` options: the broker URL, and credentials unless PLAINTEXT."""
        return {"broker": ";".join(f"kafka://{host.strip()}" for host in self.bootstrap.split(",")),
                "broker_credentials": broker_credentials(self.security)}

    def environment(self) -> dict[str, str]:
        """What a child process needs, beside the environment it inherits, to reach this cluster.

        The SASL and SSL keys (and `_FILE` secrets) are inherited as they were given; only the address
        and protocol are set, because a stack's embedded broker is always plain text.
        """
        return {"FAPIAO_KAFKA_BOOTSTRAP": self.bootstrap, "FAPIAO_KAFKA_SECURITY_PROTOCOL": self.security.protocol}

    def check(self, timeout_s: float | None = None) -> None:
        """Return once the cluster answers a metadata request; raise `BrokerUnavailable` otherwise.

        A refused connection is retried until the timeout (a broker may be starting); a failed TLS
        handshake or refused credentials end the check at once.
        """
        timeout_s = self.connect_timeout_s if timeout_s is None else timeout_s
        errors: list[KafkaError] = []
        try:
            # log_level 0: the broker's refusals go into one message below, not onto stderr line by line.
            admin = self.admin({"socket.connection.setup.timeout.ms": 1000, "log_level": 0,
                                "error_cb": errors.append})
        except KafkaException as exc:  # librdkafka refused a property, e.g. a certificate file it cannot read
            raise BrokerUnavailable(explain(self, [exc.args[0]], timeout_s)) from exc
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                admin.list_topics(timeout=min(1.0, max(0.1, deadline - time.monotonic())))
                return
            except KafkaException as exc:
                admin.poll(0)  # serves error_cb
                if any(error.code() in _FINAL for error in errors) or time.monotonic() > deadline:
                    raise BrokerUnavailable(explain(self, errors or [exc.args[0]], timeout_s)) from exc
                time.sleep(0.1)


def explain(cluster: Cluster, errors: list[KafkaError], timeout_s: float) -> str:
    """One line: what went wrong reaching `cluster`, and the setting to check. Never a secret."""
    where, protocol = cluster.bootstrap, cluster.security.protocol
    kinds = {_FINAL.get(error.code()) for error in errors}
    detail = next((error.str() for error in errors if error.code() in _FINAL), "")
    if "authentication" in kinds:
        return (f"Kafka at {where} refused the credentials ({_short(detail)}): check FAPIAO_KAFKA_SASL_MECHANISM "
                f"({cluster.security.sasl_mechanism}), FAPIAO_KAFKA_SASL_USERNAME and FAPIAO_KAFKA_SASL_PASSWORD")
    if "ssl" in kinds:
        return (f"TLS handshake with Kafka at {where} failed ({_short(detail)}): check FAPIAO_KAFKA_SSL_CAFILE "
                "(and FAPIAO_KAFKA_SSL_CERTFILE / _KEYFILE where the cluster wants a client certificate)")
    if any(error.code() == KafkaError._INVALID_ARG for error in errors):
        return (f"Kafka client settings for {where} refused ({_short(errors[0].str())}): "
                "check the FAPIAO_KAFKA_SSL_* files and FAPIAO_KAFKA_SASL_* settings")
    if protocol == "PLAINTEXT":
        return (f"no Kafka broker answered at {where} within {timeout_s:.0f}s: check FAPIAO_KAFKA_BOOTSTRAP "
                "(and FAPIAO_KAFKA_SECURITY_PROTOCOL, if the cluster is secured)")
    return (f"no Kafka broker answered at {where} over {protocol} within {timeout_s:.0f}s: check "
            f"FAPIAO_KAFKA_BOOTSTRAP, and FAPIAO_KAFKA_SECURITY_PROTOCOL={protocol} (does that listener speak it?)")


def _short(detail: str) -> str:
    """librdkafka's message without the broker prefix and the advice it repeats."""
    text = detail.split(": ", 1)[-1] if "://" in detail.split(": ", 1)[0] else detail
    return text.split(", verify that")[0].split(" (after ")[0][:200]
