"""The worker's HTTP views: a serial's state and history, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fapiao.schemas.convert import to_json
from fapiao.streams.pipeline import Pipeline

__all__ = ["install"]


def install(pipeline: Pipeline) -> None:
    app = pipeline.app

    @app.page("/invoices/{serial}")
    async def invoice(web: Any, request: Any, serial: str) -> Any:
        state = pipeline.state(serial)
        if state is None:
            return web.json({"error": "unknown serial on this worker", "serial": serial}, status=404)
        return web.json(to_json(state))

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"ok": True})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready = bool(app.consumer.assignment()) and not app.rebalancing and not pipeline.stalled
        return web.json({"ready": ready, "stalled": pipeline.stalled}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.text(pipeline.metrics.render(), content_type="text/plain; version=0.0.4")
