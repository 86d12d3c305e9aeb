"""A small Confluent Schema Registry client: register a subject's schema, fetch a schema by id, cached."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx

from fapiao.exceptions import ConfigurationError
from fapiao.schemas.codec import Codec

__all__ = ["SchemaRegistry", "codec_for"]


class SchemaRegistry:
    """Talks to `FAPIAO_SCHEMA_REGISTRY_URL` (Confluent REST API v1)."""

    def __init__(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=10.0, transport=transport,
                                  headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, dict[str, Any]] = {}

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        """The id of `schema` under `subject`, registering it on first use."""
        text = json.dumps(schema, sort_keys=True)
        key = (subject, text)
        if key not in self._ids:
            answer = self._call("POST", f"/subjects/{subject}/versions", json={"schema": text})
            self._ids[key] = int(answer["id"])
        return self._ids[key]

    def lookup(self, schema_id: int) -> dict[str, Any]:
        """The writer schema with this id."""
        if schema_id not in self._schemas:
            answer = self._call("GET", f"/schemas/ids/{schema_id}")
            self._schemas[schema_id] = json.loads(answer["schema"])
        return self._schemas[schema_id]

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()  # type: ignore[no-any-return]
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: a body that is not JSON (a proxy's page)
            raise ConfigurationError(f"schema registry {method} {path}: {exc}") from exc


@cache
def codec_for(registry_url: str | None) -> Codec:
    """The codec for this deployment: Confluent wire format with a registry, single-object without."""
    if not registry_url:
        return Codec()
    registry = SchemaRegistry(registry_url)
    return Codec(registry=registry.register, lookup=registry.lookup)
