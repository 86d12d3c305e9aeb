"""What the supervisor's sum carries across a member's restarts: counters, histogram buckets, sums and counts
never go down; gauges are the live processes' alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fapiao.metrics import Registry, samples
from fapiao.supervisor.metrics import Counted, Families, carry, parse, render, total

Key = tuple[str, tuple[tuple[str, str], ...]]


def values(families: Families) -> dict[Key, float]:
    return {(s.name, tuple(sorted(s.labels))): s.value for family in families.values() for s in family.samples.values()}


def process(records: int, lag: int, calls: list[float]) -> Families:
    """One worker process's scrape, as our own registry renders it."""
    registry = Registry()
    registry.counter("fapiao_records_in_total", "Records read.", ("topic",)).inc("fapiao.requests", by=records)
    registry.gauge("fapiao_consumer_lag", "Lag.").set(lag)
    seconds = registry.histogram("fapiao_provider_call_seconds", "Latency.", ("provider",), buckets=(1.0,))
    for value in calls:
        seconds.observe(value, "kingdee")
    return parse(registry.render())


RECORDS: Key = ("fapiao_records_in_total", (("topic", "fapiao.requests"),))
LAG: Key = ("fapiao_consumer_lag", ())
COUNT: Key = ("fapiao_provider_call_seconds_count", (("provider", "kingdee"),))
SUM: Key = ("fapiao_provider_call_seconds_sum", (("provider", "kingdee"),))
INF: Key = ("fapiao_provider_call_seconds_bucket", (("le", "+Inf"), ("provider", "kingdee")))


def test_a_restarted_member_counts_on_from_what_its_dead_process_had_counted() -> None:
    counted, _ = carry(Counted(), 0, process(5, 9, [0.5, 2.0]))
    counted, share = carry(counted, 1, process(2, 4, [0.25]))  # process 1: started again, from zero
    got = values(share)
    assert (got[RECORDS], got[COUNT], got[SUM], got[INF]) == (7, 3, 2.75, 3)
    assert got[LAG] == 4  # a gauge is the live process's alone
    assert samples(render(share)) == got  # and prometheus_client reads the text back as it is


def test_a_member_that_does_not_answer_stands_in_with_its_counts_and_no_gauges() -> None:
    counted, _ = carry(Counted(), 0, process(5, 9, [0.5]))
    counted, silent = carry(counted, 0, None)
    assert values(silent) == {RECORDS: 5, COUNT: 1, SUM: 0.5, INF: 1,
                              ("fapiao_provider_call_seconds_bucket", (("le", "1.0"), ("provider", "kingdee"))): 1}
    _, dead = carry(counted, 1, None)  # restarted, not answering yet
    assert values(dead) == values(silent)


def test_an_answer_of_a_process_that_has_died_since_is_not_read_and_a_late_reading_does_not_lower() -> None:
    counted, _ = carry(Counted(), 0, process(5, 9, []))
    counted, _ = carry(counted, 1, process(3, 1, []))
    counted, stale = carry(counted, 0, process(6, 9, []))  # a scrape of process 0 that crossed its death
    assert values(stale)[RECORDS] == 8 and LAG not in values(stale)
    counted, _ = carry(counted, 1, process(4, 1, []))
    _, late = carry(counted, 1, process(3, 1, []))  # two scrapes crossed: the earlier reading came back last
    assert values(late)[RECORDS] == 9


def test_prometheus_client_counters_with_total_samples_are_carried_and_created_is_not() -> None:
    text = ("# TYPE results counter\nresults_total{status=\"issued\"} 4\nresults_created{status=\"issued\"} 1700000000\n"
            "# TYPE calls summary\ncalls_sum 2.5\ncalls_count 3\ncalls{quantile=\"0.5\"} 0.7\n")
    counted, _ = carry(Counted(), 0, parse(text))
    _, share = carry(counted, 1, parse(text.replace(" 1700000000", " 1700000100")))
    got = values(share)
    assert got[("results_total", (("status", "issued"),))] == 8
    assert got[("results_created", (("status", "issued"),))] == 1_700_000_100
    assert (got[("calls_sum", ())], got[("calls_count", ())], got[("calls", (("quantile", "0.5"),))]) == (5, 6, 0.7)


