"""Every setting, from `FAPIAO_*` environment variables or the same keys in one TOML file (`FAPIAO_CONFIG`).

`KEYS` is the single list of configuration names, defaults and meanings: the table in docs/configuration.md is checked
against it. The environment wins over the file. Secrets are read like any key but never printed; a
secret may also be read from a file named by `<KEY>_FILE` (a mounted Kubernetes or Docker secret).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from fapiao.exceptions import ConfigurationError

__all__ = ["Key", "KEYS", "Settings", "KingdeeSettings", "YipiaoyunSettings", "KafkaSecurity", "load",
           "SECURITY_PROTOCOLS", "SASL_MECHANISMS", "SHUTDOWN_DEADLINE_S"]

# Not a setting: how long a worker takes at most to stop after SIGTERM (it exits by itself then). The
# deployments' grace periods and the supervisor's SIGKILL are written against it.
SHUTDOWN_DEADLINE_S = 20.0
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class Key:
    name: str
    default: str | None
    meaning: str
    secret: bool = False


KEYS: tuple[Key, ...] = (
    Key("FAPIAO_CONFIG", None, "path of a TOML file holding any of these keys; the environment wins"),
    Key("FAPIAO_KAFKA_BOOTSTRAP", None, "Kafka bootstrap servers; unset: start the embedded Tansu broker"),
    Key("FAPIAO_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", "how clients reach Kafka: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
    Key("FAPIAO_KAFKA_SASL_MECHANISM", "PLAIN", "SASL mechanism with SASL_*: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
    Key("FAPIAO_KAFKA_SASL_USERNAME", None, "SASL user name (required with SASL_*)"),
    Key("FAPIAO_KAFKA_SASL_PASSWORD", None, "SASL password (required with SASL_*)", secret=True),
    Key("FAPIAO_KAFKA_SSL_CAFILE", None, "PEM file of the CAs that sign the brokers' certificates; unset: the system's"),
    Key("FAPIAO_KAFKA_SSL_CERTFILE", None, "PEM client certificate for mutual TLS; unset: none"),
    Key("FAPIAO_KAFKA_SSL_KEYFILE", None, "PEM private key of the client certificate"),
    Key("FAPIAO_KAFKA_CONNECT_TIMEOUT_S", "30", "how long a command waits for the cluster to answer before it gives up with one line saying what to check"),
    Key("FAPIAO_SCHEMA_REGISTRY_URL", None, "Confluent Schema Registry; unset: Avro single-object encoding"),
    Key("FAPIAO_TOPIC_PREFIX", "fapiao", "prefix of every topic name"),
    Key("FAPIAO_PARTITIONS", "6", "partition count of every topic (all topics are co-partitioned)"),
    Key("FAPIAO_APP_ID", "fapiao-stream", "faust application id: consumer group and table changelog names"),
    Key("FAPIAO_KINGDEE_BASE_URL", None, "Kingdee 发票云 tenant base URL; unset in the demo: the Kingdee sandbox"),
    Key("FAPIAO_KINGDEE_APP_ID", "sandbox-app", "Kingdee appId (第三方应用)"),
    Key("FAPIAO_KINGDEE_APP_SECRET", "sandbox-secret", "Kingdee appSecret", secret=True),
    Key("FAPIAO_KINGDEE_ACCOUNT_ID", "sandbox-account", "Kingdee accountId (数据中心 id)"),
    Key("FAPIAO_KINGDEE_USER", "13800000000", "Kingdee login user (phone or user name)", secret=True),
    Key("FAPIAO_KINGDEE_BUSINESS_SYSTEM_CODE", "FAPIAO_STREAM", "Kingdee businessSystemCode (picks the callback URL)"),
    Key("FAPIAO_KINGDEE_AES_PASSWORD", None, "Kingdee AES password; unset: Base64 envelope", secret=True),
    Key("FAPIAO_YIPIAOYUN_BASE_URL", None, "票申/易票云 API base URL; unset in the demo: the yipiaoyun sandbox"),
    Key("FAPIAO_YIPIAOYUN_APP_ID", "sandbox-app", "票申/易票云 appId"),
    Key("FAPIAO_YIPIAOYUN_APP_SECRET", "sandbox-secret", "票申/易票云 appSecret (signs requests and callbacks)", secret=True),
    Key("FAPIAO_YIPIAOYUN_SIGN_TYPE", "MD5", "票申/易票云 signature hash: MD5, SHA1 or SHA256"),
    Key("FAPIAO_GATEWAY_HOST", "127.0.0.1", "callback gateway listen address"),
    Key("FAPIAO_GATEWAY_PORT", "8780", "callback gateway port"),
    Key("FAPIAO_GATEWAY_MAX_BODY_BYTES", "1048576", "largest callback body the gateway takes (413 beyond)"),
    Key("FAPIAO_GATEWAY_ACK_DEADLINE_S", "5", "longest wait for the broker's ack before the gateway answers 503"),
    Key("FAPIAO_GATEWAY_RATE_PER_S", "2000", "callbacks per second one remote address may send (429 beyond)"),
    Key("FAPIAO_GATEWAY_BURST", "4000", "callbacks one remote address may send at once before the rate applies"),
    Key("FAPIAO_GATEWAY_ALLOW_CIDRS", None, "comma-separated CIDRs allowed to call the gateway (403 others); unset: all"),
    Key("FAPIAO_GATEWAY_SHARED_SECRET", None, "token unsigned providers send as X-Fapiao-Token or ?token=; unset: off",
        secret=True),
    Key("FAPIAO_GATEWAY_SECRET_ROUTES", "kingdee", "comma-separated providers whose callbacks need the shared secret"),
    Key("FAPIAO_WEB_HOST", "127.0.0.1", "the worker's HTTP listen address (0.0.0.0 in a container)"),
    Key("FAPIAO_WEB_PORT", "8781", "the worker's HTTP port (state queries, health, metrics)"),
    Key("FAPIAO_DATA_DIR", "var", "local state of a worker: the RocksDB table, under DATA_DIR/APP_ID/v1/tables"),
    Key("FAPIAO_TABLE_STORE", "rocksdb", "where the worker keeps its state table: rocksdb (on disk under FAPIAO_DATA_DIR) or memory"),
    Key("FAPIAO_CONSOLE_HOST", "127.0.0.1", "the operator's console listen address (it shows personal data: keep it on loopback or behind TLS)"),
    Key("FAPIAO_CONSOLE_PORT", "8782", "the operator's console port"),
    Key("FAPIAO_CONSOLE_TOKEN", None, "token the console asks for (Authorization: Bearer, or its login form), at least 16 characters; unset: `fapiao console` refuses to start, `fapiao up` makes one", secret=True),
    Key("FAPIAO_CONSOLE_SECURE_COOKIE", "auto", "whether the console's session cookie is Secure: auto (when the request came over HTTPS), on (behind a TLS-terminating proxy, which the console sees as HTTP) or off"),
    Key("FAPIAO_ISSUE_BATCH", "200", "most provider calls the issue agent keeps in flight at once"),
    Key("FAPIAO_PROVIDER_TIMEOUT_S", "10", "provider HTTP timeout; past it a submit is in doubt"),
    Key("FAPIAO_IN_DOUBT_GRACE_S", "5", "wait before querying a serial left in doubt"),
    Key("FAPIAO_PENDING_RECHECK_S", "60", "wait after acceptance before querying when no callback came"),
    Key("FAPIAO_RETRY_BASE_S", "1", "first retry delay (doubles each attempt, with jitter)"),
    Key("FAPIAO_RETRY_CAP_S", "60", "largest retry delay"),
    Key("FAPIAO_MAX_ATTEMPTS", "8", "submissions before a retryable error becomes a failed result"),
    Key("FAPIAO_WAIT_CAP_S", "600", "longest a repeated wait grows (a paused seller's probe, an in-doubt query, a recheck)"),
    Key("FAPIAO_RED_FORM_POLL_S", "60", "first wait before asking again about a red-letter form awaiting the counterparty (doubles up to `FAPIAO_WAIT_CAP_S`)"),
    Key("FAPIAO_RED_FORM_DEADLINE_S", "259200", "life of a red-letter form awaiting the counterparty when the provider gives no entry time (the bureau's 72 h)"),
    Key("FAPIAO_SELLER_RATE_PER_S", "100", "most provider calls per second for one seller tax ID (per worker)"),
    Key("FAPIAO_SELLER_BURST", "200", "calls one seller may make at once before the rate applies"),
    Key("FAPIAO_SELLER_PROBE_S", "10", "after a session error, how long a seller stays paused before a probe"),
    Key("FAPIAO_WATCHDOG_STALL_S", "120", "a partition with lag whose offset has not moved this long fails readiness (> 4 x provider timeout)"),
    Key("FAPIAO_RECONCILE_INTERVAL_S", "1", "how often the reconcile timer looks for serials that are due"),
    Key("FAPIAO_LOG_FORMAT", "text", "log lines for humans (text) or one JSON object a line (json) for a log pipeline"),
)

_BY_NAME = {key.name: key for key in KEYS}
_SWITCH: dict[str, bool | None] = {"AUTO": None, "ON": True, "OFF": False}


@dataclass(frozen=True)
class KingdeeSettings:
    base_url: str | None
    app_id: str
    app_secret: str = field(repr=False)  # secrets are never printed, not even in a repr
    account_id: str
    user: str = field(repr=False)
    business_system_code: str
    aes_password: str | None = field(repr=False)


@dataclass(frozen=True)
class YipiaoyunSettings:
    base_url: str | None
    app_id: str
    app_secret: str = field(repr=False)  # secrets are never printed, not even in a repr
    sign_type: str


@dataclass(frozen=True)
class KafkaSecurity:
    """How every Kafka client (faust's and confluent-kafka's) authenticates and encrypts."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "PLAIN"
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str | None
    schema_registry_url: str | None
    topic_prefix: str
    partitions: int
    app_id: str
    kingdee: KingdeeSettings
    yipiaoyun: YipiaoyunSettings
    gateway_host: str
    gateway_port: int
    gateway_max_body_bytes: int
    gateway_ack_deadline_s: float
    gateway_rate_per_s: float
    gateway_burst: int
    gateway_allow_cidrs: tuple[str, ...]
    gateway_shared_secret: str | None = field(repr=False)
    gateway_secret_routes: tuple[str, ...]
    web_host: str
    web_port: int
    data_dir: Path
    console_host: str
    console_port: int
    console_token: str | None = field(repr=False)
    issue_batch: int
    provider_timeout_s: float
    in_doubt_grace_s: float
    pending_recheck_s: float
    retry_base_s: float
    retry_cap_s: float
    max_attempts: int
    reconcile_interval_s: float
    wait_cap_s: float
    red_form_poll_s: float
    red_form_deadline_s: float
    seller_rate_per_s: float
    seller_burst: int
    seller_probe_s: float
    watchdog_stall_s: float
    kafka_security: KafkaSecurity = KafkaSecurity()
    log_format: str = "text"
    kafka_connect_timeout_s: float = 30.0
    table_store: str = "rocksdb"
    console_secure_cookie: bool | None = None  # None: as the request is (auto)


