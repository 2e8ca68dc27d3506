"""The One Glance API: REST for what the page asks, one WebSocket for what happens.

Routes are thin: each calls the page's service (``api.service.Glance``), which is the
engine in this process or one elsewhere. Read endpoints are open (the server binds
127.0.0.1 by default); everything that changes something — executing a signal, the kill
switch — needs the token (``Authorization: Bearer <token>``). The WebSocket accepts only
same-origin browsers (or clients that send no Origin). No secret is ever part of an
answer: settings are not exposed, only states and figures.
"""

from __future__ import annotations

import asyncio
import hmac
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect

from dexcex.api.guard import Guard, GuardLimits, pump
from dexcex.api.hub import Hub
from dexcex.api.schemas import (
    AlertOut,
    AssetOut,
    AutoIn,
    ErrorOut,
    ExecuteIn,
    ExecuteOut,
    ExitIn,
    HistoryOut,
    KillIn,
    OrderOut,
    PerformanceOut,
    PositionOut,
    RiskOut,
    SignalDetail,
    SignalPage,
    StatusOut,
)
from dexcex.api.service import Answer, Glance
from dexcex.domain import SignalStatus

__all__ = ["create_app"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a body that is not JSON"},
    401: {"model": ErrorOut, "description": "missing or wrong token"},
    403: {"model": ErrorOut, "description": "a host name the page does not answer to"},
    404: {"model": ErrorOut, "description": "unknown id"},
    413: {"model": ErrorOut, "description": "a request body over api.max_body_bytes"},
    422: {"model": ErrorOut, "description": "invalid input"},
}


def _static_dir() -> Path:
    return Path(str(resources.files("dexcex") / "web"))


def create_app(g: Glance, hub: Hub, token: str, static_dir: Path | None = None) -> FastAPI:
    app = FastAPI(
        title="dexcex One Glance API",
        version="1",
        description="Signals, execution, positions, status and alerts of a running dexcex.",
        responses=_ERRORS,
        docs_url=None,  # the interactive docs load their scripts from a CDN: not here
        redoc_url=None,
    )
    static = static_dir or _static_dir()
    limits = GuardLimits.of(g.stored.settings.api)
    app.add_middleware(Guard, token=token, limits=limits)  # hosts, bodies, headers (api.guard)
    app.state.guard = limits

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        given = ""
        if authorization and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401,
                "this action needs the API token: Authorization: Bearer <token> "
                "(printed at start, kept in the data directory's api-token file)",
            )

    _signal_routes(app, g, require_token)
    _control_routes(app, g, require_token)
    _state_routes(app, g)
    _stream_route(app, g, hub, limits)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:  # on the event loop: it reads the engine's live state
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        m = g.metrics()
        if m is None:
            raise HTTPException(404, "no engine in this process: no metrics")
        return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # browsers ask for it whatever the page links
        return FileResponse(static / "static" / "favicon.svg", media_type="image/svg+xml")

    if (static / "static").is_dir():
        app.mount("/static", StaticFiles(directory=static / "static"), name="static")
    return app


def _answered(answer: Answer) -> dict[str, Any]:
    if answer.status != 200 or answer.body is None:
        raise HTTPException(answer.status, answer.detail or "refused")
    return answer.body


