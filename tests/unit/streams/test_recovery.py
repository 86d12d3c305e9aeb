"""Topping up a recovered table with the changelog's tail: the last write of a key wins, tombstones delete."""

from __future__ import annotations

from fapiao.streams.recovery import apply_tail


def test_the_tail_is_applied_in_offset_order_and_a_tombstone_deletes() -> None:
    store = {b"A": b"a1", b"B": b"b1", b"C": b"c1"}
    apply_tail(store, [(b"A", b"a2"), (b"D", b"d1"), (b"A", b"a3"), (b"B", None), (b"E", None), (b"D", b"d2")])
    assert store == {b"A": b"a3", b"C": b"c1", b"D": b"d2"}


def test_a_tail_that_repeats_what_recovery_already_read_changes_nothing() -> None:
    """The tail starts one record below the reported high watermark, which faust has already applied."""
    store = {b"A": b"a2"}
    apply_tail(store, [(b"A", b"a2")])
    assert store == {b"A": b"a2"}
