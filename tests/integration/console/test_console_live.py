"""`fapiao console` as a real process on a real broker: it reads what is on the topics, follows what
comes after, and answers 401 without the token."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

from fapiao import clock
from fapiao.audit.synthetic import lifecycle, publish, red_letter
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.stack import FAPIAO, Stack, StackOptions
from fapiao.schemas.codec import Codec
from fapiao.settings import Settings

pytestmark = pytest.mark.integration
TOKEN = "console-integration-token"


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f}s: {what}")
        time.sleep(0.2)


@pytest.fixture
def console(topics: Settings, workdir: Path) -> Iterator[tuple[Stack, Settings]]:
    """The console alone, as `fapiao up` starts it (no worker: the test writes every record itself)."""
    stack = Stack(topics, workdir, StackOptions(providers=()))
    try:
        stack.start_console(TOKEN)
        yield stack, topics
    finally:
        stack.stop()


def page(stack: Stack, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{stack.console_url}{path}", headers=headers, timeout=5.0)


def test_the_console_reads_follows_and_guards(console: tuple[Stack, Settings]) -> None:
    stack, settings = console
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    out, codec = Cluster.of(settings).producer(), Codec()
    blue, red = red_letter(lifecycle("LIVE-B1", clock.now() - timedelta(minutes=5)), "LIVE-R1",
                           clock.now() - timedelta(hours=2))
    publish(out, settings.topic_prefix, codec, [blue, red, lifecycle("LIVE-X1", clock.now(), valid=False)])

    wait_for(lambda: "LIVE-R1" in page(stack, "/serials/LIVE-B1", **bearer).text, "the blue's page names its red")
    blue_page = page(stack, "/serials/LIVE-B1", **bearer)
    assert blue_page.status_code == 200 and "issued" in blue_page.text and "What remains" in blue_page.text
    red_page = page(stack, "/serials/LIVE-R1", **bearer).text
    assert "awaiting_counterparty" in red_page and "/serials/LIVE-B1" in red_page and "69 h" in red_page
    overview = page(stack, "/", **bearer).text
    assert "LIVE-R1" in overview and "<svg" in overview

    for path in ("/serials/LIVE-B1", "/"):
        refused = page(stack, path)
        assert refused.status_code == 401 and "LIVE-" not in refused.text and "issued" not in refused.text

    later = lifecycle("LIVE-B2", clock.now())  # written while the console runs: it follows
    publish(out, settings.topic_prefix, codec, [later])
    wait_for(lambda: "issued" in page(stack, "/serials/LIVE-B2", **bearer).text, "a serial written later shows")

    log = (stack.workdir / "logs" / "console.log").read_text()
    assert "LIVE-" not in log and TOKEN not in log


def test_up_prints_the_consoles_url_and_a_token_that_opens_it(settings: Settings, tmp_path: Path) -> None:
    output = tmp_path / "up.out"
    env = {**os.environ, "COLUMNS": "80", "FAPIAO_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
           "FAPIAO_TOPIC_PREFIX": settings.topic_prefix, "FAPIAO_APP_ID": settings.app_id}
    env.pop("FAPIAO_CONSOLE_TOKEN", None)
    with open(output, "wb") as sink:
        up = subprocess.Popen([*FAPIAO, "up", "--workdir", str(tmp_path / "up")], stdout=sink, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env)
    try:
        wait_for(lambda: "Ctrl-C stops" in output.read_text(errors="replace") or up.poll() is not None,
                 "`fapiao up` is up", timeout_s=120)
        text = output.read_text(errors="replace")
        url = re.search(r"operator's console\s*│\s*(http://127\.0\.0\.1:\d+)", text)
        token = re.search(r"choose one\): (\S+)", text)
        assert url and token, text
        assert f"topic      {settings.topic_prefix}.requests" in text and "fapiao publish" in text
        refused = httpx.get(f"{url[1]}/serials/ANY", timeout=5.0)
        assert refused.status_code == 401
        opened = httpx.get(f"{url[1]}/", headers={"Authorization": f"Bearer {token[1]}"}, timeout=5.0)
        assert opened.status_code == 200 and "Overview" in opened.text
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(60)
    assert not re.search(r"%\d\|\d+\.\d+\|", output.read_text(errors="replace"))  # librdkafka's raw lines
