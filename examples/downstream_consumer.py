"""A downstream consumer of `fapiao.results`: every terminal outcome, decoded with the project's codec.

Run it beside a running system (`fapiao up` prints the bootstrap address):

    FAPIAO_KAFKA_BOOTSTRAP=127.0.0.1:9092 .venv/bin/python examples/downstream_consumer.py

It joins its own consumer group, so it reads each result once per group and resumes where it
stopped. Results are delivered at least once: key your own writes by serial to make repeats harmless.
Offsets are committed after a result is handled, never before. Ctrl-C stops it.
"""

from __future__ import annotations

from confluent_kafka import Consumer

from fapiao.schemas.records import InvoiceResult
from fapiao.schemas.registry import codec_for
from fapiao.settings import load
from fapiao.streams.topics import topic_name


def handle(result: InvoiceResult) -> None:
    """Your business here; this prints what a ledger would book (no buyer data: it can be personal)."""
    number = result.invoice.number if result.invoice else "-"
    print(f"{result.serial} {result.status.value} invoice {number} total {result.total_with_tax} {result.code or ''}")


def main() -> None:
    settings = load()
    codec = codec_for(settings.schema_registry_url)  # Avro single-object, or Confluent with a registry
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap or "127.0.0.1:9092",
                         "group.id": "example-downstream", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": 6000})
    consumer.subscribe([topic_name(settings.topic_prefix, "results")])
    try:
        while True:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            handle(codec.decode(message.value(), InvoiceResult))
            consumer.commit(message, asynchronous=False)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
