"""`fapiao tail TOPIC`: print a topic's records as JSON lines, decoded, for a person at a terminal."""

from __future__ import annotations

import json
from typing import Any

import click

from fapiao.commands._common import cluster_or_exit, settings_or_exit
from fapiao.connectors.kafka import read_topic
from fapiao.schemas.codec import Codec, DecodeError
from fapiao.schemas.convert import to_json
from fapiao.schemas.registry import codec_for
from fapiao.streams.topics import RECORD_TYPES, ROLES, topic_name


def decode_any(codec: Codec, role: str, value: bytes) -> Any:
    """A topic's record as JSON-ready data; undecodable bytes say so rather than stop the tail."""
    try:
        if role in RECORD_TYPES:
            return to_json(codec.decode(value, RECORD_TYPES[role]))
        if role == "requests":
            return to_json(codec.decode_datum(value, "InvoiceRequest"))
        return json.loads(value)
    except (DecodeError, ValueError) as exc:
        return {"undecodable": str(exc), "bytes": len(value)}


@click.command("tail")
@click.argument("topic", type=click.Choice(sorted(ROLES)))
@click.option("--follow/--no-follow", default=True, help="keep waiting for new records (default) or stop at the end")
def command(topic: str, follow: bool) -> None:
    """Print every record of TOPIC (requests, signals, events, results, callbacks, dlq) from the start."""
    settings = settings_or_exit()
    codec = codec_for(settings.schema_registry_url)
    name = topic_name(settings.topic_prefix, topic)
    for message in read_topic(cluster_or_exit(settings), name, follow=follow):
        record = decode_any(codec, topic, message.value() or b"")
        click.echo(json.dumps({"partition": message.partition(), "offset": message.offset(),
                               "key": (message.key() or b"").decode("utf-8", "replace"), "value": record},
                              ensure_ascii=False))
