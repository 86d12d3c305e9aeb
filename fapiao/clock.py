"""The one clock: every 'now' in fapiao-stream comes from here, so tests can reason about time."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)
