"""Every topic fapiao-stream uses: names from one function, and the configuration each is created with.

All topics have the same partition count and are keyed by serial, so a serial's records, its table
row and its changelog entries always share one partition number (DESIGN.md, guarantee 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from fapiao.schemas.records import CallbackRecord, InvoiceEvent, InvoiceResult, Signal

__all__ = ["TopicSpec", "ROLES", "RECORD_TYPES", "topic_name", "all_topics", "assignor_topic", "TABLE_NAME"]

TABLE_NAME = "invoices"
_KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    role: str
    config: Mapping[str, str]
    help: str


# role -> (config, what it carries). The audit trail is kept forever; replay depends on it.
ROLES: dict[str, tuple[Mapping[str, str], str]] = {
    "requests": (_KEEP_FOREVER, "InvoiceRequest from the ERP (JSON or Avro), keyed by serial by any client"),
    "signals": ({}, "Signal: inputs to the lifecycle fold, keyed by serial with murmur2"),
    "events": (_KEEP_FOREVER, "InvoiceEvent: every transition of every serial (the audit log)"),
    "calls": ({}, "InvoiceEvent: the transitions that owe a provider call (a copy of each), for the issue agent"),
    "results": (_KEEP_FOREVER, "InvoiceResult: one terminal outcome per serial, for the ERP and others"),
    "callbacks": (_KEEP_FOREVER, "Callback: provider webhooks exactly as received by the gateway"),
    "dlq": (_KEEP_FOREVER, "records that could not be handled, with the original bytes and the reason"),
}


# The record each Avro topic carries (requests may be JSON or Avro; the DLQ is JSON).
RECORD_TYPES: dict[str, type] = {"signals": Signal, "events": InvoiceEvent, "calls": InvoiceEvent,
                                 "results": InvoiceResult, "callbacks": CallbackRecord}


def topic_name(prefix: str, role: str) -> str:
    """The topic for a role, e.g. ("fapiao", "events") -> "fapiao.events"."""
    if role not in ROLES:
        raise KeyError(f"unknown topic role {role!r}")
    return f"{prefix}.{role}"


def all_topics(prefix: str, app_id: str) -> list[TopicSpec]:
    """Our topics plus the two faust keeps for itself, which must exist with the same partition count."""
    specs = [TopicSpec(topic_name(prefix, role), role, config, help) for role, (config, help) in ROLES.items()]
    specs.append(TopicSpec(f"{app_id}-{TABLE_NAME}-changelog", "changelog", {"cleanup.policy": "compact"},
                           "faust changelog of the state table (serial -> InvoiceState)"))
    specs.append(assignor_topic(app_id))
    return specs


def assignor_topic(app_id: str) -> TopicSpec:
    """The topic a faust app with this id elects its partition-assignment leader through."""
    return TopicSpec(f"{app_id}-__assignor-__leader", "assignor", {}, "faust's leader election")
