"""A collector's own ``/metrics`` and ``/healthz``: Prometheus scrapes every process of a
scaled-out deployment, not only the engine (whose page serves both already).

Served by uvicorn on the collector's event loop, so a scrape reads the live state
without crossing threads. Loopback unless configured otherwise, like the page.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import uvicorn
from fastapi import FastAPI, Response

__all__ = ["MetricsServer", "create_metrics_app"]


def create_metrics_app(pipeline: Any) -> FastAPI:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    app = FastAPI(title="dexcex collector", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(pipeline.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        samples = pipeline.health()
        return {
            "role": pipeline.role,
            "shard": pipeline.settings.bus.shard,
            "sources": [{"name": h.source, "state": h.state.value} for h in samples],
        }

    return app


class MetricsServer:
    def __init__(self, pipeline: Any, host: str, port: int) -> None:
        self.host, self.port = host, port
        config = uvicorn.Config(
            create_metrics_app(pipeline),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(), name="metrics")
        async with asyncio.timeout(10):
            while not self._server.started:
                if self._task.done():  # e.g. the port is taken
                    self._task.result()
                    raise OSError(f"the metrics server did not start on {self.url}")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)
