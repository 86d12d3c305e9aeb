"""`fapiao writeback --url URL`: the ERP write-back sink (反写), until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
from types import FrameType

import click

from fapiao.commands._common import cluster_or_exit, configure_logging, settings_or_exit
from fapiao.connectors.writeback import WritebackSink
from fapiao.schemas.registry import codec_for
from fapiao.streams.topics import topic_name


@click.command("writeback")
@click.option("--url", required=True, help="the ERP endpoint each result is POSTed to as JSON")
@click.option("--timeout-s", default=10.0, show_default=True, help="HTTP timeout of one POST")
@click.option("--backoff-base-s", default=0.5, show_default=True, help="first retry delay (doubles, with jitter)")
@click.option("--backoff-cap-s", default=30.0, show_default=True, help="largest retry delay")
@click.option("--log-level", default="INFO", show_default=True)
def command(url: str, timeout_s: float, backoff_base_s: float, backoff_cap_s: float, log_level: str) -> None:
    """POST every result on fapiao.results to the ERP, in order per serial, at least once.

    Consumer group fapiao-writeback. 5xx and connection errors are retried (that partition waits, the others go
    on); a 4xx puts the result on fapiao.dlq with the ERP's answer. Offsets are committed only for
    results the ERP (or the DLQ) has. SIGTERM stops it after the record in hand.
    """
    settings = settings_or_exit()
    configure_logging(settings, log_level)
    sink = WritebackSink(cluster_or_exit(settings), topic_name(settings.topic_prefix, "results"),
                         topic_name(settings.topic_prefix, "dlq"), url, codec_for(settings.schema_registry_url),
                         timeout_s=timeout_s, backoff_base_s=backoff_base_s, backoff_cap_s=backoff_cap_s)

    def stop(signum: int, frame: FrameType | None) -> None:
        sink.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sink.run()