def _merged(env: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    path = env.get("FAPIAO_CONFIG")
    if path:
        try:
            loaded = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"FAPIAO_CONFIG={path}: {exc}") from exc
        unknown = sorted(set(loaded) - set(_BY_NAME))
        if unknown:
            raise ConfigurationError(f"FAPIAO_CONFIG={path}: unknown keys {', '.join(unknown)}")
        values.update({k: str(v) for k, v in loaded.items()})
    values.update({k: v for k, v in env.items() if k in _BY_NAME and v != ""})
    values.update(_secret_files(env))
    return values


def _secret_files(env: Mapping[str, str]) -> dict[str, str]:
    """Secrets given as `<KEY>_FILE=path`: the file's content, without the trailing newline editors add."""
    found: dict[str, str] = {}
    for key in KEYS:
        path = env.get(f"{key.name}_FILE")
        if not key.secret or not path:
            continue
        if env.get(key.name):
            raise ConfigurationError(f"{key.name} and {key.name}_FILE are both set: use one")
        try:
            found[key.name] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:  # the message names the path, never the content
            raise ConfigurationError(f"{key.name}_FILE={path}: {exc.strerror}") from exc
    return found


def _names(value: str | None) -> tuple[str, ...]:
    """A comma-separated list, blanks dropped."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read every setting; raise `ConfigurationError` naming the key that is wrong."""
    values = _merged(os.environ if env is None else env)

    def get(name: str) -> str | None:
        return values.get(name, _BY_NAME[name].default)

    def text(name: str) -> str:
        value = get(name)
        if value is None:
            raise ConfigurationError(f"{name} is required")
        return value

    def number(name: str, kind: type[int] | type[float]) -> int | float:
        raw = text(name)
        try:
            value = kind(raw)
        except ValueError as exc:
            raise ConfigurationError(f"{name}={raw!r} is not a {kind.__name__}") from exc
        if not value > 0 or value == float("inf"):  # `not >`: NaN compares false both ways
            raise ConfigurationError(f"{name}={raw!r} must be positive and finite")
        return value

    def choice(name: str, allowed: tuple[str, ...]) -> str:
        value = text(name).upper()
        if value not in allowed:
            raise ConfigurationError(f"{name}={value!r}: use {', '.join(allowed)}")
        return value

    security = KafkaSecurity(
        protocol=choice("FAPIAO_KAFKA_SECURITY_PROTOCOL", SECURITY_PROTOCOLS),
        sasl_mechanism=choice("FAPIAO_KAFKA_SASL_MECHANISM", SASL_MECHANISMS),
        sasl_username=get("FAPIAO_KAFKA_SASL_USERNAME"),
        sasl_password=get("FAPIAO_KAFKA_SASL_PASSWORD"),
        ssl_cafile=get("FAPIAO_KAFKA_SSL_CAFILE"),
        ssl_certfile=get("FAPIAO_KAFKA_SSL_CERTFILE"),
        ssl_keyfile=get("FAPIAO_KAFKA_SSL_KEYFILE"),
    )
    if security.protocol.startswith("SASL_") and not (security.sasl_username and security.sasl_password):
        raise ConfigurationError(f"FAPIAO_KAFKA_SECURITY_PROTOCOL={security.protocol} needs "
                                 "FAPIAO_KAFKA_SASL_USERNAME and FAPIAO_KAFKA_SASL_PASSWORD")
    sign_type = text("FAPIAO_YIPIAOYUN_SIGN_TYPE").upper()
    if sign_type not in ("MD5", "SHA1", "SHA256"):
        raise ConfigurationError(f"FAPIAO_YIPIAOYUN_SIGN_TYPE={sign_type!r}: use MD5, SHA1 or SHA256")
    return Settings(
        kafka_bootstrap=get("FAPIAO_KAFKA_BOOTSTRAP"),
        schema_registry_url=get("FAPIAO_SCHEMA_REGISTRY_URL"),
        topic_prefix=text("FAPIAO_TOPIC_PREFIX"),
        partitions=int(number("FAPIAO_PARTITIONS", int)),
        app_id=text("FAPIAO_APP_ID"),
        kingdee=KingdeeSettings(
            base_url=get("FAPIAO_KINGDEE_BASE_URL"),
            app_id=text("FAPIAO_KINGDEE_APP_ID"),
            app_secret=text("FAPIAO_KINGDEE_APP_SECRET"),
            account_id=text("FAPIAO_KINGDEE_ACCOUNT_ID"),
            user=text("FAPIAO_KINGDEE_USER"),
            business_system_code=text("FAPIAO_KINGDEE_BUSINESS_SYSTEM_CODE"),
            aes_password=get("FAPIAO_KINGDEE_AES_PASSWORD"),
        ),
        yipiaoyun=YipiaoyunSettings(
            base_url=get("FAPIAO_YIPIAOYUN_BASE_URL"),
            app_id=text("FAPIAO_YIPIAOYUN_APP_ID"),
            app_secret=text("FAPIAO_YIPIAOYUN_APP_SECRET"),
            sign_type=sign_type,
        ),
        gateway_host=text("FAPIAO_GATEWAY_HOST"),
        gateway_port=int(number("FAPIAO_GATEWAY_PORT", int)),
        gateway_max_body_bytes=int(number("FAPIAO_GATEWAY_MAX_BODY_BYTES", int)),
        gateway_ack_deadline_s=float(number("FAPIAO_GATEWAY_ACK_DEADLINE_S", float)),
        gateway_rate_per_s=float(number("FAPIAO_GATEWAY_RATE_PER_S", float)),
        gateway_burst=int(number("FAPIAO_GATEWAY_BURST", int)),
        gateway_allow_cidrs=_names(get("FAPIAO_GATEWAY_ALLOW_CIDRS")),
        gateway_shared_secret=get("FAPIAO_GATEWAY_SHARED_SECRET"),
        gateway_secret_routes=_names(get("FAPIAO_GATEWAY_SECRET_ROUTES")),
        web_host=text("FAPIAO_WEB_HOST"),
        web_port=int(number("FAPIAO_WEB_PORT", int)),
        data_dir=Path(text("FAPIAO_DATA_DIR")),
        console_host=text("FAPIAO_CONSOLE_HOST"),
        console_port=int(number("FAPIAO_CONSOLE_PORT", int)),
        console_token=get("FAPIAO_CONSOLE_TOKEN"),
        issue_batch=int(number("FAPIAO_ISSUE_BATCH", int)),
        provider_timeout_s=float(number("FAPIAO_PROVIDER_TIMEOUT_S", float)),
        in_doubt_grace_s=float(number("FAPIAO_IN_DOUBT_GRACE_S", float)),
        pending_recheck_s=float(number("FAPIAO_PENDING_RECHECK_S", float)),
        retry_base_s=float(number("FAPIAO_RETRY_BASE_S", float)),
        retry_cap_s=float(number("FAPIAO_RETRY_CAP_S", float)),
        max_attempts=int(number("FAPIAO_MAX_ATTEMPTS", int)),
        reconcile_interval_s=float(number("FAPIAO_RECONCILE_INTERVAL_S", float)),
        wait_cap_s=float(number("FAPIAO_WAIT_CAP_S", float)),
        red_form_poll_s=float(number("FAPIAO_RED_FORM_POLL_S", float)),
        red_form_deadline_s=float(number("FAPIAO_RED_FORM_DEADLINE_S", float)),
        seller_rate_per_s=float(number("FAPIAO_SELLER_RATE_PER_S", float)),
        seller_burst=int(number("FAPIAO_SELLER_BURST", int)),
        seller_probe_s=float(number("FAPIAO_SELLER_PROBE_S", float)),
        watchdog_stall_s=float(number("FAPIAO_WATCHDOG_STALL_S", float)),
        kafka_security=security,
        log_format=choice("FAPIAO_LOG_FORMAT", ("TEXT", "JSON")).lower(),
        kafka_connect_timeout_s=float(number("FAPIAO_KAFKA_CONNECT_TIMEOUT_S", float)),
        table_store=choice("FAPIAO_TABLE_STORE", ("ROCKSDB", "MEMORY")).lower(),
        console_secure_cookie=_SWITCH[choice("FAPIAO_CONSOLE_SECURE_COOKIE", tuple(_SWITCH))],
    )
