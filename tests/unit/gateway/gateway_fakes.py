"""What the gateway unit tests share: a producer that stores in memory, and the shared secret they configure."""

from __future__ import annotations

from fapiao.connectors.gateway import NotAcknowledged
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import CallbackRecord

__all__ = ["MemoryProducer", "SECRET", "TOPIC"]

TOPIC = "fapiao.callbacks"
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

    def stored(self) -> list[CallbackRecord]:
        return [Codec().decode(value, CallbackRecord) for _, _, value in self.records]
