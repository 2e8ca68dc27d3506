"""Storage: SQLAlchemy 2 models, Alembic migrations and the repositories over them."""

from dexcex.store.database import Database
from dexcex.store.engine import make_engine, normalize_url
from dexcex.store.migrate import current_revision, downgrade, head_revision, upgrade
from dexcex.store.monitor_store import Alert, AlertStore, HealthStore
from dexcex.store.order_store import FillStore, OrderStore
from dexcex.store.signal_store import OUTCOME_COLUMNS, SignalStore

__all__ = [
    "OUTCOME_COLUMNS",
    "Alert",
    "AlertStore",
    "Database",
    "FillStore",
    "HealthStore",
    "OrderStore",
    "SignalStore",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalize_url",
    "upgrade",
]
