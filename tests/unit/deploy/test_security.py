"""FAPIAO_KAFKA_* settings mapped, in `Cluster`, to librdkafka properties and to faust's broker credentials,
for every protocol and mechanism; and the one line a refused connection ends in."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import faust
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from confluent_kafka import KafkaError

from fapiao.connectors.cluster import Cluster, explain
from fapiao.exceptions import ConfigurationError
from fapiao.settings import load

SASL = {"FAPIAO_KAFKA_SASL_USERNAME": "fapiao", "FAPIAO_KAFKA_SASL_PASSWORD": "pa55word"}
BOOTSTRAP = {"FAPIAO_KAFKA_BOOTSTRAP": "kafka-1:9093,kafka-2:9093"}


def security_config(env: dict[str, str]) -> dict[str, object]:
    """The librdkafka properties every confluent-kafka client gets, less the address (checked once below)."""
    config = Cluster.of(load({**BOOTSTRAP, **env})).config()
    assert config.pop("bootstrap.servers") == "kafka-1:9093,kafka-2:9093"
    assert config.pop("log.connection.close") is False
    assert config.pop("logger").name == "fapiao.librdkafka"
    return config


def broker_credentials(env: dict[str, str]) -> object:
    """faust's credentials, as `create_app` passes them with the broker URL."""
    options = Cluster.of(load({**BOOTSTRAP, **env})).faust_options()
    assert options["broker"] == "kafka://kafka-1:9093;kafka://kafka-2:9093"
    return options["broker_credentials"]


@pytest.fixture(scope="module")
def client_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate and its key, as PEM files (stands in for a CA and a client certificate)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fapiao-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_plaintext_adds_nothing_anywhere() -> None:
    assert security_config({}) == {} and broker_credentials({}) is None


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_plaintext(mechanism: str) -> None:
    env = {"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "FAPIAO_KAFKA_SASL_MECHANISM": mechanism, **SASL}
    assert security_config(env) == {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism,
                                         "sasl.username": "fapiao", "sasl.password": "pa55word"}
    credentials = broker_credentials(env)
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.protocol.value, credentials.mechanism.value) == ("SASL_PLAINTEXT", mechanism)
    assert (credentials.username, credentials.password, credentials.ssl_context) == ("fapiao", "pa55word", None)


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl_with_a_ca_file(client_cert: tuple[str, str], mechanism: str) -> None:
    ca, _ = client_cert
    env = {"FAPIAO_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "FAPIAO_KAFKA_SASL_MECHANISM": mechanism.lower(),
           "FAPIAO_KAFKA_SSL_CAFILE": ca, **SASL}
    assert security_config(env) == {"security.protocol": "SASL_SSL", "sasl.mechanism": mechanism,
                                    "sasl.username": "fapiao", "sasl.password": "pa55word", "ssl.ca.location": ca}
    credentials = broker_credentials(env)
    assert isinstance(credentials, faust.SASLCredentials) and credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == mechanism
    assert credentials.ssl_context.verify_mode is ssl.CERT_REQUIRED and credentials.ssl_context.check_hostname


def test_mutual_tls(client_cert: tuple[str, str]) -> None:
    cert, key = client_cert
    env = {"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL", "FAPIAO_KAFKA_SSL_CAFILE": cert,
           "FAPIAO_KAFKA_SSL_CERTFILE": cert, "FAPIAO_KAFKA_SSL_KEYFILE": key}
    assert security_config(env) == {"security.protocol": "SSL", "ssl.ca.location": cert,
                                    "ssl.certificate.location": cert, "ssl.key.location": key}
    credentials = broker_credentials(env)
    assert isinstance(credentials, faust.SSLCredentials) and credentials.protocol.value == "SSL"
    assert credentials.context.verify_mode is ssl.CERT_REQUIRED


