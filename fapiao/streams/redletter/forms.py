"""What a 红字确认单's status (the tax bureau's 01..10) means for the red that hangs off it."""

from __future__ import annotations

from enum import Enum

__all__ = ["Phase", "phase_of", "STATUS_NAMES", "describe", "failure_code"]


class Phase(Enum):
    CONFIRMED = "confirmed"  # the red may be issued: nobody must confirm (01), or both sides did (04)
    WAITING = "waiting"  # the counterparty has yet to answer (02, 03, or a provider's own "applying")
    ENDED = "ended"  # void: refused, lapsed, revoked, abnormal (05..11); nothing may be issued for it


STATUS_NAMES = {
    "01": ("无需确认", "needs no confirmation"),
    "02": ("销方录入待购方确认", "raised by the seller, awaiting the buyer"),
    "03": ("购方录入待销方确认", "raised by the buyer, awaiting the seller"),
    "04": ("购销双方已确认", "confirmed by both sides"),
    "05": ("作废(销方录入购方否认)", "void: the buyer refused"),
    "06": ("作废(购方录入销方否认)", "void: the seller refused"),
    "07": ("作废(超72小时未确认)", "void: not confirmed within 72 hours"),
    "08": ("作废(发起方已撤销)", "void: revoked by whoever raised it"),
    "09": ("作废(确认后撤销)", "void: revoked after confirmation"),
    "10": ("作废(异常凭证)", "void: abnormal voucher"),
    "11": ("作废(纳税人状态异常阻断)", "void: taxpayer status blocked"),
}
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
    return STATUS_NAMES.get(status or "", (f"状态 {status}", f"status {status}"))


def failure_code(status: str | None) -> str:
    """The code a red fails with when its form ends in `status`, e.g. red_form_07."""
    return f"red_form_{status}"
