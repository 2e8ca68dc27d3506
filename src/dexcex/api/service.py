"""The one service the page's routes call, with two implementations:

* ``LocalGlance`` — the engine runs in this process (``dexcex run``): live state from the
  engine, clicks and the kill switch executed here;
* ``RemoteGlance`` — ``dexcex run --role api``: live state as the engine last relayed it
  through Redis, clicks and the kill switch forwarded to the engine and answered by it.

Both read what is stored (signals, orders, alerts, performance) from the shared database
the same way (``StoredReads``). Routes never ask which one they have.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from dexcex.api.lights import engine_silent, source_lights
from dexcex.api.schemas import (
    AssetOut,
    ExecuteOut,
    ExitIn,
    KillIn,
    PositionOut,
    RiskOut,
    StatusOut,
)
from dexcex.api.stored import StoredReads
from dexcex.api.views import (
    asset_out,
    kill_out,
    order_out,
    position_out,
    source_out,
)
from dexcex.config import Settings
from dexcex.core import Core
from dexcex.domain import Clock, SourceHealth, TradingMode
from dexcex.execution.kill_switch import KillReason
from dexcex.execution.service import ExecutionService
from dexcex.monitor.accuracy import AccuracyMonitor
from dexcex.monitor.metrics import BusStats, EngineCounts, Metrics

__all__ = ["Answer", "EngineView", "Glance", "LocalGlance", "RemoteGlance", "StoredReads"]


@dataclass(frozen=True)
class Answer:
    """What a command (a click, the kill switch) came to: 200 with a body, or a status
    and why — the same whether it ran here or in an engine elsewhere."""

    status: int
    body: dict[str, Any] | None = None
    detail: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "detail": self.detail}

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Answer:
        return cls(int(d["status"]), d.get("body"), d.get("detail"))


class EngineView(Protocol):
    """What the page reads from an engine in this process (``roots.engine.Pipeline``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def core(self) -> Core | None: ...

    @property
    def execution(self) -> ExecutionService | None: ...

    @property
    def engine(self) -> EngineCounts: ...

    @property
    def bus(self) -> BusStats: ...

    @property
    def accuracy(self) -> AccuracyMonitor | None: ...

    @property
    def metrics(self) -> Metrics: ...

    def health(self) -> list[SourceHealth]: ...


class Glance(Protocol):
    """What the routes call."""

    stored: StoredReads

    @property
    def mode(self) -> TradingMode: ...

    def status(self) -> StatusOut: ...

    def assets(self) -> list[AssetOut]: ...

    def positions(self) -> list[PositionOut]: ...

    def risk(self) -> RiskOut | None: ...

    async def execute(self, signal_id: str, confirm: bool) -> Answer: ...

    async def kill(self, req: KillIn) -> Answer: ...

    async def set_auto(self, on: bool) -> Answer: ...

    async def force_exit(self, req: ExitIn) -> Answer: ...

    def metrics(self) -> Metrics | None: ...

    def snapshot_live(self) -> dict[str, Any]: ...


@dataclass
class LocalGlance:
    engine: EngineView
    stored: StoredReads
    started: float = field(default_factory=time.monotonic)

    @property
    def mode(self) -> TradingMode:
        return self.stored.mode

    def status(self) -> StatusOut:
        e = self.engine
        ex, core = e.execution, e.core
        return StatusOut(
            mode=self.mode.value,
            auto_execute=bool(ex.auto) if ex is not None else False,
            market=e.settings.pipeline.market,
            active_venue=core.active_venue.value if core is not None else None,
            now_ms=e.clock.now_ms(),
            uptime_s=round(time.monotonic() - self.started, 1),
            events=e.engine.events,
            signals=e.engine.signals,
            dropped=e.bus.dropped,
            sources=source_lights(e.health(), e.accuracy),
        )

    def assets(self) -> list[AssetOut]:
        core = self.engine.core
        if core is None:
            return []
        symbols = {
            a.id: a.cex[0].symbol if a.cex else None for a in self.engine.settings.domain_assets()
        }
        views = (core.asset_view(a) for a in core.asset_ids)
        return [asset_out(v, symbols.get(v.asset_id)) for v in views if v is not None]

    def positions(self) -> list[PositionOut]:
        ex = self.engine.execution
        exits = self.engine.settings.execution
        return [position_out(p, exits) for p in ex.positions()] if ex is not None else []

    def risk(self) -> RiskOut | None:
        ex = self.engine.execution
        if ex is None:
            return None
        p = ex.portfolio()
        r = self.engine.settings.core.risk
        return RiskOut(
            mode=self.mode.value,
            auto_execute=ex.auto,
            kill_switch=kill_out(ex.kill_switch.state),
            exposure_usd=p.exposure_usd,
            max_exposure_usd=r.max_exposure_usd,
            by_asset_usd=dict(p.by_asset_usd),
            max_per_asset_usd=r.max_per_asset_usd,
            day_pnl_usd=p.daily_pnl_usd,
            max_daily_loss_usd=r.max_daily_loss_usd,
            open_positions=ex.executor.open_positions(),
            balances=ex.executor.balances(),
        )

    async def execute(self, signal_id: str, confirm: bool) -> Answer:
        """One click, as this process's engine takes it."""
        ex = self.engine.execution
        if ex is None:
            return Answer(409, detail="this server does not run an engine: nothing can execute")
        if ex.signal_output(signal_id) is None:
            known = await asyncio.to_thread(self.stored.db.signals.get, signal_id)
            if known is None:
                return Answer(404, detail=f"no signal {signal_id!r}")
            return Answer(409, detail="too old to execute: only recent signals can be")
        if self.mode is TradingMode.LIVE and not confirm:
            return Answer(409, detail="live mode: confirm the order (confirm: true)")
        res = await ex.execute(signal_id)
        if res.existing is not None:  # a repeated or concurrent click: the first one's order
            return Answer(409, detail=f"already executed: order {res.existing}")
        if res.order is None:
            return Answer(409, detail=f"not executed: {res.refused}")
        out = ExecuteOut(signal_id=signal_id, mode=self.mode.value, order=order_out(res.order))
        return Answer(200, body=out.model_dump())

    async def kill(self, req: KillIn) -> Answer:
        ex = self.engine.execution
        if ex is None:
            return Answer(409, detail="this server does not run an engine")
        cancelled = []
        if req.on:
            cancelled = await ex.kill(KillReason.MANUAL, req.detail, flatten=req.flatten)
        else:
            await ex.release()
        risk = self.risk()
        assert risk is not None
        risk.cancelled_orders = [order_out(o) for o in cancelled]
        return Answer(200, body=risk.model_dump())

    async def set_auto(self, on: bool) -> Answer:
        """Automatic trading of approved signals on or paused (clicks still trade)."""
        ex = self.engine.execution
        if ex is None:
            return Answer(409, detail="this server does not run an engine")
        ex.auto = on
        risk = self.risk()
        assert risk is not None
        return Answer(200, body=risk.model_dump())

    async def force_exit(self, req: ExitIn) -> Answer:
        ex = self.engine.execution
        if ex is None:
            return Answer(409, detail="this server does not run an engine")
        order = await ex.force_exit(req.asset_id, req.origin)
        if order is None:
            return Answer(409, detail=f"no open {req.asset_id} position to close, or closing")
        return Answer(200, body=order_out(order).model_dump())

    def metrics(self) -> Metrics | None:
        return self.engine.metrics

    def snapshot_live(self) -> dict[str, Any]:
        """The in-memory part of a page's snapshot (read on the event loop)."""
        risk = self.risk()
        return {
            "status": self.status().model_dump(),
            "positions": [p.model_dump() for p in self.positions()],
            "assets": [a.model_dump() for a in self.assets()],
            "risk": risk.model_dump() if risk is not None else None,
        }


class Commands(Protocol):
    """An engine elsewhere, reached through Redis (``api.relay.RemoteEngine``)."""

    latest: dict[str, Any]
    last_ms: int | None

    async def command(self, op: str, args: dict[str, Any]) -> Answer: ...


@dataclass
class RemoteGlance:
    remote: Commands
    stored: StoredReads

    @property
    def mode(self) -> TradingMode:
        return self.stored.mode

    def status(self) -> StatusOut:
        st = self.remote.latest.get("status")
        if not isinstance(st, dict):
            return StatusOut(
                mode=self.mode.value,
                auto_execute=False,
                market=self.stored.settings.pipeline.market,
                active_venue=None,
                now_ms=int(time.time() * 1000),
                uptime_s=0.0,
                events=0,
                signals=self.stored.db.signals.count(),
                dropped=0,
                sources=[
                    source_out(h)
                    for h in self.stored.db.health.latest_per_source()
                    if ":" not in h.source
                ],
            )
        out = StatusOut.model_validate(st)  # the engine's, as it last sent it
        silent = engine_silent(self.remote.last_ms)
        if silent.light == "red":  # its lights are as old as that: say so, in red
            out.sources.insert(0, silent)
        return out

    def assets(self) -> list[AssetOut]:
        return [AssetOut.model_validate(a) for a in self.remote.latest.get("assets", [])]

    def positions(self) -> list[PositionOut]:
        return [PositionOut.model_validate(p) for p in self.remote.latest.get("positions", [])]

    def risk(self) -> RiskOut | None:
        r = self.remote.latest.get("risk")
        return RiskOut.model_validate(r) if isinstance(r, dict) else None

    async def execute(self, signal_id: str, confirm: bool) -> Answer:
        return await self.remote.command("execute", {"signal_id": signal_id, "confirm": confirm})

    async def kill(self, req: KillIn) -> Answer:
        return await self.remote.command("kill", req.model_dump())

    async def set_auto(self, on: bool) -> Answer:
        return await self.remote.command("auto", {"on": on})

    async def force_exit(self, req: ExitIn) -> Answer:
        return await self.remote.command("exit", req.model_dump())

    def metrics(self) -> Metrics | None:
        return None

    def snapshot_live(self) -> dict[str, Any]:
        return {
            "status": self.status().model_dump(),
            "positions": [p.model_dump() for p in self.positions()],
            "assets": [a.model_dump() for a in self.assets()],
            "risk": self.remote.latest.get("risk"),
        }
