"""Fixtures of the fault tests: each test runs its own stack (own embedded broker) and stops it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
from fault_support import Run, deliberately_invalid
from sandbox_options import CARELESS

from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests
from fapiao.schemas.codec import Codec
from fapiao.settings import load
from fapiao.streams.topics import topic_name


@pytest.fixture
def fault_run(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Start a stack (own embedded broker, sandboxes that would issue twice where they can) and make `count`
    valid demo requests for it, with the hand-written deliberate mistakes spread among them."""
    stacks: list[Stack] = []

    def start(count: int, provider: str = "kingdee", sandbox_args: tuple[str, ...] = (), workers: int = 1,
              mistakes: bool = True, env: dict[str, str] | None = None, processes: int = 1) -> Run:
        run_id = uuid.uuid4().hex[:6]
        settings = load({k: v for k, v in os.environ.items() if k != "FAPIAO_KAFKA_BOOTSTRAP"}
                        | {"FAPIAO_APP_ID": f"fault-{run_id}"})
        providers = ("kingdee", "yipiaoyun") if provider == "mixed" else (provider,)
        # CARELESS: sandboxes that would issue a serial twice, so the oracle counts what the worker does
        stack = Stack(settings, tmp_path / run_id, StackOptions(
            providers=providers, sandbox_args=(*sandbox_args, *CARELESS), workers=workers, processes=processes,
            env=env or {}))
        stacks.append(stack)
        stack.start()
        requests = list(demo_requests(count, provider, invalid_every=0, prefix=f"F{run_id}"))
        invalid = deliberately_invalid(f"F{run_id}", provider) if mistakes else {}
        for index, (request, _) in enumerate(invalid.values()):  # spread through the run
            requests.insert((index + 1) * len(requests) // (len(invalid) + 1), request)
        watcher = ResultWatcher(stack.cluster, topic_name(settings.topic_prefix, "results"), Codec(),
                                (r["serial"] for r in requests))
        return Run(stack, requests, watcher, {serial: code for serial, (_, code) in invalid.items()})

    yield start
    for stack in stacks:
        stack.stop()
