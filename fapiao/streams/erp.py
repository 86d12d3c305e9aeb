"""An ERP's record on `fapiao.requests`, read twice: by intake for the serial it is for (to re-key it), and by
the fold for the request it asks for. Intake sends the record on as it came, in the REQUEST signal's `raw`.

Why not parse it once, in intake: the parsed request then travelled as Avro inside the signal, so it was
written by intake and read again by the fold, about 270 µs of the 3.5 ms a worker spent on an invoice
(`docs/figures.md`), only to hand over what the ERP's own bytes already say.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

from fapiao.schemas.codec import Codec, DecodeError
from fapiao.schemas.records import Signal, SignalKind
from fapiao.schemas.requests import fingerprint, parse_request

__all__ = ["request_signal", "parsed"]


def request_signal(codec: Codec, value: bytes, origin: str, at: datetime) -> Signal | str:
    """The REQUEST signal for one ERP record (its serial, the record as written), or why it cannot be keyed
    (the record then goes to the DLQ)."""
    try:
        datum = codec.decode_datum(value, "InvoiceRequest")
    except DecodeError as exc:
        return str(exc)
    serial = datum.get("serial")
    if not isinstance(serial, str) or not serial.strip():
        return "request has no serial (发票流水号) to key it by"
    return Signal(serial=serial, kind=SignalKind.REQUEST, at=at, source="intake", origin=origin, raw=value)


def parsed(codec: Codec, signal: Signal) -> Signal:
    """A REQUEST signal as the fold decides on it: the ERP's record parsed into the request, its findings and
    its fingerprint. A request that decodes but breaks the structural rules still comes to a signal (its
    findings ride along, and the fold rejects it with every one), so that the ERP hears back under its serial.
    A signal written before requests travelled raw is parsed already."""
    if signal.raw is None:
        return signal
    request, findings = parse_request(codec.decode_datum(signal.raw, "InvoiceRequest"))
    print_ = fingerprint(request) if request else hashlib.sha256(signal.raw).hexdigest()
    return replace(signal, request=request, findings=tuple(findings), fingerprint=print_, raw=None)
