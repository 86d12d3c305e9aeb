"""The guards the mutation check breaks, one at a time, and the test that must fail when each is broken.

A guard is broken by a source transformation of one module as Python imports it (`install`), in the test
process and in every process it starts (workers, sandboxes): no file is edited. Each transformation names
the exact text it replaces, and refuses to run when that text is not in the module exactly once, so a guard
that moved is reported as such rather than as a test that did not fail.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Sequence

__all__ = ["Guard", "GUARDS", "applies", "install"]

ROOT = Path(__file__).resolve().parents[2]
ENV = "FAPIAO_MUTANT"


@dataclass(frozen=True)
class Guard:
    name: str
    what: str  # the guarantee's guard, in words
    module: str
    old: str
    new: str
    tests: Sequence[str]  # pytest node ids, relative to the repository
    oracle: str  # what the tests read, independent of the guarded code


GUARDS: tuple[Guard, ...] = (
    Guard(
        name="resubmit-on-timeout",
        what="a submission that timed out is in doubt and queried before anything is sent again",
        module="fapiao.streams.outcomes",
        old="    OutcomeKind.IN_DOUBT: SignalKind.IN_DOUBT,\n",
        new="    OutcomeKind.IN_DOUBT: SignalKind.RETRYABLE,  # MUTANT: a timeout is retried, no query\n",
        tests=("tests/fault/test_faults.py::test_provider_errors_timeouts_lost_and_duplicated_callbacks_and_expiring_tokens",),
        oracle="issued_per_serial from both sandboxes' /_sandbox/stats",
    ),
    Guard(
        name="adopt-without-totals",
        what="a duplicate answer is adopted only when the provider's invoice has our totals",
        module="fapiao.streams.outcomes",
        old="        if mismatched:\n",
        new="        if False:  # MUTANT: adopt whatever the provider holds\n",
        tests=("tests/integration/test_serial_held_elsewhere.py",),
        oracle="the result on fapiao.results against the invoice the test placed in the sandbox",
    ),
    Guard(
        name="fold-rows-before-acks",
        what="the fold writes its rows (and so commits) only after the broker has the batch's events and results",
        module="fapiao.streams.invoices",
        old="    await asyncio.gather(*sent)  # Step 1.\n"
            "    written = [pipeline.put_state(row) for row in folded.rows.values()]  # Step 2.\n",
        new="    written = [pipeline.put_state(row) for row in folded.rows.values()]  # MUTANT: rows first\n"
            "    await asyncio.gather(*sent)\n",
        tests=("tests/unit/streams/test_batch_acks.py::test_the_fold_writes_its_rows_only_after_the_broker_has_every_event_and_result",),
        oracle="a recording broker double: which sends were acknowledged when each row was written",
    ),
    Guard(
        name="fold-marks-rows-late",
        what="the fold's rows count as being written before any of the batch's transitions is sent, so a call "
             "read before its row is written waits for it",
        module="fapiao.streams.invoices",
        old="    pipeline.guard.writing(list(folded.rows))  # before any send: a call read before its row is written waits\n",
        new="    pass  # MUTANT: rows are marked only as put_state writes them (after step 1)\n",
        tests=("tests/unit/streams/test_batch_acks.py::test_the_fold_writes_its_rows_only_after_the_broker_has_every_event_and_result",),
        oracle="a recording broker double: what the guard holds while the batch's sends are unacknowledged",
    ),
    Guard(
        name="intake-commits-unacked",
        what="intake's batch ends (and faust commits it) only once the broker has every signal",
        module="fapiao.streams.intake",
        old="    await asyncio.gather(*deliveries)\n",
        new="    pass  # MUTANT: faust commits after its flush, which does not report a send that failed for good\n",
        tests=("tests/unit/streams/test_batch_acks.py::test_a_request_signal_the_broker_refuses_for_good_fails_the_intake_batch",),
        oracle="a recording broker double that refuses one signal for good",
    ),
    Guard(
        name="intake-drops-a-signal",
        what="every ERP record becomes a REQUEST signal (or a DLQ record)",
        module="fapiao.streams.intake",
        old="    for event in batch:\n        try:\n            deliveries.append(await intake_one(pipeline, event))\n",
        new="    for event in batch[1:]:  # MUTANT: the first record of every batch is dropped\n        try:\n"
            "            deliveries.append(await intake_one(pipeline, event))\n",
        tests=("tests/integration/test_end_to_end.py::test_valid_requests_are_issued_and_invalid_ones_rejected_with_reasons",),
        oracle="one result per request on fapiao.results (ResultWatcher), and the sandboxes' stats",
    ),
    Guard(
        name="issue-calls-a-copy",
        what="the issue agent calls once per (serial, seq): a transition decided again after a crash is not sent again",
        module="fapiao.streams.issuing",
        old="    if not guard.first(transition.serial, transition.seq):\n",
        new="    if False:  # MUTANT: every copy is called\n",
        tests=("tests/unit/streams/test_issue_guard.py::test_a_copy_of_a_transition_already_called_is_not_called_again",),
        oracle="a provider double that counts its calls",
    ),
    Guard(
        name="issue-sends-inherited",
        what="a submission inherited with its partition is reported in doubt, not sent again",
        module="fapiao.streams.issuing",
        old="    if guard.inherited(message.partition, message.offset, message.timestamp):\n",
        new="    if False:  # MUTANT: inherited submissions are sent\n",
        tests=("tests/unit/streams/test_issue_guard.py::test_a_submission_inherited_with_its_partition_is_in_doubt_and_not_sent",),
        oracle="a provider double that counts its calls",
    ),
    Guard(
        name="issue-before-durable",
        what="a call waits until the fold's row for it is durable (a crash before that leaves no call behind)",
        module="fapiao.streams.issuing",
        old="    if not await guard.until_durable(transition.serial, DURABLE_WAIT_S):\n",
        new="    if False:  # MUTANT: called while the row may still be lost\n",
        tests=("tests/unit/streams/test_issue_guard.py::test_a_call_waits_until_the_row_that_holds_it_is_durable",),
        oracle="a provider double that counts its calls, and when",
    ),
    Guard(
        name="issue-acks-out-of-order",
        what="a record of fapiao.calls is acknowledged (and so committed) only with every earlier one of its partition",
        module="fapiao.streams.inorder",
        old="        queue = self._queues[entry.partition]\n",
        new="        queue = self._queues[entry.partition]\n"
            "        queue.remove(entry)\n"
            "        return [entry.item]  # MUTANT: released when its own work is done, whatever is before it\n",
        tests=("tests/unit/streams/test_issuing.py::"
               "test_a_slow_call_holds_back_only_the_acknowledgements_behind_it_in_its_partition",),
        oracle="the records a recording ack received, and in which order",
    ),
    Guard(
        name="issue-acks-before-the-answer",
        what="a record of fapiao.calls is acknowledged only once the broker has its answer",
        module="fapiao.streams.issuing",
        old="            await (await self.pipeline.send(\"signals\", signal.serial, signal))\n",
        new="            await self.pipeline.send(\"signals\", signal.serial, signal)  # MUTANT: the broker's ack is not awaited\n",
        tests=("tests/unit/streams/test_issuing.py::"
               "test_an_answer_the_broker_refuses_exits_the_worker_and_acknowledges_nothing_behind_it",),
        oracle="a recording broker double that refuses one signal after taking it, and a recording ack",
    ),
    Guard(
        name="recovery-stops-at-the-watermark",
        what="a restarted worker's table is read past the broker's reported high watermark to the changelog's end",
        module="fapiao.streams.recovery",
        old="            apply_tail(table.data, tail)\n",
        new="            tail = []  # MUTANT: faust's own recovery only\n",
        tests=("tests/integration/test_agents_on_broker.py::"
               "test_a_worker_restarted_after_sigterm_on_an_empty_disk_holds_every_row_it_wrote_and_rereads_nothing_committed",),
        oracle="each serial's status on fapiao.results, and five rows the test itself wrote last to the changelog in "
               "one batch, against the restarted worker's rows",
    ),
)


def source_of(guard: Guard) -> str:
    """The module's source as Python would import it."""
    spec = importlib.util.find_spec(guard.module)
    assert spec is not None and spec.origin is not None, guard.module
    return Path(spec.origin).read_text(encoding="utf-8")


def applies(guard: Guard) -> bool:
    """Whether the text the guard replaces is in its module exactly once."""
    return source_of(guard).count(guard.old) == 1


class _MutatingLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, guard: Guard) -> None:
        super().__init__(fullname, path)
        self.guard = guard

    def get_code(self, fullname: str) -> object:
        source = Path(self.path).read_text(encoding="utf-8")
        if source.count(self.guard.old) != 1:
            raise ImportError(f"mutant {self.guard.name}: the guarded text is not in {fullname} exactly once")
        return compile(source.replace(self.guard.old, self.guard.new), self.path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.guard.module:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return None
        spec.loader = _MutatingLoader(fullname, spec.origin, self.guard)
        return spec


def install(names: str) -> None:
    """Break the guards named (comma-separated) in this process, for every later import of their modules."""
    for name in names.split(","):
        (guard,) = [g for g in GUARDS if g.name == name]
        assert guard.module not in sys.modules, f"{guard.module} was imported before the mutant was installed"
        sys.meta_path.insert(0, _Finder(guard))
