"""What the gateway unit tests share: a producer that stores in memory, and the shared secret they configure."""

from __future__ import annotations

from fapiao.connectors.gateway import NotAcknowledged
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import CallbackRecord, Signal

__all__ = ["MemoryProducer", "SECRET", "TOPIC", "SIGNALS"]

TOPIC = "fapiao.callbacks"
SIGNALS = "fapiao.signals"
SECRET = "s3cret-token-Zq9"


class MemoryProducer:
    """Acknowledges every record at once (or refuses all when `down`), keeping what it was given."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []
        self.down = False

    async def send(self, topic: str, key: bytes, value: bytes, deadline_s: float) -> None:
        if self.down:
            raise NotAcknowledged("broker down")
        self.records.append((topic, key, value))

    def reachable(self, timeout_s: float = 1.0) -> bool:
        return not self.down

    @property
    def callbacks(self) -> list[tuple[str, bytes, bytes]]:
        return [record for record in self.records if record[0] == TOPIC]

    def stored(self) -> list[CallbackRecord]:
        return [Codec().decode(value, CallbackRecord) for _, _, value in self.callbacks]

    def signals(self) -> list[tuple[bytes, Signal]]:
        """(key, signal) of every record sent to the signals topic."""
        return [(key, Codec().decode(value, Signal)) for topic, key, value in self.records if topic == SIGNALS]
