"""Sandbox options every stack a test starts shares: sandboxes that would issue a serial twice.

The "issued twice" oracle (invoices per serial in `/_sandbox/stats`) proves something only when the sandbox
does not refuse a serial it already holds: `--dedupe off`.
"""

from __future__ import annotations

CARELESS = ("--dedupe", "off")
