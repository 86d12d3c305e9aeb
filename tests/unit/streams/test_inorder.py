"""Records are released in reading order per partition, whatever order their work finishes in (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fapiao.streams.inorder import InOrder


@settings(max_examples=300, deadline=None)
@given(partitions=st.lists(st.integers(0, 3), max_size=40), data=st.data())
def test_a_record_is_released_once_with_or_after_every_record_read_before_it_in_its_partition(
        partitions: list[int], data: st.DataObject) -> None:
    order: InOrder[int] = InOrder()
    entries = [order.read(partition, index) for index, partition in enumerate(partitions)]
    finishing = data.draw(st.permutations(range(len(entries))), label="the order the work finishes in")
    finished: set[int] = set()
    released: list[int] = []
    for index in finishing:
        finished.add(index)
        now = order.done(entries[index])
        for item in now:  # everything read before it from its partition is done
            assert all(earlier in finished for earlier in range(item) if partitions[earlier] == partitions[item])
        released += now
    assert len(order) == 0
    for partition in set(partitions):
        assert [i for i in released if partitions[i] == partition] == \
            [i for i in range(len(partitions)) if partitions[i] == partition]


def test_nothing_is_released_while_the_oldest_record_of_a_partition_is_in_flight() -> None:
    order: InOrder[str] = InOrder()
    first, second, other = order.read(0, "a"), order.read(0, "b"), order.read(1, "c")
    assert order.done(second) == [] and order.done(other) == ["c"]
    assert len(order) == 2
    assert order.done(first) == ["a", "b"] and len(order) == 0
