"""Where the worker keeps its state table (`FAPIAO_TABLE_STORE`): RocksDB on disk, the default, or memory.

Either way a row lives under its key's partition, murmur2(serial) as on every topic, and the rows of a
partition revoked from this worker leave it: `GET /invoices/SERIAL` then answers 404 here rather than
a stale row, and memory does not grow with every partition a worker has held.

- `KeyedRocksDB`: faust's RocksDB store (rocksdict), one database per partition under the data
  directory. faust files a written row under the partition of the event being processed; ours are
  written after a batch of events from several partitions, and by the recovery top-up with no event
  at all, so this store files each row under its key's partition (the changelog partition faust's
  partitioner sends it to, `use_partitioner=True`). A revoked partition's database is closed and left
  on disk: when the partition comes back, recovery reads only the changelog written since.
- `KeyedMemory`: faust's memory store, less the rows of revoked partitions (recovery reads them again
  in full when a partition comes back; a memory store remembers no offset).

A RocksDB table is only as good as its last flush. Rows are written to the store before their changelog
records reach the broker, so a worker that dies abruptly (SIGKILL, out of memory, one of its own
`os._exit`s) may leave rows on disk that the changelog never got; recovery would keep them, and another
worker taking the partition over would not have them. So a worker marks its table closed only after a
stop that flushed the producer (`mark_closed`), and on start discards a table not so marked
(`open_table_dir`): after a crash it recovers in full from the changelog, as a memory store always does.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any, Iterable, Optional, Set

from aiokafka.partitioner import DefaultPartitioner
from faust.stores import STORES
from faust.stores.memory import Store as MemoryStore
from faust.stores.rocksdb import Store as RocksDBStore
from faust.types import TP

__all__ = ["KeyedRocksDB", "KeyedMemory", "store_url", "table_options", "open_table_dir", "mark_closed"]

log = logging.getLogger("fapiao.store")
_PARTITIONER = DefaultPartitioner()
CLOSED_MARK = "closed-cleanly"
# faust's RocksDB defaults are sized for a dedicated host: a 2 GiB block cache and up to three 64 MiB
# write buffers per partition's database. A worker holds six or more partitions beside other processes.
ROCKSDB_OPTIONS = {"write_buffer_size": 16 * 1024**2, "max_write_buffer_number": 2, "block_cache_size": 32 * 1024**2}


def _partition(key: bytes, partitions: int) -> int:
    every = list(range(partitions))
    return _PARTITIONER(key, every, every)  # type: ignore[no-any-return]


class KeyedRocksDB(RocksDBStore):
    """faust's RocksDB store with each row under its key's partition, and only assigned partitions readable."""

    def _db_of_key(self, key: bytes) -> Any:
        """The open database of the key's partition; None when this worker does not hold the partition."""
        return self._dbs.get(_partition(key, self.table.partitions))

    def _set(self, key: bytes, value: Optional[bytes]) -> None:
        partition = _partition(key, self.table.partitions)
        self._key_index[key] = partition
        self._db_for_partition(partition).put(key, value)

    def _get(self, key: bytes) -> Optional[bytes]:
        db = self._db_of_key(key)
        return db.get(key) if db is not None else None  # type: ignore[no-any-return]

    def _del(self, key: bytes) -> None:
        db = self._db_of_key(key)
        if db is not None:
            db.delete(key)

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None


class KeyedMemory(MemoryStore):
    """faust's memory store, emptied of a partition's rows when the partition is revoked."""

    async def on_rebalance(self, assigned: Set[TP], revoked: Set[TP], newly_assigned: Set[TP],
                           generation_id: int = 0) -> None:
        gone = {tp.partition for tp in revoked if tp.topic in self.table.changelog_topic.topics}
        if gone:
            await self._forget(gone)

    async def _forget(self, partitions: set[int]) -> None:
        count = self.table.partitions
        keys: Iterable[bytes] = list(self.data)
        for index, key in enumerate(keys, start=1):
            if _partition(key, count) in partitions:
                del self.data[key]
                self._key_partition.pop(key, None)
            if index % 2000 == 0:
                await asyncio.sleep(0)  # a large table must not hold up the rebalance's other work


STORES.aliases.update({"fapiao-rocksdb": f"{__name__}:KeyedRocksDB", "fapiao-memory": f"{__name__}:KeyedMemory"})


def store_url(kind: str) -> str:
    """The faust store URL for `FAPIAO_TABLE_STORE` (rocksdb or memory)."""
    # A path, so that the URL is truthy (faust falls back to the app's store for an empty one) and names the files.
    return {"rocksdb": "fapiao-rocksdb:invoices", "memory": "fapiao-memory:invoices"}[kind]


def table_options(kind: str) -> dict[str, Any]:
    """Options faust passes to the store."""
    return dict(ROCKSDB_OPTIONS) if kind == "rocksdb" else {}


def open_table_dir(tabledir: Path) -> None:
    """Before the worker starts: keep the table on disk only if the last worker marked it closed."""
    mark = tabledir / CLOSED_MARK
    if mark.exists():
        mark.unlink()  # from now on, until `mark_closed`, the table may run ahead of its changelog
        log.info("table on disk under %s: recovering from it and the changelog written since", tabledir)
    elif databases := sorted(tabledir.glob("*.db")):
        log.warning("the table under %s was not closed cleanly (a crash?): discarding it, recovering from the "
                    "changelog", tabledir)
        for database in databases:
            shutil.rmtree(database)


def mark_closed(tabledir: Path) -> None:
    """After a stop that flushed the producer: the table on disk holds nothing the changelog lacks."""
    if tabledir.exists():
        (tabledir / CLOSED_MARK).touch()