@pytest.mark.parametrize("env, complaint", [
    ({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "FAPIAO_KAFKA_SASL_USERNAME"),
    ({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "TLS"}, "FAPIAO_KAFKA_SECURITY_PROTOCOL"),
    ({"FAPIAO_KAFKA_SASL_MECHANISM": "GSSAPI"}, "FAPIAO_KAFKA_SASL_MECHANISM"),
])
def test_wrong_security_settings_are_refused_by_name(env: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        load(env)


def test_a_secret_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "password"
    path.write_text("from-a-file\n", encoding="utf-8")
    env = {"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "FAPIAO_KAFKA_SASL_USERNAME": "fapiao",
           "FAPIAO_KAFKA_SASL_PASSWORD_FILE": str(path)}
    assert security_config(env)["sasl.password"] == "from-a-file"
    assert "from-a-file" not in repr(load(env)) and "from-a-file" not in repr(Cluster.of(load({**BOOTSTRAP, **env})))


def test_a_secret_file_is_refused_beside_the_key_or_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="both set"):
        load({"FAPIAO_KINGDEE_APP_SECRET": "y", "FAPIAO_KINGDEE_APP_SECRET_FILE": str(path)})
    with pytest.raises(ConfigurationError, match="FAPIAO_KINGDEE_APP_SECRET_FILE"):
        load({"FAPIAO_KINGDEE_APP_SECRET_FILE": str(tmp_path / "missing")})


def test_only_secrets_are_read_from_files(tmp_path: Path) -> None:
    path = tmp_path / "prefix"
    path.write_text("elsewhere", encoding="utf-8")
    assert load({"FAPIAO_TOPIC_PREFIX_FILE": str(path)}).topic_prefix == "fapiao"


def test_ssl_without_a_ca_file_verifies_against_the_systems_cas() -> None:
    assert security_config({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL"}) == {"security.protocol": "SSL"}
    credentials = broker_credentials({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL"})
    assert isinstance(credentials, faust.SSLCredentials) and credentials.context.verify_mode is ssl.CERT_REQUIRED


def test_every_client_gets_the_security_settings() -> None:
    """Producers, consumers and admin clients are all built from `config()`: none can leave security out."""
    cluster = Cluster.of(load({**BOOTSTRAP, "FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", **SASL}))
    for client in (cluster.producer(), cluster.consumer("g"), cluster.admin()):
        assert client is not None  # librdkafka took every property (it refuses unknown ones at construction)
    assert cluster.environment() == {"FAPIAO_KAFKA_BOOTSTRAP": "kafka-1:9093,kafka-2:9093",
                                     "FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}


def _cluster(protocol: str = "PLAINTEXT") -> Cluster:
    env = {"FAPIAO_KAFKA_SECURITY_PROTOCOL": protocol, **(SASL if protocol.startswith("SASL") else {})}
    return Cluster.of(load({**BOOTSTRAP, **env}))


@pytest.mark.parametrize("protocol, errors, names", [
    ("PLAINTEXT", [KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down")], ["FAPIAO_KAFKA_BOOTSTRAP"]),
    ("SSL", [KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down")],
     ["FAPIAO_KAFKA_BOOTSTRAP", "FAPIAO_KAFKA_SECURITY_PROTOCOL=SSL"]),
    ("SSL", [KafkaError(KafkaError._SSL, "ssl://kafka-1:9093/bootstrap: SSL handshake failed: error:0A000086:SSL "
                        "routines::certificate verify failed: broker certificate could not be verified, verify that "
                        "ssl.ca.location is correctly configured (after 1ms in state SSL_HANDSHAKE)")],
     ["TLS handshake", "certificate verify failed", "FAPIAO_KAFKA_SSL_CAFILE"]),
    ("SASL_SSL", [KafkaError(KafkaError._AUTHENTICATION, "sasl_ssl://kafka-1:9093/bootstrap: SASL authentication "
                             "error: Authentication failed (after 3ms in state AUTH_REQ)")],
     ["refused the credentials", "Authentication failed", "FAPIAO_KAFKA_SASL_USERNAME", "FAPIAO_KAFKA_SASL_PASSWORD"]),
    ("SSL", [KafkaError(KafkaError._INVALID_ARG, 'ssl.ca.location failed: No such file or directory')],
     ["FAPIAO_KAFKA_SSL_"]),
])
def test_a_refused_connection_is_one_line_naming_the_bootstrap_and_the_setting(
        protocol: str, errors: list[KafkaError], names: list[str]) -> None:
    line = explain(_cluster(protocol), errors, 30.0)
    assert "\n" not in line and "kafka-1:9093,kafka-2:9093" in line
    assert all(name in line for name in names), line
    assert "pa55word" not in line and "after 1ms" not in line
