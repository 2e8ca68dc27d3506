"""Bybit endpoints, limits, error codes and ccxt wiring, as data."""

from __future__ import annotations

from typing import Any

from dexcex.edge.ratelimit import RateLimit
from dexcex.venues.errors import VenueCodes

__all__ = ["CODES", "COSTS", "LIMITS", "REST_URL", "WS_URL", "apply_base_urls", "spot_only_options"]

REST_URL = "https://api.bybit.com"
WS_URL = "wss://stream.bybit.com/v5/public/spot"

# Published: 600 requests per 5 s per IP; per account and endpoint (spot): order create
# and cancel 20/s, order queries 50/s; wallet balance taken as 10/s to stay well clear.
LIMITS = (
    RateLimit("ip", 600, 5.0),
    RateLimit("order_create", 20, 1.0),
    RateLimit("order_cancel", 20, 1.0),
    RateLimit("order_query", 50, 1.0),
    RateLimit("account", 10, 1.0),
)
COSTS: dict[str, dict[str, float]] = {
    "load_markets": {"ip": 1},
    "fetch_order_book": {"ip": 1},
    "fetch_trades": {"ip": 1},
    "fetch_ticker": {"ip": 1},
    "create_order": {"ip": 1, "order_create": 1},
    "cancel_order": {"ip": 1, "order_cancel": 1},
    "fetch_order": {"ip": 1, "order_query": 1},
    "fetch_open_orders": {"ip": 1, "order_query": 1},
    "fetch_balance": {"ip": 1, "account": 1},
}
CODES = VenueCodes(
    duplicate_client_id=frozenset({"110072", "170141"}),
    unknown_order=frozenset({"110001", "170213"}),
    insufficient_funds=frozenset({"110007", "170131"}),
    # "Too many visits!": HTTP 200, retCode 10006, X-Bapi-Limit-* headers (per key and
    # endpoint); HTTP 403: the IP went over 600 requests / 5 s and is banned >= 10 min.
    endpoint_limit=frozenset({"10006"}),
    ip_ban_status=403,
    ip_ban_s=600.0,
)


def spot_only_options(exchange: Any) -> None:
    """Load spot markets only and assume a unified trading account, so ccxt skips the
    linear/inverse/option catalogue and the account-type probes on every start."""
    exchange.options["fetchMarkets"] = {"types": ["spot"]}
    exchange.options["enableUnifiedAccount"] = True
    exchange.options["enableUnifiedMargin"] = False


def apply_base_urls(exchange: Any, rest_url: str | None, ws_url: str | None) -> None:
    """Point a ``ccxt.bybit`` / ``ccxt.pro.bybit`` at other origins.

    ccxt builds REST URLs from several keys of ``urls['api']``; the websocket path must
    contain ``spot`` (ccxt.pro tells spot from contract streams by the URL).
    """
    api = exchange.urls["api"]
    if rest_url:
        rest = rest_url.rstrip("/")
        for key in ("spot", "futures", "v2", "public", "private"):
            api[key] = rest
    if ws_url and isinstance(api.get("ws"), dict):
        api["ws"]["public"]["spot"] = ws_url
