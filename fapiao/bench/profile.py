"""Where a worker's CPU goes during a benchmark: `python -m fapiao.bench.profile [--count N] [--seconds S]`.

Runs `fapiao bench --count N --json`; once its timed burst has begun (the worker has read more requests
than the warm-up), samples the worker for S seconds with py-spy (`record --format raw`, every process of the
worker with --processes > 1), waits for the bench to end, and prints a Markdown summary: self time by
package, inclusive time per agent (the outermost frame in `fapiao/streams/`) and so per record type
(each agent reads one), and inclusive time per function of ours. `--summarise RAW` prints it for a
raw file recorded before.
Every wait is bounded; the bench and py-spy are stopped by their pids.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

import httpx

from fapiao.bench.pipeline import WARMUP
from fapiao.bench.process import process_tree

__all__ = ["Frame", "parse_raw", "summarise", "main"]

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
# The record type each agent's module reads (a topology change renames these; the rest adapts).
_READS = {"intake.py": "requests", "invoices.py": "signals", "issuing.py": "calls"}
_BENCH_DEADLINE_S = 900.0
_ENTRY = "fapiao/streams/worker.py"
_WAITS = {("selectors.py", "EpollSelector.select"), ("concurrent/futures/thread.py", "_worker")}
# The worker's entry: under every sample of the main thread, so telling nothing.
_ENTRIES = {"fapiao/__main__.py", "fapiao/cli.py", "fapiao/commands/worker.py", _ENTRY}


class Frame(tuple[str, str, int]):
    """(function, file, line) of one stack frame as py-spy names it."""

    @property
    def function(self) -> str:
        return self[0]

    @property
    def file(self) -> str:
        return self[1]

    @property
    def line(self) -> int:
        return self[2]

    @property
    def ours(self) -> bool:
        return self.file.startswith("fapiao/")  # py-spy names files relative to their sys.path entry


def _frame(text: str) -> Frame:
    match = _FRAME.match(text)
    if not match:
        return Frame((text, "", 0))
    return Frame((match["function"], match["file"], int(match["line"] or 0)))


def parse_raw(text: str) -> list[tuple[list[Frame], int]]:
    """py-spy's raw format, `outer;…;inner COUNT` a line, as (frames outermost first, samples)."""
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([_frame(part) for part in stack.split(";")], int(count)))
    return stacks


def _package(frame: Frame) -> str:
    """`fapiao` for ours, else the top-level module or package (`asyncio`, `faust`, `selectors`)."""
    return re.split(r"[/.]", frame.file, maxsplit=1)[0] or frame.function


def _agent(frames: list[Frame]) -> str:
    """The module of the outermost frame in `fapiao/streams/` below the worker's entry (`worker.py`, which
    is under everything), with the record type its agent reads."""
    outer = next((f for f in frames if f.file.startswith("fapiao/streams/") and f.file != _ENTRY), None)
    if outer is None:
        return "no agent on the stack: faust, aiokafka, the event loop, HTTP"
    module = Path(outer.file).name
    return f"`{outer.file.removeprefix('fapiao/')}`" + (f", reads {_READS[module]}" if module in _READS else "")


def _ours(frames: list[Frame]) -> set[str]:
    """Each function of our code on the stack, once."""
    return {f"`{f.file.removeprefix('fapiao/')}` {f.function.split('.<locals>.')[-1]}" for f in frames
            if f.ours and f.file not in _ENTRIES}


def _table(title: str, shares: Counter[str], total: int, limit: int = 15) -> list[str]:
    lines = [f"| share | {title} |", "|---|---|"]
    lines += [f"| {100 * n / total:.1f} % | {name} |" for name, n in shares.most_common(limit)]
    return lines


def summarise(stacks: Iterable[tuple[list[Frame], int]]) -> str:
    """Markdown tables: self time by package, and inclusive time by agent and by function of ours."""
    stacks = list(stacks)
    total = sum(count for _, count in stacks) or 1
    packages: Counter[str] = Counter()
    agents: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for frames, count in stacks:
        packages[_package(frames[-1])] += count
        agents[_agent(frames)] += count
        functions.update({name: count for name in _ours(frames)})
    waiting = sum(count for frames, count in stacks if (frames[-1].file, frames[-1].function) in _WAITS)
    return "\n".join([f"{total} samples, every thread of the worker; {100 * waiting / total:.1f} % of them a thread "
                      "waiting in select() or an idle thread pool, which py-spy could not tell from work.", "",
                      *_table("self time, by package", packages, total), "",
                      *_table("inclusive, by agent and the record type it reads", agents, total), "",
                      *_table("inclusive, by function of ours", functions, total, limit=20)])


def _wait_for_worker(bench: subprocess.Popen[str], processes: int, deadline: float) -> tuple[int, str]:
    """The bench's worker with `processes` processes (with more than 1, its supervisor; the bench's run of
    one process, which comes first then, is passed over): its pid and web URL."""
    wanted = [b"worker", b"--processes", str(processes).encode()]
    while time.monotonic() < deadline and bench.poll() is None:
        for pid in process_tree(bench.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            port = next((e.split(b"=", 1)[1] for e in environ if e.startswith(b"FAPIAO_WEB_PORT=")), None)
            if b"--member-of" not in argv and port and any(argv[i:i + 3] == wanted for i in range(len(argv))):
                return pid, f"http://127.0.0.1:{port.decode()}"
        time.sleep(0.2)
    raise SystemExit("the bench started no worker in time")


def _requests_read(url: str) -> float:
    """Requests the worker has read so far (from its /metrics)."""
    try:
        text = httpx.get(f"{url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return 0.0
    return sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
               if line.startswith("fapiao_records_in_total{") and '.requests"' in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long py-spy samples the worker")
    parser.add_argument("--rate", type=int, default=200, help="samples per second")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--raw", type=Path, default=None, help="keep py-spy's raw stacks here")
    parser.add_argument("--summarise", type=Path, default=None, metavar="RAW", help="only summarise this raw file")
    args = parser.parse_args()
    if args.summarise:
        print(summarise(parse_raw(args.summarise.read_text())))
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = args.raw or Path(tempfile.mkdtemp(prefix="fapiao-profile-")) / "worker.raw"
    warmup = WARMUP
    bench = subprocess.Popen([sys.executable, "-m", "fapiao", "bench", "--count", str(args.count), "--warmup",
                              str(warmup), "--processes", str(args.processes), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    deadline = time.monotonic() + _BENCH_DEADLINE_S
    try:
        pid, url = _wait_for_worker(bench, args.processes, deadline)
        # from the moment the burst reaches the worker: the warm-up is not what is measured
        while _requests_read(url) <= warmup and time.monotonic() < deadline and bench.poll() is None:
            time.sleep(0.1)
        subprocess.run([py_spy, "record", "-p", str(pid), "-d", str(int(args.seconds)), "-r", str(args.rate),
                        "--format", "raw", "-o", str(raw), *(["--subprocesses"] if args.processes > 1 else [])],
                       check=True, timeout=args.seconds + 60, stdout=subprocess.DEVNULL)
        stdout, _ = bench.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGTERM)
            bench.wait(60)
    figures = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    print(f"`fapiao bench --count {args.count} --processes {args.processes} --json`: "
          f"{figures.get('invoices_per_s')} invoices/s, {figures.get('cpu_ms_per_invoice')} CPU-ms an invoice, "
          f"{figures.get('records_per_invoice')} records an invoice; py-spy {args.seconds:.0f} s at {args.rate}/s "
          f"on the worker, raw stacks in {raw}\n")
    print(summarise(parse_raw(raw.read_text())))


if __name__ == "__main__":
    main()
