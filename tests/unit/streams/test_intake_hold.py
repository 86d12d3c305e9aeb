"""Intake holds new requests while too many serials wait for a provider call, and lets them in again."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from streams_support import build_state

from fapiao.schemas.records import Status
from fapiao.settings import load
from fapiao.streams.lifecycle import Policy
from fapiao.streams.pipeline import Pipeline


def _pipeline(cap: int) -> Pipeline:
    settings = dataclasses.replace(load({}), max_waiting_calls=cap)
    return Pipeline(app=None, settings=settings, codec=None, topics={}, table=None,  # type: ignore[arg-type]
                    policy=Policy())


@pytest.mark.parametrize("status", [Status.SUBMITTING, Status.QUERYING])
async def test_intake_is_held_while_the_cap_of_calls_wait_and_let_in_when_one_is_answered(status: Status) -> None:
    pipeline = _pipeline(cap=2)
    pipeline.track_row(build_state(status, serial="A"))
    await asyncio.wait_for(pipeline.room_for_requests(), 1)  # one waiting: room
    pipeline.track_row(build_state(status, serial="B"))
    waiting = asyncio.ensure_future(pipeline.room_for_requests())
    await asyncio.sleep(0.2)
    assert not waiting.done() and pipeline.intake_held
    assert "fapiao_intake_held 1" in pipeline.metrics.render()
    pipeline.track_row(build_state(Status.ACCEPTED, serial="B"))  # answered: its call no longer waits
    await asyncio.wait_for(waiting, 1)
    assert not pipeline.intake_held and pipeline.calling == {"A"}
    assert "fapiao_calls_waiting 1" in pipeline.metrics.render()


@pytest.mark.parametrize("status", [s for s in Status if s not in (Status.SUBMITTING, Status.QUERYING)])
def test_only_a_serial_waiting_for_a_call_counts(status: Status) -> None:
    pipeline = _pipeline(cap=1)
    pipeline.track_row(build_state(Status.SUBMITTING, serial="A"))
    pipeline.track_row(build_state(status, serial="A"))
    assert pipeline.calling == set()


def test_forgetting_the_rows_empties_every_index() -> None:
    pipeline = _pipeline(cap=1)
    pipeline.track_row(build_state(Status.QUERYING, serial="A"))
    pipeline.track_row(build_state(Status.IN_DOUBT, serial="B"))
    pipeline.forget_rows()
    assert (pipeline.calling, pipeline.due) == (set(), {})
    assert "fapiao_in_doubt_serials 0" in pipeline.metrics.render()
