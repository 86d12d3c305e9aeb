"""Log lines for humans (text) or for a log pipeline (one JSON object a line), never with a secret in them.

`FAPIAO_LOG_FORMAT` picks the format; `logging_config(settings, level)` is a `logging.config.dictConfig`
dict that the gateway applies itself and the worker hands to faust (`faust.Worker(logging_config=...)`).

Both formatters replace every configured secret's value with `***` in the finished line, message,
arguments and traceback alike: a secret that slips into an exception text (a URL, a librdkafka error)
still never reaches the log. The JSON formatter writes a fixed set of fields; of the extras only
`serial` (the 发票流水号 a line is about), so whatever else a caller attaches is never printed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime, timezone
from typing import Any, Iterable

from fapiao.settings import Settings

__all__ = ["TextFormatter", "JsonFormatter", "logging_config", "secret_values"]

_MASK = "***"
_TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Shorter values are too likely to be ordinary words or numbers to mask everywhere.
_SHORTEST_SECRET = 4


def secret_values(settings: Settings) -> tuple[str, ...]:
    """The values of every secret setting: the fields kept out of the settings' repr."""
    found: list[str] = []

    def walk(node: Any) -> None:
        for spec in dataclasses.fields(node):
            value = getattr(node, spec.name)
            if dataclasses.is_dataclass(value):
                walk(value)
            elif not spec.repr and isinstance(value, str) and len(value) >= _SHORTEST_SECRET:
                found.append(value)

    walk(settings)
    return tuple(sorted(set(found), key=len, reverse=True))  # longest first: a secret inside another


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message`, with secrets masked."""

    def __init__(self, secrets: Iterable[str] = (), fmt: str = _TEXT) -> None:
        super().__init__(fmt)
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _MASK)
        return text


class JsonFormatter(TextFormatter):
    """One JSON object a line: time (UTC), level, logger, message, serial when known, exception when any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        serial = getattr(record, "serial", None)
        if serial is not None:
            line["serial"] = str(serial)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # Masked before encoding: JSON escaping would hide a secret holding a quote or a backslash from `mask`.
        return json.dumps({key: self.mask(value) for key, value in line.items()}, ensure_ascii=False)


def logging_config(settings: Settings, level: str | int = "INFO") -> dict[str, Any]:
    """A dictConfig for the root logger on stderr in the configured format."""
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"fapiao": {"()": formatter, "secrets": secret_values(settings)}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "fapiao", "stream": "ext://sys.stderr"}},
        "root": {"level": level.upper() if isinstance(level, str) else level, "handlers": ["stderr"]},
        # httpx writes a line per request at INFO: at hundreds of calls a second that is noise, and CPU.
        "loggers": {"httpx": {"level": "WARNING"}},
    }
