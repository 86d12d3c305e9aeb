"""What a 红字确认单's status (the tax bureau's `RED_FORM_STATUSES`) means for the red that hangs off it."""

from __future__ import annotations

from enum import Enum

from fapiao.schemas.records import RED_FORM_STATUSES

__all__ = ["Phase", "phase_of", "describe", "failure_code", "REVOKED"]


class Phase(Enum):
    CONFIRMED = "confirmed"  # the red may be issued: nobody must confirm (01), or both sides did (04)
    WAITING = "waiting"  # the counterparty has yet to answer (02, 03, or a provider's own "applying")
    ENDED = "ended"  # void: refused, lapsed, revoked, abnormal, blocked (05..11); nothing may be issued for it


_CONFIRMED = frozenset({"01", "04"})
_ENDED = frozenset({"05", "06", "07", "08", "09", "10", "11"})
REVOKED = "08"


def phase_of(status: str | None) -> Phase:
    """01/04 confirmed, 05..11 ended, anything else (02, 03, a provider's own 申请中) still waiting."""
    if status in _CONFIRMED:
        return Phase.CONFIRMED
    if status in _ENDED:
        return Phase.ENDED
    return Phase.WAITING


def describe(status: str | None) -> tuple[str, str]:
    """The status in Chinese and English, for messages."""
    return RED_FORM_STATUSES.get(status or "", (f"状态 {status}", f"status {status}"))


def failure_code(status: str | None) -> str:
    """The code a red fails with when its form ends in `status`, e.g. red_form_07."""
    return f"red_form_{status}"
