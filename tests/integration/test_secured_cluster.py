"""Every command against a secured cluster: through TLS end to end, and one clear line when the settings and
the cluster disagree (TLS aimed at a plain-text broker, a certificate signed by another CA, nothing there).

Each command runs as `python -m fapiao ...`, as an operator would run it; every process is stopped by its pid.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from tls_support import Certificates, TlsProxy, make_certificates

from fapiao.connectors.broker import EmbeddedBroker, free_port
from fapiao.connectors.stack import FAPIAO, Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests
from fapiao.schemas.codec import Codec
from fapiao.settings import load
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration

# Each command as an operator types it; a broker that does not answer must stop every one of them.
COMMANDS = {
    "worker": ["worker"],
    "gateway": ["gateway", "--host", "127.0.0.1", "--port", "0"],
    "topics": ["topics", "create"],
    "publish": ["publish", "{requests}"],
    "tail": ["tail", "events", "--no-follow"],
    "status": ["status", "NO-SUCH-SERIAL"],
    "audit": ["audit", "--json"],
    "replay": ["replay", "--json"],
    "writeback": ["writeback", "--url", "http://127.0.0.1:9/results"],
    "bench": ["bench", "--count", "1"],
    "console": ["console", "--host", "127.0.0.1", "--port", "0"],
}
REQUESTS = list(demo_requests(3, "yipiaoyun", invalid_every=0))


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_bootstrap(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A broker reachable only through TLS: Tansu behind a TLS proxy, advertising the proxy's address."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker(log_path=log_path, advertise=f"127.0.0.1:{port}") as broker:
        proxy = TlsProxy(certificates, port, target_port=broker.port).start()
        try:
            yield f"127.0.0.1:{port}"
        finally:
            proxy.stop()


def run(args: list[str], env: dict[str, str], tmp_path: Path, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REQUESTS), encoding="utf-8")
    command = [*FAPIAO, *(arg.format(requests=requests) for arg in args)]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout_s,
                          check=False, cwd=tmp_path)


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *names: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert all(name in lines[0] for name in names), lines[0]
    return lines[0]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_tls_aimed_at_a_plain_text_broker_stops_every_command_with_one_line(
        name: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    env = {"FAPIAO_KAFKA_BOOTSTRAP": kafka_bootstrap, "FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL",
           "FAPIAO_KAFKA_CONNECT_TIMEOUT_S": "2", "FAPIAO_DATA_DIR": str(tmp_path / "var"),
           "FAPIAO_CONSOLE_TOKEN": "a-token-for-the-console"}
    assert_one_clear_line(run(COMMANDS[name], env, tmp_path), kafka_bootstrap, "FAPIAO_KAFKA_SECURITY_PROTOCOL=SSL")


def test_tail_of_a_broker_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    done = run(COMMANDS["tail"], {"FAPIAO_KAFKA_BOOTSTRAP": nowhere, "FAPIAO_KAFKA_CONNECT_TIMEOUT_S": "2"}, tmp_path)
    assert_one_clear_line(done, nowhere, "FAPIAO_KAFKA_BOOTSTRAP")


def test_a_certificate_from_another_ca_is_refused_in_one_line(tls_bootstrap: str, tmp_path: Path) -> None:
    other = make_certificates(tmp_path / "other", ca_name="someone-else")
    env = {"FAPIAO_KAFKA_BOOTSTRAP": tls_bootstrap, "FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL",
           "FAPIAO_KAFKA_SSL_CAFILE": str(other.ca)}
    line = assert_one_clear_line(run(COMMANDS["tail"], env, tmp_path), tls_bootstrap, "FAPIAO_KAFKA_SSL_CAFILE")
    assert "certificate verify failed" in line


def test_a_plain_text_client_gets_no_answer_from_the_tls_listener(tls_bootstrap: str, tmp_path: Path) -> None:
    """The listener really is TLS only: without the setting, nothing reaches the broker behind it."""
    done = run(COMMANDS["topics"], {"FAPIAO_KAFKA_BOOTSTRAP": tls_bootstrap, "FAPIAO_KAFKA_CONNECT_TIMEOUT_S": "2"},
               tmp_path)
    assert_one_clear_line(done, tls_bootstrap, "FAPIAO_KAFKA_SECURITY_PROTOCOL")


def test_the_whole_pipeline_and_the_commands_run_over_tls(tls_bootstrap: str, certificates: Certificates,
                                                          tmp_path: Path) -> None:
    """Worker (faust on aiokafka), gateway, topics, publish, tail, audit and status, all through TLS only."""
    tls = {"FAPIAO_KAFKA_BOOTSTRAP": tls_bootstrap, "FAPIAO_KAFKA_SECURITY_PROTOCOL": "SSL",
           "FAPIAO_KAFKA_SSL_CAFILE": str(certificates.ca), "FAPIAO_TOPIC_PREFIX": "tls", "FAPIAO_APP_ID": "fapiao-tls",
           "FAPIAO_PARTITIONS": "2"}
    assert run(COMMANDS["topics"], tls, tmp_path).returncode == 0
    settings = load({**os.environ, **tls})
    with Stack(settings, tmp_path, StackOptions(providers=("yipiaoyun",), env=tls)) as stack:
        watcher = ResultWatcher(stack.cluster, topic_name("tls", "results"), Codec(), [r["serial"] for r in REQUESTS])
        try:
            published = run(COMMANDS["publish"], tls, tmp_path)
            assert published.returncode == 0, published.stderr
            assert watcher.wait(90), f"no result for {watcher.pending}"
        finally:
            watcher.close()
        assert {result.status.value for result in watcher.results.values()} == {"issued"}
    tail = run(COMMANDS["tail"], tls, tmp_path)
    assert tail.returncode == 0 and len(tail.stdout.splitlines()) >= len(REQUESTS), tail.stderr
    audit = run(COMMANDS["audit"], tls, tmp_path)
    assert audit.returncode == 0 and json.loads(audit.stdout.splitlines()[-1])["ok"], audit.stderr
    status = run(["status", REQUESTS[0]["serial"], "--json"], tls, tmp_path)
    assert status.returncode == 0 and json.loads(status.stdout)["entries"], status.stderr