def _id_path() -> Any:
    from fastapi import Path as PathParam

    return PathParam(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")


def _signal_routes(app: FastAPI, g: Glance, require_token: Any) -> None:
    @app.get("/api/signals", response_model=SignalPage, tags=["signals"])
    def list_signals(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        asset: Annotated[str | None, Query(max_length=64)] = None,
        status: SignalStatus | None = None,
        before: Annotated[
            str | None,
            Query(
                pattern=r"^[0-9]{1,15}:[A-Za-z0-9_.:-]{1,128}$",
                description="cursor from next_before",
            ),
        ] = None,
    ) -> SignalPage:
        cursor = None
        if before is not None:
            ms, sid = before.split(":", 1)
            cursor = (int(ms), sid)
        return g.stored.signals(limit, cursor, asset, status)

    @app.get("/api/signals/{signal_id}", response_model=SignalDetail, tags=["signals"])
    def get_signal(signal_id: Annotated[str, _id_path()]) -> SignalDetail:
        detail = g.stored.signal(signal_id)
        if detail is None:
            raise HTTPException(404, f"no signal {signal_id!r}")
        return detail

    @app.post(
        "/api/signals/{signal_id}/execute",
        response_model=ExecuteOut,
        tags=["execution"],
        dependencies=[Depends(require_token)],
        responses={409: {"model": ErrorOut, "description": "not executable now, and why"}},
    )
    async def execute_signal(
        signal_id: Annotated[str, _id_path()], body: ExecuteIn | None = None
    ) -> ExecuteOut:
        answer = await g.execute(signal_id, bool(body and body.confirm))
        return ExecuteOut.model_validate(_answered(answer))


def _control_routes(app: FastAPI, g: Glance, require_token: Any) -> None:
    @app.get("/api/risk", response_model=RiskOut, tags=["execution"])
    def risk() -> RiskOut:
        r = g.risk()
        if r is None:
            raise HTTPException(404, "no execution in this engine: no account or limits")
        return r

    @app.post(
        "/api/kill",
        response_model=RiskOut,
        tags=["execution"],
        dependencies=[Depends(require_token)],
        responses={409: {"model": ErrorOut, "description": "no engine to act on"}},
    )
    async def kill(body: KillIn) -> RiskOut:
        """The kill switch: on refuses every new entry and cancels open orders (with
        ``flatten`` also closes positions); off releases it. It outlives a restart."""
        return RiskOut.model_validate(_answered(await g.kill(body)))

    @app.post(
        "/api/auto",
        response_model=RiskOut,
        tags=["execution"],
        dependencies=[Depends(require_token)],
        responses={409: {"model": ErrorOut, "description": "no engine to act on"}},
    )
    async def auto(body: AutoIn) -> RiskOut:
        """Automatic trading of approved signals: on, or paused (a click still trades)."""
        return RiskOut.model_validate(_answered(await g.set_auto(body.on)))

    @app.post(
        "/api/positions/exit",
        response_model=OrderOut,
        tags=["execution"],
        dependencies=[Depends(require_token)],
        responses={409: {"model": ErrorOut, "description": "no such open position"}},
    )
    async def force_exit(body: ExitIn) -> OrderOut:
        """Close one open position now, at the market: its closing order."""
        return OrderOut.model_validate(_answered(await g.force_exit(body)))


def _state_routes(app: FastAPI, g: Glance) -> None:
    @app.get("/api/positions", response_model=list[PositionOut], tags=["execution"])
    def positions() -> list[PositionOut]:
        return g.positions()

    @app.get("/api/orders", response_model=list[OrderOut], tags=["execution"])
    def orders(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[OrderOut]:
        return g.stored.orders(limit)

    @app.get("/api/history", response_model=HistoryOut, tags=["execution"])
    def history(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> HistoryOut:
        """Round trips (newest first), the equity curve, performance per asset and per
        origin — from the stored orders."""
        return g.stored.history(limit)

    @app.get("/api/performance", response_model=PerformanceOut, tags=["execution"])
    def performance() -> PerformanceOut:
        return g.stored.performance()

    @app.get("/api/assets", response_model=list[AssetOut], tags=["market"])
    def assets() -> list[AssetOut]:
        return g.assets()

    @app.get("/api/status", response_model=StatusOut, tags=["system"])
    def status() -> StatusOut:
        return g.status()

    @app.get("/api/alerts", response_model=list[AlertOut], tags=["system"])
    def alerts(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[AlertOut]:
        return g.stored.alerts(limit)


def _stream_route(app: FastAPI, g: Glance, hub: Hub, limits: GuardLimits) -> None:
    @app.websocket("/ws")
    async def stream(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        if origin is not None and not _same_origin(origin, ws.headers.get("host", "")):
            await ws.close(code=1008, reason="cross-origin connections are refused")
            return
        await ws.accept()
        client, seq = hub.connect()
        try:
            live = g.snapshot_live()
            stored = await asyncio.to_thread(g.stored.snapshot_stored)
            first = hub.snapshot_message(seq, {**live, **stored}).decode()
            await pump(ws, client, first, limits)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.disconnect(client)


def _same_origin(origin: str, host: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host
