"""intake_requests: ERP records in, one REQUEST signal per serial out, re-keyed with murmur2.

The ERP may produce with any client and partitioner; re-keying here means a serial's state never
splits across partitions whatever the ERP did. Bytes that are neither JSON nor Avro, or a request
without a serial to key it by, go to the DLQ with the original bytes and the reason.
"""

from __future__ import annotations

import hashlib

from faust.types import EventT, StreamT

from fapiao import clock
from fapiao.schemas.codec import DecodeError
from fapiao.schemas.records import Signal, SignalKind
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.pipeline import Pipeline

__all__ = ["install"]


async def intake_one(pipeline: Pipeline, event: EventT) -> None:
    message = event.message
    try:
        datum = pipeline.codec.decode_datum(message.value or b"", "InvoiceRequest")
    except DecodeError as exc:
        await pipeline.dead_letter(event, str(exc), stage="intake")
        return
    serial = datum.get("serial")
    if not isinstance(serial, str) or not serial.strip():
        await pipeline.dead_letter(event, "request has no serial (发票流水号) to key it by", stage="intake")
        return
    request, findings = parse_request(datum)
    print_ = fingerprint(request) if request else hashlib.sha256(message.value or b"").hexdigest()
    await pipeline.send("signals", serial, Signal(
        serial=serial, kind=SignalKind.REQUEST, at=clock.now(), source="intake", request=request,
        findings=tuple(findings), fingerprint=print_,
        origin=f"{message.topic}[{message.partition}]@{message.offset}"))


def install(pipeline: Pipeline) -> None:
    @pipeline.app.agent(pipeline.topics["requests"], name="intake_requests")
    async def intake_requests(stream: StreamT) -> None:
        async for event in stream.events():
            try:
                await intake_one(pipeline, event)
            except Exception as exc:  # a poison record must not stop the partition
                await pipeline.dead_letter(event, f"{type(exc).__name__}: {exc}", stage="intake")
