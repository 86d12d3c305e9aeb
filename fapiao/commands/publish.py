"""`fapiao publish FILE`: put JSON-lines invoice requests on `fapiao.requests`, as an ERP would."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click
from rich.progress import Progress

from fapiao.commands._common import cluster_or_exit, settings_or_exit
from fapiao.schemas.registry import codec_for
from fapiao.schemas.requests import parse_request
from fapiao.streams.topics import topic_name


def _serial_of(parsed: object) -> bytes | None:
    """The key for a line: its serial when the line is a JSON object that names one."""
    serial = parsed.get("serial") if isinstance(parsed, dict) else None
    return serial.encode("utf-8") if isinstance(serial, str) else None


@click.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--avro", is_flag=True, help="encode each request as Avro instead of sending the JSON line")
def command(file: Path, avro: bool) -> None:
    """Publish each line of FILE (JSON InvoiceRequest) keyed by its serial.

    Lines are sent as they are, bad ones too: the worker answers them (rejected, or the DLQ).
    """
    settings = settings_or_exit()
    topic = topic_name(settings.topic_prefix, "requests")
    codec = codec_for(settings.schema_registry_url)
    out = cluster_or_exit(settings).producer()
    lines = [line for line in file.read_bytes().splitlines() if line.strip()]
    converted = 0
    with Progress(transient=True) as progress:
        task = progress.add_task(f"publishing to {topic}", total=len(lines))
        for line in lines:
            value, parsed = line, _json_or_none(line)
            if avro:
                request, _ = parse_request(parsed)
                if request is not None:
                    value, converted = codec.encode(request, topic), converted + 1
            out.produce(topic, key=_serial_of(parsed), value=value)
            out.poll(0)
            progress.advance(task)
    remaining = out.flush(30)
    if remaining:
        raise click.ClickException(f"{remaining} requests were not acknowledged by the broker")
    click.echo(f"published {len(lines)} requests to {topic}" + (f" ({converted} as Avro)" if avro else ""))


def _json_or_none(line: bytes) -> object:
    try:
        return json.loads(line, parse_float=Decimal)
    except ValueError:
        return None
