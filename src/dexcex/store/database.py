"""One handle on the database: engine, sessions and every repository."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dexcex.domain import ConfigError
from dexcex.store.engine import make_engine
from dexcex.store.migrate import current_revision, head_revision, upgrade
from dexcex.store.model_store import ModelStore
from dexcex.store.monitor_store import AlertStore, HealthStore
from dexcex.store.order_store import FillStore, OrderStore
from dexcex.store.partitions import Partitions, PruneResult
from dexcex.store.rejected_store import RejectedStore
from dexcex.store.signal_store import SignalStore
from dexcex.store.state_store import StateStore

__all__ = ["Database"]


class Database:
    """Repositories over one engine. The rest of the code goes through these, never SQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
        self.partitions = Partitions(engine)
        self.signals = SignalStore(self.sessions, self.partitions)
        self.orders = OrderStore(self.sessions)
        self.fills = FillStore(self.sessions)
        self.health = HealthStore(self.sessions, self.partitions)
        self.alerts = AlertStore(self.sessions)
        self.state = StateStore(self.sessions)
        self.rejected = RejectedStore(self.sessions)
        self.models = ModelStore(self.sessions)

    @classmethod
    def open(
        cls, url: str, *, migrate: bool = False, pool_size: int = 5, echo: bool = False
    ) -> Database:
        """Connect; with ``migrate`` bring the schema to head first, else require it there."""
        if migrate:
            upgrade(url)
        engine = make_engine(url, pool_size=pool_size, echo=echo)
        current, head = current_revision(engine), head_revision(url)
        if current != head:
            engine.dispose()
            raise ConfigError(
                f"database schema is at {current or 'nothing'}, code expects {head}: "
                "run `dexcex db upgrade`"
            )
        return cls(engine)

    def prune(
        self, now_ms: int, *, signals_days: int | None, health_days: int | None
    ) -> list[PruneResult]:
        """Retention: drop signals and health samples older than the last N whole UTC days
        (None keeps them all)."""
        out = []
        for table, days in (("signals", signals_days), ("source_health", health_days)):
            if days is not None:
                out.append(self.partitions.prune(table, days, now_ms))
        return out

    def close(self) -> None:
        self.engine.dispose()
