"""A batch faust will ack must run to its end, whether the worker is stopping or the batch fails."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from fapiao.streams.pipeline import run_batch
from fapiao.streams.sellers import Circuit, SellerGate


async def test_a_batch_cancelled_by_shutdown_still_finishes_before_the_cancellation_goes_on() -> None:
    finished = asyncio.Event()

    async def batch() -> None:
        await asyncio.sleep(0.2)
        finished.set()

    agent = asyncio.ensure_future(run_batch(batch(), "test"))
    await asyncio.sleep(0.05)
    agent.cancel()
    with pytest.raises(asyncio.CancelledError):
        await agent
    assert finished.is_set()


def test_a_failing_batch_exits_the_process_instead_of_returning() -> None:
    code = ("import asyncio\nfrom fapiao.streams.pipeline import run_batch\n"
            "async def batch():\n    raise RuntimeError('broker refused the batch')\n"
            "asyncio.run(run_batch(batch(), 'test'))\nprint('returned')\n")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 70 and "returned" not in ran.stdout


def test_an_abandoned_probe_lets_the_next_one_through() -> None:
    gate = SellerGate(probe_after_s=1.0)
    gate.on_submit_answer("S", session_error=True, now=0.0)
    assert gate.admit_submit("S", 2.0).allowed  # the probe
    assert not gate.admit_submit("S", 2.0).allowed  # one probe at a time
    gate.abandon("S")  # the probe was cancelled before any answer
    assert gate.circuit("S") is Circuit.HALF_OPEN and gate.admit_submit("S", 2.1).allowed
