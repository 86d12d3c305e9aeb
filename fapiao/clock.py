"""The one clock: every 'now' in fapiao-stream comes from here, so tests can reason about time."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current time, aware, in UTC, to the millisecond: what an Avro timestamp-millis keeps."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
