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

from faust.types import StreamT

from fapiao.connectors.cluster import Cluster
from fapiao.settings import load
from fapiao.streams.pipeline import BATCH_RECORDS, BATCH_WINDOW_S, RAW_BYTES, create_app


def main() -> None:
    env = os.environ
    count, partitions = int(env["FAUST_CEILING_COUNT"]), int(env["FAUST_CEILING_PARTITIONS"])
    app = create_app(env["FAUST_CEILING_APP_ID"], Cluster.of(load()), web_enabled=False,
                     topic_partitions=partitions, datadir=env["FAUST_CEILING_DATADIR"])
    source = app.topic(env["FAUST_CEILING_SOURCE"], partitions=partitions, **RAW_BYTES)
    sink = app.topic(env["FAUST_CEILING_SINK"], partitions=partitions, **RAW_BYTES)
    # The clock starts once the first batch is done and counts what moved after it: the group join and the
    # first fetch are start-up, not the runtime's pace. A run of one batch is timed from its arrival.
    first: tuple[float, int] | None = None
    done = 0

    @app.agent(source, name="move")
    async def move(stream: StreamT) -> None:
        nonlocal first, done
        async for batch in stream.take_events(BATCH_RECORDS, within=BATCH_WINDOW_S):
            arrived = time.monotonic()
            await asyncio.gather(*[await sink.send(key=event.message.key, value=event.message.value)
                                   for event in batch])
            done += len(batch)
            first = first or (time.monotonic(), done)
            if done >= count:
                since, before = first if done > first[1] else (arrived, 0)
                rate = round((done - before) / (time.monotonic() - since), 1)
                os.write(1, (json.dumps({"records_per_s": rate}) + "\n").encode())  # faust redirects sys.stdout
                os._exit(0)

    sys.argv = [sys.argv[0], "worker", "--loglevel", "error", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
