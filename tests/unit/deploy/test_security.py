"""FAPIAO_KAFKA_* settings mapped to librdkafka properties and to faust's broker credentials."""

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

from fapiao.connectors.security import broker_credentials, security_config
from fapiao.exceptions import ConfigurationError
from fapiao.settings import load

SASL = {"FAPIAO_KAFKA_SASL_USERNAME": "fapiao", "FAPIAO_KAFKA_SASL_PASSWORD": "pa55word"}


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
    settings = load({})
    assert security_config(settings) == {} and broker_credentials(settings) is None


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_plaintext(mechanism: str) -> None:
    settings = load({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "FAPIAO_KAFKA_SASL_MECHANISM": mechanism,
                     **SASL})
    assert security_config(settings) == {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism,
                                         "sasl.username": "fapiao", "sasl.password": "pa55word"}
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.protocol.value, credentials.mechanism.value) == ("SASL_PLAINTEXT", mechanism)
    assert (credentials.username, credentials.password, credentials.ssl_context) == ("fapiao", "pa55word", None)


def test_sasl_ssl_with_a_ca_file(client_cert: tuple[str, str]) -> None:
    ca, _ = client_cert
    settings = load({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "FAPIAO_KAFKA_SSL_CAFILE": ca, **SASL})
    assert security_config(settings) == {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                                         "sasl.username": "fapiao", "sasl.password": "pa55word",
                                         "ssl.ca.location": ca}
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials) and credentials.protocol.value == "SASL_SSL"
    assert credentials.ssl_context.verify_mode is ssl.CERT_REQUIRED and credentials.ssl_context.check_hostname


def test_mutual_tls(client_cert: tuple[str, str]) -> None:
    cert, key = client_cert
    settings = load({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL", "FAPIAO_KAFKA_SSL_CAFILE": cert,
                     "FAPIAO_KAFKA_SSL_CERTFILE": cert, "FAPIAO_KAFKA_SSL_KEYFILE": key})
    assert security_config(settings) == {"security.protocol": "SSL", "ssl.ca.location": cert,
                                         "ssl.certificate.location": cert, "ssl.key.location": key}
    credentials = broker_credentials(settings)
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
    settings = load({"FAPIAO_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "FAPIAO_KAFKA_SASL_USERNAME": "fapiao",
                     "FAPIAO_KAFKA_SASL_PASSWORD_FILE": str(path)})
    assert security_config(settings)["sasl.password"] == "from-a-file"
    assert "from-a-file" not in repr(settings)


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
