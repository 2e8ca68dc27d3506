"""What every adapter at the edge shares (``sources/`` and ``venues/`` alike): the rate
limiter, the health tracker, the JSON-over-HTTP helper and the raw-payload tap.

Adapters import these from here, never from each other or from ``monitor`` (which reads
the trackers' snapshots)."""

from dexcex.edge.health import HealthTracker, LatencyWindow
from dexcex.edge.ratelimit import RateLimit, RateLimiter
from dexcex.edge.rawtap import RawTap

__all__ = ["HealthTracker", "LatencyWindow", "RateLimit", "RateLimiter", "RawTap"]
