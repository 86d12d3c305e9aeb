"""What one serial of a red pair tells the other, derived from its transitions (pure).

A red asks its blue for its share and tells it how it ended; the blue answers; a red_cancel asks its red
to withdraw and is answered. Each message is a signal on `fapiao.signals` keyed by the serial it is for,
sent by the fold beside the transitions that cause it, before the row is written. Deriving the messages
from the transitions means a batch decided again after a crash sends them again, the same; each
receiver answers a message once (docs/red-letter.md).
"""

from __future__ import annotations

from typing import Sequence

from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceState, Signal, SignalKind
from fapiao.streams.redletter.forms import REVOKED, failure_code

__all__ = ["crossings", "SOURCE"]

SOURCE = "red"  # the `source` of a signal one serial of a pair sends the other
_WITHDRAWN = frozenset({"red_withdrawn", failure_code(REVOKED)})


def crossings(before: InvoiceState | None, events: Sequence[InvoiceEvent],
              after: InvoiceState | None) -> list[Signal]:
    """The signals to other serials that `events` (one decision, taking `before` to `after`) cause."""
    out: list[Signal] = []
    for event in events:
        def tell(serial: str | None, kind: SignalKind, **fields: object) -> None:
            if serial:
                out.append(Signal(serial=serial, kind=kind, at=event.at, source=SOURCE, peer=event.serial,
                                  **fields))  # type: ignore[arg-type]

        kind = event.type
        if kind is EventType.RESERVING and after is not None:
            tell(event.peer, SignalKind.RED_RESERVE, request=after.request)
        elif kind is EventType.RED_RESERVED:
            tell(event.peer, SignalKind.RED_GRANTED, red=event.red)
        elif kind is EventType.RED_REFUSED:
            tell(event.peer, SignalKind.RED_DENIED, findings=event.findings)
        elif kind is EventType.CANCELLING:
            tell(event.peer, SignalKind.RED_CANCEL)
        elif kind is EventType.CANCEL_REFUSED:
            tell(event.peer, SignalKind.RED_CANCEL_REFUSED, findings=event.findings)
        elif kind in (EventType.ISSUED, EventType.FAILED) and after is not None and after.red is not None:
            blue = after.red.original_serial
            if kind is EventType.ISSUED:
                tell(blue, SignalKind.RED_SETTLE, invoice=event.invoice)
            else:
                tell(blue, SignalKind.RED_RELEASE)
                if before is not None and before.peer and event.code in _WITHDRAWN:
                    tell(before.peer, SignalKind.RED_CANCEL_DONE)
    return out
