"""The supervisor's decisions: restart or not, how long to wait, what to say, whether the group is ready."""

from __future__ import annotations

import signal

from hypothesis import given
from hypothesis import strategies as st

from fapiao.supervisor.policy import Backoff, Readiness, Restart, describe_exit, group_ready, plan_restart

BACKOFF = Backoff(first_s=1.0, cap_s=30.0, healthy_after_s=60.0)


def test_a_member_that_dies_is_started_again_whatever_its_code_unless_the_supervisor_is_stopping() -> None:
    for code in (0, 1, 3, 4, 70, -signal.SIGKILL, -signal.SIGSEGV):
        assert plan_restart(code, 5.0, None, stopping=False, backoff=BACKOFF) is not None
        assert plan_restart(code, 5.0, None, stopping=True, backoff=BACKOFF) is None


def test_quick_deaths_double_the_wait_up_to_the_cap_and_a_healthy_run_resets_it() -> None:
    delays, previous = [], None
    for _ in range(8):
        plan = plan_restart(1, 2.0, previous, stopping=False, backoff=BACKOFF)
        assert plan is not None
        delays.append(plan.delay_s)
        previous = plan.delay_s
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert plan_restart(1, 60.0, 30.0, stopping=False, backoff=BACKOFF) == Restart(1.0, "exited with code 1 after 60.0s")


def test_the_log_line_says_how_it_died_and_after_how_long() -> None:
    plan = plan_restart(-signal.SIGKILL, 12.34, None, stopping=False, backoff=BACKOFF)
    assert plan is not None and plan.why == "killed by SIGKILL after 12.3s"
    assert describe_exit(4) == "exited with code 4" and describe_exit(-signal.SIGTERM) == "killed by SIGTERM"
    assert describe_exit(-200) == "killed by signal 200"


@given(st.lists(st.tuples(st.integers(-64, 255), st.floats(0, 1e6)), max_size=40))
def test_the_wait_stays_within_first_and_cap_whatever_the_history(deaths: list[tuple[int, float]]) -> None:
    previous: float | None = None
    for code, ran_for in deaths:
        plan = plan_restart(code, ran_for, previous, stopping=False, backoff=BACKOFF)
        assert plan is not None and BACKOFF.first_s <= plan.delay_s <= BACKOFF.cap_s
        assert plan.delay_s == BACKOFF.first_s or (previous is not None and ran_for < BACKOFF.healthy_after_s)
        previous = plan.delay_s


READY, WAITING = Readiness(True), Readiness(False)


def test_the_group_is_ready_when_every_member_answers_and_enough_hold_partitions() -> None:
    assert group_ready([READY, READY], partitions=6)
    assert not group_ready([READY, WAITING], partitions=6)  # one has not joined yet
    assert not group_ready([READY, None], partitions=6)  # one is dead or restarting
    assert not group_ready([READY, Readiness(True, ("fapiao.events[2]",))], partitions=6)  # stalled
    assert not group_ready([], partitions=6)


def test_members_beyond_the_partition_count_are_spares_and_do_not_hold_readiness_back() -> None:
    assert group_ready([READY, READY, WAITING], partitions=2)
    assert not group_ready([READY, WAITING, WAITING], partitions=2)
    assert not group_ready([READY, READY, None], partitions=2)
