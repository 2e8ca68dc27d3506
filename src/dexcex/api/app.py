"""The One Glance API: REST for what the page asks, one WebSocket for what happens.

Read endpoints are open (the server binds 127.0.0.1 by default); everything that changes
something — executing a signal — needs the token (``Authorization: Bearer <token>``).
The WebSocket accepts only same-origin browsers (or clients that send no Origin). No
secret is ever part of an answer: settings are not exposed, only states and figures.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect

from dexcex.api.hub import Hub
from dexcex.api.schemas import (
    AlertOut,
    AssetOut,
    ErrorOut,
    ExecuteIn,
    ExecuteOut,
    OrderOut,
    PerformanceOut,
    PositionOut,
    SignalDetail,
    SignalOut,
    SignalPage,
    SourceOut,
    StatusOut,
)
from dexcex.config import Settings
from dexcex.domain import (
    Clock,
    HealthState,
    Order,
    SignalStatus,
    SourceHealth,
    TradingMode,
)
from dexcex.labeling.outcomes import HORIZONS
from dexcex.logs import get_logger
from dexcex.store import Database

__all__ = ["Glance", "create_app"]

_log = get_logger("dexcex.api")
_LIGHT = {
    HealthState.OK: "green",
    HealthState.DEGRADED: "amber",
    HealthState.STALE: "amber",
    HealthState.RATE_LIMITED: "amber",
    HealthState.DOWN: "red",
}
_RANK = {"green": 0, "amber": 1, "red": 2}
# What a signal row of the feed needs (``_signal_out``): the list reads these alone rather
# than all 120 columns, which is most of its cost once the query itself is an index seek.
SIGNAL_OUT_COLUMNS = (
    "id",
    "created_ms",
    "asset_id",
    "venue",
    "symbol",
    "origin",
    "direction",
    "confidence",
    "expected_move_bps",
    "priority",
    "status",
    "status_reason",
    "executable",
    "expires_ms",
    "risk_decision",
    "risk_reasons",
    "risk_slippage_bps",
    "risk_size_base",
    "risk_notional_quote",
    "cex_mid",
    "dex_price_usd",
    "order_client_id",
    "fill_price",
    "filled_qty",
    "realized_slippage_bps",
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "a body that is not JSON"},
    401: {"model": ErrorOut, "description": "missing or wrong token"},
    404: {"model": ErrorOut, "description": "unknown id"},
    422: {"model": ErrorOut, "description": "invalid input"},
}


@dataclass
class Glance:
    """Everything the API reads from. ``pipeline`` is None for an API that only reads
    the database (then execution and live state are unavailable)."""

    settings: Settings
    db: Database
    clock: Clock
    hub: Hub
    token: str
    pipeline: Any = None  # dexcex.pipeline.app.Pipeline (typed loosely: no import cycle)
    started: float = field(default_factory=time.monotonic)
    static_dir: Path | None = None
    # an engine in another process (``--role api``): dexcex.api.relay.RemoteEngine
    remote: Any = None

    @property
    def execution(self) -> Any:
        return getattr(self.pipeline, "execution", None)

    @property
    def mode(self) -> TradingMode:
        return TradingMode.LIVE if self.settings.live.enabled else TradingMode.PAPER


def _static_dir() -> Path:
    return Path(str(resources.files("dexcex") / "web"))


def create_app(g: Glance) -> FastAPI:
    app = FastAPI(
        title="dexcex One Glance API",
        version="1",
        description="Signals, execution, positions, status and alerts of a running dexcex.",
        responses=_ERRORS,
        docs_url=None,  # the interactive docs load their scripts from a CDN: not here
        redoc_url=None,
    )
    app.state.glance = g
    static = g.static_dir or _static_dir()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "request"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    def require_token(
        authorization: Annotated[str | None, Header()] = None,
    ) -> None:
        given = ""
        if authorization and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if not given or not hmac.compare_digest(given.encode(), g.token.encode()):
            raise HTTPException(
                401,
                "this action needs the API token: Authorization: Bearer <token> "
                "(printed at start, kept in the data directory's api-token file)",
            )

    _signal_routes(app, g, require_token)
    _state_routes(app, g)
    _stream_route(app, g)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:  # on the event loop: it reads the engine's live state
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        m = getattr(g.pipeline, "metrics", None)
        if m is None:
            raise HTTPException(404, "no engine in this process: no metrics")
        return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-store"})

    if (static / "static").is_dir():
        app.mount("/static", StaticFiles(directory=static / "static"), name="static")
    return app


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
        rows = g.db.signals.latest(
            limit, before=cursor, asset_id=asset, status=status, columns=SIGNAL_OUT_COLUMNS
        )
        items = [_signal_out(r) for r in rows]
        nxt = f"{rows[-1]['created_ms']}:{rows[-1]['id']}" if len(rows) == limit else None
        return SignalPage(items=items, next_before=nxt)

    @app.get("/api/signals/{signal_id}", response_model=SignalDetail, tags=["signals"])
    def get_signal(signal_id: Annotated[str, _id_path()]) -> SignalDetail:
        row = g.db.signals.get(signal_id)
        if row is None:
            raise HTTPException(404, f"no signal {signal_id!r}")
        return _signal_detail(row)

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
        confirm = bool(body and body.confirm)
        if g.execution is None and g.remote is not None:
            answer = await g.remote.execute(signal_id, confirm)
        else:
            answer = await execute_click(g, signal_id, confirm)
        if answer["status"] != 200:
            raise HTTPException(answer["status"], answer["detail"])
        return ExecuteOut.model_validate(answer["body"])


async def execute_click(g: Glance, signal_id: str, confirm: bool) -> dict[str, Any]:
    """One click, as this process's engine takes it: ``{"status": 200, "body": …}`` or
    ``{"status": 404|409, "detail": …}`` (the page's route and an API process's forwarded
    clicks both come here)."""
    ex = g.execution
    if ex is None:
        return {"status": 409, "detail": "this server does not run an engine: nothing can execute"}
    if ex.signal_output(signal_id) is None:
        known = await asyncio.to_thread(g.db.signals.get, signal_id)
        if known is None:
            return {"status": 404, "detail": f"no signal {signal_id!r}"}
        return {"status": 409, "detail": "too old to execute: only recent signals can be"}
    if g.mode is TradingMode.LIVE and not confirm:
        return {"status": 409, "detail": "live mode: confirm the order (confirm: true)"}
    res = await ex.execute(signal_id)
    if res.order is None:
        return {"status": 409, "detail": f"not executed: {res.refused}"}
    out = ExecuteOut(signal_id=signal_id, mode=g.mode.value, order=order_out(res.order))
    return {"status": 200, "body": out.model_dump()}


def _state_routes(app: FastAPI, g: Glance) -> None:

    @app.get("/api/positions", response_model=list[PositionOut], tags=["execution"])
    def positions() -> list[PositionOut]:
        return _positions(g)

    @app.get("/api/orders", response_model=list[OrderOut], tags=["execution"])
    def orders(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[OrderOut]:
        return [order_out(o) for o in g.db.orders.recent(limit)]

    @app.get("/api/performance", response_model=PerformanceOut, tags=["execution"])
    def performance() -> PerformanceOut:
        from dexcex.execution.report import performance as perf
        from dexcex.execution.report import summary

        return PerformanceOut.model_validate(
            {"mode": g.mode.value, "by_origin": summary(perf(g.db, g.mode))}
        )

    @app.get("/api/assets", response_model=list[AssetOut], tags=["market"])
    def assets() -> list[AssetOut]:
        return _assets(g)

    @app.get("/api/status", response_model=StatusOut, tags=["system"])
    def status() -> StatusOut:
        return _status(g)

    @app.get("/api/alerts", response_model=list[AlertOut], tags=["system"])
    def alerts(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[AlertOut]:
        return [
            AlertOut(
                ts=a.ts,
                rule=a.rule,
                severity=a.severity,
                message=a.message,
                source=a.source,
                cleared_ts=a.cleared_ts,
            )
            for a in g.db.alerts.recent(limit)
        ]


def _stream_route(app: FastAPI, g: Glance) -> None:

    @app.websocket("/ws")
    async def stream(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        if origin is not None and not _same_origin(origin, ws.headers.get("host", "")):
            await ws.close(code=1008, reason="cross-origin connections are refused")
            return
        await ws.accept()
        client, seq = g.hub.connect()
        try:
            live = snapshot_live(g)
            stored = await asyncio.to_thread(snapshot_stored, g)
            await ws.send_text(g.hub.snapshot_message(seq, {**live, **stored}).decode())
            while True:
                if client.dropped:
                    await ws.close(code=1013, reason="too slow: reconnect for a snapshot")
                    return
                msg = await client.queue.get()
                await ws.send_text(msg.decode())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            g.hub.disconnect(client)


def _id_path() -> Any:
    from fastapi import Path as PathParam

    return PathParam(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")


def _same_origin(origin: str, host: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host


# --- shaping answers -------------------------------------------------------------------------


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _signal_out(r: dict[str, Any]) -> SignalOut:
    mid, slip = r.get("cex_mid"), r.get("risk_slippage_bps")
    est = None
    if mid is not None and slip is not None:
        sign = 1.0 if r["direction"] == "long" else -1.0
        est = float(mid) * (1 + sign * float(slip) / 1e4)
    return SignalOut(
        id=r["id"],
        created_ms=r["created_ms"],
        asset_id=r["asset_id"],
        venue=r["venue"],
        symbol=r["symbol"],
        origin=r["origin"],
        direction=r["direction"],
        confidence=r["confidence"],
        expected_move_bps=r["expected_move_bps"],
        priority=r.get("priority"),
        status=r["status"],
        status_reason=r.get("status_reason"),
        executable=bool(r["executable"]),
        expires_ms=r.get("expires_ms"),
        risk_decision=r.get("risk_decision"),
        risk_reasons=list(r.get("risk_reasons") or []),
        est_slippage_bps=_f(slip),
        est_price=est,
        size_base=_f(r.get("risk_size_base")),
        notional_quote=_f(r.get("risk_notional_quote")),
        cex_mid=_f(mid),
        dex_price_usd=_f(r.get("dex_price_usd")),
        order_client_id=r.get("order_client_id"),
        fill_price=_f(r.get("fill_price")),
        filled_qty=_f(r.get("filled_qty")),
        realized_slippage_bps=_f(r.get("realized_slippage_bps")),
    )


def _signal_detail(r: dict[str, Any]) -> SignalDetail:
    base = _signal_out(r).model_dump()
    outcomes = {
        f"{k}_{h}": r.get(f"{k}_{h}_bps" if k != "label" else f"label_{h}")
        for h in HORIZONS
        for k in ("ret", "net", "mfe", "mae", "label")
    }
    return SignalDetail(
        **base,
        features={k: float(v) for k, v in (r.get("features") or {}).items()},
        scores={
            "orderflow": _f(r.get("score_orderflow")),
            "liquidity": _f(r.get("score_liquidity")),
            "volume_price": _f(r.get("score_volume_price")),
        },
        dex={
            "chain": r.get("dex_chain"),
            "pool": r.get("dex_pool"),
            "price_usd": _f(r.get("dex_price_usd")),
            "imbalance": _f(r.get("imbalance")),
            "buy_volume_usd": _f(r.get("buy_volume_usd")),
            "sell_volume_usd": _f(r.get("sell_volume_usd")),
            "window_s": r.get("window_s"),
            "liquidity_velocity": _f(r.get("liq_velocity")),
            "liquidity_acceleration": _f(r.get("liq_acceleration")),
            "volume_price_score": _f(r.get("vp_score")),
        },
        cex={
            "bid": _f(r.get("cex_bid")),
            "ask": _f(r.get("cex_ask")),
            "mid": _f(r.get("cex_mid")),
            "spread_bps": _f(r.get("cex_spread_bps")),
            "depth_bid_1pct": _f(r.get("cex_depth_bid_1pct")),
            "depth_ask_1pct": _f(r.get("cex_depth_ask_1pct")),
            "book_ms": r.get("cex_book_ms"),
        },
        outcomes=outcomes,
        outcome_note=r.get("outcome_note"),
        trigger_event_ms=r["trigger_event_ms"],
        trigger_recv_ms=r["trigger_recv_ms"],
    )


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        client_order_id=o.client_order_id,
        signal_id=o.signal_id,
        venue=o.venue.value,
        symbol=o.symbol,
        side=o.side.value,
        qty=float(o.qty),
        status=o.status.value,
        mode=o.mode.value,
        filled_qty=float(o.filled_qty),
        avg_price=_f(o.avg_price),
        fee_quote=float(o.fee_quote),
        ts_created=o.ts_created,
        ts_ack=o.ts_ack,
        error=o.error,
        note=o.note,
    )


def _marks(g: Glance) -> dict[str, float]:
    core = getattr(g.pipeline, "core", None)
    if core is None:
        return {}
    out = {}
    for a in core.asset_ids:
        v = core.asset_view(a)
        if v is not None and v.cex_mid is not None:
            out[a] = v.cex_mid
    return out


def _positions(g: Glance) -> list[PositionOut]:
    ex = g.execution
    if ex is None and g.remote is not None:
        return [PositionOut.model_validate(p) for p in g.remote.latest.get("positions", [])]
    if ex is None:
        return []
    marks = _marks(g)
    out = []
    if ex.live is not None:
        for t in ex.live.trades.values():
            mark = marks.get(t.asset_id)
            sign = Decimal(1) if t.direction.value == "long" else Decimal(-1)
            unreal = float(sign * t.qty * (Decimal(str(mark)) - t.entry_price)) if mark else None
            out.append(
                PositionOut(
                    asset_id=t.asset_id,
                    origin=t.origin,
                    qty=float(sign * t.qty),
                    avg_price=float(t.entry_price),
                    mark=mark,
                    unrealized=unreal,
                    realized=0.0,
                    fees=0.0,
                    opened_ms=t.opened_ms,
                    signal_id=t.signal_id,
                )
            )
        return out
    for p in ex.paper.positions.positions.values():
        if p.qty == 0 and p.realized == 0:
            continue
        mark = marks.get(p.asset_id)
        out.append(
            PositionOut(
                asset_id=p.asset_id,
                origin=p.origin,
                qty=float(p.qty),
                avg_price=float(p.avg_price),
                mark=mark,
                unrealized=float(p.unrealized(Decimal(str(mark)))) if mark and p.qty else None,
                realized=float(p.realized),
                fees=float(p.fees),
                opened_ms=p.opened_ms,
                signal_id=p.signal_id,
            )
        )
    return out


def _assets(g: Glance) -> list[AssetOut]:
    core = getattr(g.pipeline, "core", None)
    if core is None and g.remote is not None:
        return [AssetOut.model_validate(a) for a in g.remote.latest.get("assets", [])]
    if core is None:
        return []
    symbols = {a.id: a.cex[0].symbol if a.cex else None for a in g.settings.domain_assets()}
    out = []
    for a in core.asset_ids:
        v = core.asset_view(a)
        if v is None:
            continue
        basis = (v.cex_mid / v.dex_price_usd - 1.0) * 1e4 if v.cex_mid and v.dex_price_usd else None
        out.append(
            AssetOut(
                asset_id=a,
                symbol=symbols.get(a),
                dex_price_usd=v.dex_price_usd,
                cex_mid=v.cex_mid,
                basis_bps=basis,
                imbalance=v.imbalance,
                buy_usd=v.buy_usd,
                sell_usd=v.sell_usd,
                liquidity_usd=v.liquidity_usd,
                liquidity_velocity_usd_s=v.liquidity_velocity_usd_s,
                regime=v.regime,
            )
        )
    return out


def _source_out(h: SourceHealth, light: str | None = None) -> SourceOut:
    return SourceOut(
        name=h.source,
        kind=h.kind.value,
        state=h.state.value,
        light=light or _LIGHT[h.state],
        connected=h.connected,
        active=h.active,
        last_msg_age_ms=h.last_msg_age_ms,
        msg_rate=h.msg_rate,
        errors=h.errors,
        rate_limited=h.rate_limited,
        reconnects=h.reconnects,
        rejected=h.rejected,
        latency_p50_ms=h.latency_p50_ms,
        latency_p99_ms=h.latency_p99_ms,
        detail=h.detail,
    )


def sources(g: Glance) -> list[SourceOut]:
    """One light per data source and venue: the worst of its connection and its streams."""
    pipe = g.pipeline
    if pipe is None:
        return [_source_out(h) for h in g.db.health.latest_per_source() if ":" not in h.source]
    health: list[SourceHealth] = pipe.health()
    connectors = [h for h in health if ":" not in h.source]
    streams = [h for h in health if ":" in h.source]
    out = []
    for c in connectors:
        light = _LIGHT[c.state]
        worst_detail = c.detail
        for s in streams:
            if s.source.split(":", 1)[0] != c.source:
                continue
            sl = _LIGHT[s.state]
            if _RANK[sl] > _RANK[light]:
                light, worst_detail = sl, f"{s.source}: {s.state.value} {s.detail}".strip()
        so = _source_out(c, light)
        so.detail = worst_detail
        acc = getattr(pipe, "accuracy", None)
        if acc is not None:
            so.accuracy = acc.share(c.source)
            so.excluded = c.source in acc.excluded
            if so.excluded:
                so.light = "amber"
                so.detail = f"excluded: agrees in {so.accuracy or 0:.0%} of samples"
        out.append(so)
    return out


_ENGINE_QUIET_MS = 10_000  # the engine relays its state every second


def _status(g: Glance) -> StatusOut:
    if g.remote is not None and g.remote.status is not None:
        st = StatusOut.model_validate(g.remote.status)  # the engine's, as it last sent it
        age = int(time.time() * 1000) - (g.remote.last_ms or 0)
        if age > _ENGINE_QUIET_MS:  # its lights are as old as that: say so, in red
            st.sources.insert(
                0,
                SourceOut(
                    name="engine",
                    kind="engine",
                    state="down",
                    light="red",
                    connected=False,
                    active=False,
                    last_msg_age_ms=age,
                    msg_rate=0.0,
                    errors=0,
                    rate_limited=0,
                    reconnects=0,
                    rejected=0,
                    latency_p50_ms=None,
                    latency_p99_ms=None,
                    detail=f"no word from the engine for {age / 1000:.0f} s: the rest is as "
                    "it last said (is it running, with --page-relay?)",
                ),
            )
        return st
    pipe = g.pipeline
    ex = g.execution
    core = getattr(pipe, "core", None)
    return StatusOut(
        mode=g.mode.value,
        auto_execute=bool(ex.auto) if ex is not None else False,
        market=g.settings.pipeline.market,
        active_venue=core.active_venue.value if core is not None else None,
        now_ms=g.clock.now_ms(),
        uptime_s=round(time.monotonic() - g.started, 1),
        events=pipe.engine.events if pipe is not None else 0,
        signals=pipe.engine.signals if pipe is not None else g.db.signals.count(),
        dropped=pipe.bus.dropped if pipe is not None else 0,
        sources=sources(g),
    )


def snapshot_live(g: Glance) -> dict[str, Any]:
    """The in-memory part of a page's snapshot (read on the event loop)."""
    return {
        "status": _status(g).model_dump(),
        "positions": [p.model_dump() for p in _positions(g)],
        "assets": [a.model_dump() for a in _assets(g)],
    }


def snapshot_stored(g: Glance) -> dict[str, Any]:
    """The database part of a page's snapshot (read off the event loop)."""
    return {
        "signals": [
            _signal_out(r).model_dump() for r in g.db.signals.latest(50, columns=SIGNAL_OUT_COLUMNS)
        ],
        "orders": [order_out(o).model_dump() for o in g.db.orders.recent(20)],
        "alerts": [
            {"ts": a.ts, "rule": a.rule, "severity": a.severity, "message": a.message}
            for a in g.db.alerts.recent(20)
        ],
    }
