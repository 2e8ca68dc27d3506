"""Birdeye endpoints and plan limits, as data."""

from __future__ import annotations

from dexcex.edge.ratelimit import RateLimit

__all__ = ["MAX_ADDRESSES_PER_QUERY", "PLAN_LIMITS", "WS_ORIGIN", "WS_SUBPROTOCOL", "limits_for"]

# Requests per second per account, by plan (docs.birdeye.so/docs/rate-limiting, 2026).
PLAN_LIMITS: dict[str, float] = {
    "standard": 1,
    "starter": 15,
    "premium": 50,
    "business": 100,
    "enterprise": 200,
}
WS_SUBPROTOCOL = "echo-protocol"
WS_ORIGIN = "ws://public-api.birdeye.so"
MAX_ADDRESSES_PER_QUERY = 100  # complex websocket queries


def limits_for(plan: str) -> tuple[RateLimit, ...]:
    # Keep 10 % headroom under the plan: other tools may share the key.
    return (RateLimit("rest", PLAN_LIMITS[plan] * 0.9, 1.0),)
