"""Adding up several processes' Prometheus text: same name and labels add, whichever registry wrote it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.metrics import Registry
from fapiao.supervisor.metrics import ParseError, Sample, add_up, parse


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels))): s.value for family in parse(text).values()
            for s in family.samples.values()}


def member(records: int, lag: dict[str, int], calls: list[float]) -> str:
    """A worker's /metrics as our own registry renders it."""
    registry = Registry()
    registry.counter("fapiao_records_in_total", "Records read.", ("topic",)).inc("fapiao.requests", by=records)
    gauge = registry.gauge("fapiao_consumer_lag", "Lag.", ("topic", "partition"))
    gauge.replace({("fapiao.events", partition): value for partition, value in lag.items()})
    seconds = registry.histogram("fapiao_provider_call_seconds", "Latency.", ("provider",), buckets=(0.1, 1.0))
    for value in calls:
        seconds.observe(value, "kingdee")
    return registry.render()


def test_counters_gauges_and_histograms_of_our_registry_add_up_by_name_and_labels() -> None:
    total = samples(add_up([member(3, {"0": 5, "1": 0}, [0.05, 0.5]), member(4, {"2": 7}, [2.0])]))
    assert total[("fapiao_records_in_total", (("topic", "fapiao.requests"),))] == 7
    # each process holds its own partitions: their gauges sit side by side, and one with the same labels adds
    assert {k[1]: v for k, v in total.items() if k[0] == "fapiao_consumer_lag"} == {
        (("partition", "0"), ("topic", "fapiao.events")): 5, (("partition", "1"), ("topic", "fapiao.events")): 0,
        (("partition", "2"), ("topic", "fapiao.events")): 7}
    buckets = {dict(k[1])["le"]: v for k, v in total.items() if k[0] == "fapiao_provider_call_seconds_bucket"}
    assert buckets == {"0.1": 1, "1.0": 2, "+Inf": 3}
    assert total[("fapiao_provider_call_seconds_count", (("provider", "kingdee"),))] == 3
    assert total[("fapiao_provider_call_seconds_sum", (("provider", "kingdee"),))] == pytest.approx(2.55)


def test_the_sum_keeps_each_familys_help_and_type_once_and_its_samples_together() -> None:
    lines = add_up([member(1, {"0": 1}, [0.2]), member(1, {"0": 1}, [0.2])]).splitlines()
    assert lines.count("# TYPE fapiao_records_in_total counter") == 1
    assert lines[:3] == ["# HELP fapiao_records_in_total Records read.", "# TYPE fapiao_records_in_total counter",
                         'fapiao_records_in_total{topic="fapiao.requests"} 2']
    gauge = lines[lines.index("# TYPE fapiao_consumer_lag gauge") + 1]  # its sample follows its own TYPE line
    assert samples(gauge) == {("fapiao_consumer_lag", (("partition", "0"), ("topic", "fapiao.events"))): 2}


PROMETHEUS_CLIENT_STYLE = '''# HELP fapiao_results_total Terminal results.
# TYPE fapiao_results_total counter
fapiao_results_total{provider="kingdee",status="issued"} 2.0
fapiao_results_total{provider="we\\"ird,}\\\\",status="issued"} 1.0 1700000000000
# HELP fapiao_results_created Terminal results.
# TYPE fapiao_results_created gauge
fapiao_results_created{provider="kingdee",status="issued"} 1.7000000005e+09
# HELP fapiao_in_doubt_serials In doubt.
# TYPE fapiao_in_doubt_serials gauge
fapiao_in_doubt_serials{pid="41"} 3.0
'''


def test_prometheus_client_text_adds_up_too_labels_in_any_order_timestamps_dropped_created_the_earliest() -> None:
    ours = 'fapiao_results_total{status="issued",provider="kingdee"} 5\nfapiao_results_created{status="issued",provider="kingdee"} 1600000000\n'
    total = samples(add_up([PROMETHEUS_CLIENT_STYLE, ours, PROMETHEUS_CLIENT_STYLE]))
    issued = (("provider", "kingdee"), ("status", "issued"))
    assert total[("fapiao_results_total", issued)] == 9
    assert total[("fapiao_results_total", (("provider", 'we"ird,}\\'), ("status", "issued")))] == 2
    assert total[("fapiao_results_created", issued)] == 1_600_000_000
    # prometheus_client's gauges in multiprocess "all" mode carry a pid label: kept apart, never doubled
    assert total[("fapiao_in_doubt_serials", (("pid", "41"),))] == 6


def test_a_label_value_with_quotes_commas_braces_and_newlines_survives_the_round_trip() -> None:
    registry = Registry()
    counter = registry.counter("odd_total", "Odd.", ("x",))
    for value in ('a"b', "c,d}", "e\\f", "g\nh", "", "发票"):
        counter.inc(value)
    text = registry.render()
    assert samples(add_up([text])) == samples(text) and len(samples(text)) == 6


def test_special_values_and_empty_input() -> None:
    total = samples(add_up(["a 1\nb +Inf\nc NaN\n", "a 2.5\nb 1\n"]))
    assert total[("a", ())] == 3.5 and total[("b", ())] == math.inf and math.isnan(total[("c", ())])
    assert add_up([]) == "" and add_up(["", "# just a comment\n"]) == ""


@pytest.mark.parametrize("junk", ["<html>oops</html>", 'a{b="unterminated} 1', "name_without_value", 'a{b} 1'])
def test_text_that_is_not_prometheus_is_refused(junk: str) -> None:
    with pytest.raises(ParseError):
        parse(junk)


counts = st.dictionaries(st.sampled_from(["requests", "signals", "events", 'we"ird']), st.integers(0, 10**9),
                         max_size=4)


@given(st.lists(counts, max_size=5))
def test_any_number_of_counters_add_up_to_their_sum(members: list[dict[str, int]]) -> None:
    texts = []
    for values in members:
        registry = Registry()
        counter = registry.counter("records_total", "Records.", ("topic",))
        for topic, by in values.items():
            counter.inc(topic, by=by)
        texts.append(registry.render())
    expected: dict[str, int] = {}
    for values in members:
        for topic, by in values.items():
            expected[topic] = expected.get(topic, 0) + by
    total = [s for family in parse(add_up(texts)).values() for s in family.samples.values()]
    assert {dict(s.labels)["topic"]: s.value for s in total if s.labels} == expected
    assert all(isinstance(s, Sample) for s in total)
