"""read_callbacks: the callback agent. Provider webhooks (as the gateway stored them) in, signals out.

A signed provider's callback (yipiaoyun; the gateway already refused bad signatures) is the
provider's word. An unsigned one (Kingdee) is a hint: the fold answers it with a query, so a forged
callback can at most cause a query. Callbacks the gateway flagged (malformed, rejected) are kept on
the topic for audit and change nothing. A duplicate callback decides nothing in the fold; one for a
serial we never saw becomes an `orphan_callback` event.
"""

from __future__ import annotations

from faust.types import EventT, StreamT

from fapiao import clock
from fapiao.connectors.provider import CallbackParser, OutcomeKind
from fapiao.schemas.records import CallbackRecord
from fapiao.streams.lifecycle import CALLBACK_HINT, CALLBACK_VERIFIED
from fapiao.streams.outcomes import signal_for
from fapiao.streams.pipeline import Pipeline

__all__ = ["install"]

SIGNED = frozenset({"yipiaoyun"})


async def read_one(pipeline: Pipeline, parsers: dict[str, CallbackParser], event: EventT) -> None:
    record = pipeline.codec.decode(event.message.value or b"", CallbackRecord)
    if record.verdict != "accepted":
        return
    parser = parsers.get(record.provider)
    if parser is None:
        await pipeline.dead_letter(event, f"no callback parser for provider {record.provider!r}", stage="callback")
        return
    for facts in parser.parse(record.body, record.headers):
        # 票申 signs only appId, nonceStr, timestamp and signType, not the body. An issued callback
        # carries invoice numbers we can take; a failure could be forged to make the ERP re-issue, so
        # it only makes the fold ask the provider.
        trusted = record.provider in SIGNED and facts.outcome.kind is OutcomeKind.ISSUED
        source = CALLBACK_VERIFIED if trusted else CALLBACK_HINT
        if not facts.serial:
            await pipeline.dead_letter(event, "callback names no serial we can match", stage="callback")
            continue
        await pipeline.send("signals", facts.serial, signal_for(
            facts.serial, facts.outcome, at=clock.now(), source=source, attempt=0))


def install(pipeline: Pipeline, parsers: dict[str, CallbackParser]) -> None:
    @pipeline.app.agent(pipeline.topics["callbacks"], name="read_callbacks")
    async def read_callbacks(stream: StreamT) -> None:
        async for event in stream.events():
            try:
                await read_one(pipeline, parsers, event)
            except Exception as exc:  # MalformedCallback and anything else: keep the partition flowing
                await pipeline.dead_letter(event, f"{type(exc).__name__}: {exc}", stage="callback")
            pipeline.finished("callbacks", (event,))
