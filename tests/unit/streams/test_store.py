"""The table stores: each row under its key's partition, revoked partitions' rows gone, and a table on disk
kept only when the last worker closed it cleanly."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from faust.types import TP

from fapiao.connectors.cluster import Cluster
from fapiao.settings import load
from fapiao.streams.pipeline import Pipeline, create_pipeline
from fapiao.streams.store import CLOSED_MARK, KeyedMemory, KeyedRocksDB, mark_closed, open_table_dir

SERIALS = [f"S{i:05d}".encode() for i in range(60)]


def pipeline(tmp_path: Path, kind: str) -> Pipeline:
    settings = load({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_TABLE_STORE": kind, "FAPIAO_PARTITIONS": "3"})
    return create_pipeline(settings, Cluster("127.0.0.1:1"))  # nothing connects: the app is never started


def revoke(p: Pipeline, partition: int) -> set[TP]:
    return {TP(p.table.changelog_topic.get_topic_name(), partition)}


def test_rocksdb_files_each_row_under_its_keys_partition_without_an_event(tmp_path: Path) -> None:
    p = pipeline(tmp_path, "rocksdb")
    store = p.table.data
    assert isinstance(store, KeyedRocksDB)
    for key in SERIALS:
        store[key] = b"row-" + key  # as the recovery top-up and the fold's post-batch writes do: no current event
    for key in SERIALS:
        partition = p.partition_of(key.decode())
        assert store._dbs[partition].get(key) == b"row-" + key
        assert all(db.get(key) is None for other, db in store._dbs.items() if other != partition)
        assert store.get(key) == b"row-" + key and key in store


async def test_rocksdb_forgets_a_revoked_partition_and_keeps_it_on_disk(tmp_path: Path) -> None:
    p = pipeline(tmp_path, "rocksdb")
    store = p.table.data
    for key in SERIALS:
        store[key] = b"row"
    moved = [key for key in SERIALS if p.partition_of(key.decode()) == 1]
    await store.on_rebalance(assigned=set(), revoked=revoke(p, 1), newly_assigned=set())
    assert moved and all(store.get(key) is None for key in moved)  # GET /invoices/SERIAL: 404, not a stale row
    assert all(store.get(key) == b"row" for key in SERIALS if key not in moved)
    assert store._db_for_partition(1).get(moved[0]) == b"row"  # still on disk for when the partition comes back


async def test_memory_forgets_a_revoked_partition(tmp_path: Path) -> None:
    p = pipeline(tmp_path, "memory")
    store = p.table.data
    assert isinstance(store, KeyedMemory)
    for key in SERIALS:
        store[key] = b"row"
    await store.on_rebalance(assigned=set(), revoked=revoke(p, 2), newly_assigned=set())
    assert {key for key in SERIALS if store.get(key)} == {key for key in SERIALS if p.partition_of(key.decode()) != 2}


def _database(tabledir: Path) -> Path:
    database = tabledir / "invoices-0.db"
    database.mkdir(parents=True)
    (database / "CURRENT").write_text("x")
    return database


def test_a_table_closed_cleanly_is_kept_once(tmp_path: Path) -> None:
    database = _database(tmp_path)
    mark_closed(tmp_path)
    open_table_dir(tmp_path)
    assert database.exists() and not (tmp_path / CLOSED_MARK).exists()  # until the next clean stop


def test_a_table_not_closed_cleanly_is_discarded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    database = _database(tmp_path)
    (tmp_path / "invoices-backups").mkdir()
    with caplog.at_level(logging.WARNING, "fapiao.store"):
        open_table_dir(tmp_path)
    assert not database.exists() and (tmp_path / "invoices-backups").exists()
    assert "not closed cleanly" in caplog.text


def test_a_fresh_data_directory_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "invoices-backups").mkdir()  # what faust's store makes before the worker starts
    with caplog.at_level(logging.WARNING, "fapiao.store"):
        open_table_dir(tmp_path)
        open_table_dir(tmp_path / "missing")
    mark_closed(tmp_path / "missing")
    assert caplog.text == "" and not (tmp_path / "missing").exists()
