"""The sandbox's business clock: wall time plus an offset a test may move forward (`/_sandbox/clock`).

Invoice dates, form entry dates and form deadlines read this clock, so a test can let 72 hours pass at
once; token lifetimes do not (they are the gateway's, and `/_sandbox/expire-tokens` ends them).
Times are China Standard Time and written "yyyy-MM-dd HH:mm:ss", as the vendor writes them.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable

__all__ = ["BEIJING", "Clock", "written"]

BEIJING = timezone(timedelta(hours=8), "CST")


def written(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class Clock:
    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self.offset_s = 0.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._wall() + self.offset_s, BEIJING)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset_s += seconds
