"""The commit watchdog's judgement: when a partition counts as stalled, and when the worker must exit."""

from __future__ import annotations

from fapiao.streams.watchdog import CommitWatch

STALL_S = 10.0


def test_a_partition_with_lag_whose_commit_does_not_move_stalls_after_the_limit_and_not_before() -> None:
    watch = CommitWatch(STALL_S)
    assert watch.look({"p0": (5, 9)}, now=0.0) == {}
    assert watch.look({"p0": (5, 9)}, now=9.9) == {}
    assert watch.look({"p0": (5, 9)}, now=10.0) == {"p0": 10.0}
    assert watch.look({"p0": (5, 12)}, now=15.0) == {"p0": 15.0}  # more to read does not reset it


def test_a_commit_that_moves_resets_the_clock() -> None:
    watch = CommitWatch(STALL_S)
    watch.look({"p0": (5, 9)}, now=0.0)
    assert watch.look({"p0": (6, 9)}, now=9.0) == {}
    assert watch.look({"p0": (6, 9)}, now=18.0) == {}
    assert watch.look({"p0": (6, 9)}, now=19.0) == {"p0": 10.0}


def test_a_partition_with_nothing_to_read_never_stalls_however_long_its_commit_stands() -> None:
    watch = CommitWatch(STALL_S)
    for now in (0.0, 50.0, 500.0):
        assert watch.look({"p0": (9, 9), "p1": (None, 0)}, now=now) == {}


def test_a_partition_never_committed_with_records_to_read_stalls() -> None:
    watch = CommitWatch(STALL_S)
    watch.look({"p0": (None, 3)}, now=0.0)
    assert watch.look({"p0": (None, 3)}, now=10.0) == {"p0": 10.0}


def test_a_partition_taken_away_and_given_back_starts_afresh() -> None:
    watch = CommitWatch(STALL_S)
    watch.look({"p0": (5, 9), "p1": (1, 2)}, now=0.0)
    assert watch.look({"p1": (1, 2)}, now=5.0) == {}  # p0 went to another worker
    assert watch.look({"p0": (5, 9), "p1": (1, 2)}, now=12.0) == {"p1": 12.0}  # p0's clock starts at 12


def test_the_worker_exits_only_at_twice_the_limit() -> None:
    watch = CommitWatch(STALL_S)
    assert not watch.must_exit({})
    assert not watch.must_exit({"p0": 19.9, "p1": 10.0})
    assert watch.must_exit({"p0": 10.0, "p1": 20.0})
