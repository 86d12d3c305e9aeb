"""The profile summary of `python -m fapiao.bench.profile`, over py-spy's raw format."""

from __future__ import annotations

from fapiao.bench.profile import parse_raw, summarise

ENTRY = "<module> (fapiao/__main__.py:4);command (fapiao/commands/worker.py:40);run (fapiao/streams/worker.py:71)"
LOOP = "BaseEventLoop._run_once (asyncio/base_events.py:1922);Handle._run (asyncio/events.py:80)"
RAW = "\n".join([
    f"{ENTRY};{LOOP};fold_batch (fapiao/streams/invoices.py:45);Pipeline.send (fapiao/streams/pipeline.py:92);"
    "Codec.encode (fapiao/schemas/codec.py:190) 6",
    f"{ENTRY};{LOOP};install.<locals>.intake_requests (fapiao/streams/intake.py:61);json.loads (json/__init__.py:346) 2",
    f"{ENTRY};{LOOP};Fetcher._proc_fetch_request (aiokafka/consumer/fetcher.py:800) 1",
    "Thread._bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:81) 1",
    "not a sample line",
])


def test_raw_stacks_are_read_outermost_first_with_their_counts() -> None:
    stacks = parse_raw(RAW)
    assert [count for _, count in stacks] == [6, 2, 1, 1]
    innermost = stacks[0][0][-1]
    assert (innermost.function, innermost.file, innermost.line) == ("Codec.encode", "fapiao/schemas/codec.py", 190)


def test_the_summary_shares_self_time_by_package_and_inclusive_time_by_agent_and_function() -> None:
    text = summarise(parse_raw(RAW))
    assert text.startswith("10 samples, every thread of the worker; 10.0 % of them a thread waiting")
    for row in ("| 60.0 % | fapiao |", "| 20.0 % | json |", "| 10.0 % | aiokafka |", "| 10.0 % | concurrent |",
                "| 60.0 % | `streams/invoices.py`, reads signals |", "| 20.0 % | `streams/intake.py`, reads requests |",
                "| 20.0 % | no agent on the stack: faust, aiokafka, the event loop, HTTP |",
                "| 60.0 % | `streams/pipeline.py` Pipeline.send |", "| 20.0 % | `streams/intake.py` intake_requests |"):
        assert row in text.splitlines(), row
    assert "worker.py" not in text and "__main__" not in text  # the entry is under everything: left out
