"""The faust ceiling's mover: one agent that sends every record of a topic on to another, undecoded.

Run by `fapiao.bench.ceiling.faust_move_rate` as its own process. It batches like the pipeline's agents
(`take_events`, then wait for every send's acknowledgement), writes one JSON line to stdout with the rate from
its first batch to the last acknowledgement, and exits at once: faust may hang in its own shutdown.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid

from faust.types import StreamT

from fapiao.streams.pipeline import BATCH_WINDOW_S, create_app


def main() -> None:
    env = os.environ
    count, partitions = int(env["FAUST_CEILING_COUNT"]), int(env["FAUST_CEILING_PARTITIONS"])
    app = create_app(f"bench-faust-{uuid.uuid4().hex[:8]}", env["FAUST_CEILING_BOOTSTRAP"], web_enabled=False,
                     topic_partitions=partitions, datadir=env["FAUST_CEILING_DATADIR"])
    raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(env["FAUST_CEILING_SOURCE"], partitions=partitions, **raw)
    sink = app.topic(env["FAUST_CEILING_SINK"], partitions=partitions, **raw)
    started: float | None = None  # when the first batch came: the group join is not the runtime's pace
    done = 0

    @app.agent(source, name="move")
    async def move(stream: StreamT) -> None:
        nonlocal started, done
        async for batch in stream.take_events(500, within=BATCH_WINDOW_S):
            started = started or time.monotonic()
            await asyncio.gather(*[await sink.send(key=event.message.key, value=event.message.value)
                                   for event in batch])
            done += len(batch)
            if done >= count:
                rate = round(done / (time.monotonic() - started), 1)
                os.write(1, (json.dumps({"records_per_s": rate}) + "\n").encode())  # faust redirects sys.stdout
                os._exit(0)

    sys.argv = [sys.argv[0], "worker", "--loglevel", "error", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