def test_untyped_samples_are_not_carried() -> None:
    counted, _ = carry(Counted(), 0, parse("fake_total 3\n"))
    assert values(carry(counted, 1, parse("fake_total 1\n"))[1]) == {("fake_total", ()): 1}


# -- any sequence of counts, restarts and scrapes ---------------------------------------------------

MEMBERS = 2
TOPICS = ("requests", "events")


class Member:
    """A member in the model: its current process (a number and a registry), and every scrape it answered."""

    def __init__(self) -> None:
        self.process = -1
        self.answered: list[tuple[int, str]] = []
        self.start()

    def start(self) -> None:
        self.process += 1
        self.registry = Registry()
        self.records = self.registry.counter("records_total", "Records.", ("topic",))
        self.seconds = self.registry.histogram("seconds", "Seconds.", (), buckets=(2.0,))
        self.lag = self.registry.gauge("lag", "Lag.")

    def answer(self) -> tuple[int, str]:
        self.answered.append((self.process, self.registry.render()))
        return self.answered[-1]


member = st.integers(0, MEMBERS - 1)
operations = st.lists(st.one_of(
    st.tuples(st.just("count"), member, st.sampled_from(TOPICS), st.integers(1, 1000)),
    st.tuples(st.just("observe"), member, st.integers(0, 5)),
    st.tuples(st.just("gauge"), member, st.integers(-5, 5)),
    st.tuples(st.just("restart"), member),
    # per member: -1 no answer, 0 a fresh answer, k > 0 its k-th latest answer, when it has one (a late one)
    st.tuples(st.just("scrape"), st.lists(st.integers(-1, 2), min_size=MEMBERS, max_size=MEMBERS)),
), max_size=40)


def counting(families: Families) -> dict[Key, float]:
    return {key: value for key, value in values(families).items() if key[0] != "lag"}


@settings(max_examples=300)  # a late answer across a restart needs a few steps in a row
@given(operations)
def test_the_summed_counters_never_go_down_and_count_nothing_twice(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    members = [Member() for _ in range(MEMBERS)]
    counted = [Counted() for _ in range(MEMBERS)]
    everything: dict[Key, float] = {}  # all that was ever counted, by every process
    seen: dict[tuple[int, int], dict[Key, float]] = {}  # (member, process): the last scrape read of it
    before: dict[Key, float] = {}
    late = False
    for step in steps:
        kind, *args = step
        if kind == "count":
            index, topic, by = args
            members[index].records.inc(topic, by=by)
        elif kind == "observe":
            index, value = args
            members[index].seconds.observe(value)
        elif kind == "gauge":
            members[args[0]].lag.set(args[1])
        elif kind == "restart":
            for key, value in counting(parse(members[args[0]].registry.render())).items():
                everything[key] = everything.get(key, 0) + value
            members[args[0]].start()
        else:
            shares = []
            for index, pick in enumerate(args[0]):
                one = members[index]
                late = late or 0 < pick <= len(one.answered)
                answer = None if pick < 0 else one.answered[-pick] if 0 < pick <= len(one.answered) else one.answer()
                scrape = parse(answer[1]) if answer else None
                counted[index], share = carry(counted[index], answer[0] if answer else one.process, scrape)
                if answer:
                    seen[(index, answer[0])] = counting(parse(answer[1]))
                shares.append(share)
            now = counting(total(shares))
            assert all(now.get(key, 0) >= value for key, value in before.items()), (before, now)
            alive = [counting(parse(m.registry.render())) for m in members]
            for key, value in now.items():  # never more than was counted: nothing counted twice
                assert value <= everything.get(key, 0) + sum(a.get(key, 0) for a in alive)
            if not late:  # every answer was its process's latest: the sum is exactly the last read of each
                exact: dict[Key, float] = {}
                for read in seen.values():
                    for key, value in read.items():
                        exact[key] = exact.get(key, 0) + value
                assert now == exact
            before = now
