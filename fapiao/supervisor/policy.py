"""What the supervisor decides, as pure functions: whether and when a dead member starts again, how to
say why it died, and whether the group is ready. The shell in `fapiao.supervisor.service` only acts."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Backoff", "Restart", "plan_restart", "describe_exit", "Readiness", "group_ready"]


@dataclass(frozen=True)
class Backoff:
    """Waits before a dead member starts again: `first_s`, doubling on each quick death up to `cap_s`;
    a member that ran `healthy_after_s` before dying starts again after `first_s`."""

    first_s: float = 1.0
    cap_s: float = 30.0
    healthy_after_s: float = 60.0


@dataclass(frozen=True)
class Restart:
    """Start the member again `delay_s` from now; `why` is what the log line says."""

    delay_s: float
    why: str


def plan_restart(returncode: int, ran_for_s: float, previous_delay_s: float | None, stopping: bool,
                 backoff: Backoff = Backoff()) -> Restart | None:
    """A member exited with `returncode` after running `ran_for_s`; the wait before its last start was
    `previous_delay_s` (None for its first start). None: leave it stopped (the supervisor is stopping).

    A member never exits by itself while the supervisor runs, whatever its code: even 0 means it stopped
    taking its share of the partitions, so it is started again, later each time it dies soon after a start.
    """
    if stopping:
        return None
    delay = backoff.first_s
    if previous_delay_s is not None and ran_for_s < backoff.healthy_after_s:  # died soon after a restart
        delay = min(backoff.cap_s, max(backoff.first_s, 2 * previous_delay_s))
    return Restart(delay, f"{describe_exit(returncode)} after {ran_for_s:.1f}s")


def describe_exit(returncode: int) -> str:
    """`killed by SIGKILL` for a negative code (the signal), else `exited with code N`."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass(frozen=True)
class Readiness:
    """One member's answer to `/readyz`: None when it did not answer (starting, dead, hung)."""

    ready: bool
    stalled: tuple[str, ...] = ()


def group_ready(answers: Sequence[Readiness | None], partitions: int) -> bool:
    """Ready when every member answers, none has a stalled partition, and as many are ready as can hold
    partitions: members beyond the partition count get none and stay unready, as spares."""
    if not answers or any(answer is None or answer.stalled for answer in answers):
        return False
    return sum(1 for answer in answers if answer and answer.ready) >= min(len(answers), partitions)
