"""MEXC endpoints, limits, error codes and ccxt wiring, as data."""

from __future__ import annotations

from typing import Any

from dexcex.edge.ratelimit import RateLimit
from dexcex.venues.errors import VenueCodes

__all__ = [
    "CODES",
    "COSTS",
    "LIMITS",
    "REST_URL",
    "WS_URL",
    "apply_base_urls",
    "trade_only_options",
]

REST_URL = "https://api.mexc.com"
WS_URL = "wss://wbs-api.mexc.com/ws"

# Published: every endpoint with IP limits shares 500 weight per 10 s; keyed endpoints
# count against the account (UID) bucket, also 500 per 10 s.
LIMITS = (RateLimit("ip", 500, 10.0), RateLimit("uid", 500, 10.0))
COSTS: dict[str, dict[str, float]] = {
    "load_markets": {"ip": 10},
    "fetch_order_book": {"ip": 1},
    "fetch_trades": {"ip": 5},
    "fetch_ticker": {"ip": 1},
    "create_order": {"uid": 1},
    "fetch_order": {"uid": 2},
    "cancel_order": {"uid": 1},
    "fetch_open_orders": {"uid": 3},
    "fetch_balance": {"uid": 10},
}
CODES = VenueCodes(
    # MEXC does not document its answer to a reused newClientOrderId; -2010 is the code
    # the simulator uses (see shared/protocols/mexc.md), kept apart from ccxt's mapping.
    duplicate_client_id=frozenset({"-2010"}),
    # -2013 "Order does not exist" also answers a query right after a create (ccxt issue
    # #21614): not found *yet*, never a rejection of the order.
    unknown_order=frozenset({"-2011", "-2013"}),
    insufficient_funds=frozenset({"30004", "10101"}),
)


def apply_base_urls(exchange: Any, rest_url: str | None, ws_url: str | None) -> None:
    """Point a ``ccxt.mexc`` / ``ccxt.pro.mexc`` at other origins (the simulator, a proxy).

    ccxt appends ``/api/v3/<path>`` to the spot URLs; ``load_markets`` also asks the
    contract API for swap markets, so that origin moves too.
    """
    api = exchange.urls["api"]
    if rest_url:
        rest = rest_url.rstrip("/")
        api["spot"]["public"] = rest
        api["spot"]["private"] = rest
        api["contract"]["public"] = f"{rest}/api/v1/contract"
        api["contract"]["private"] = f"{rest}/api/v1/private"
    if ws_url and isinstance(api.get("ws"), dict):
        api["ws"]["spot"] = ws_url


def trade_only_options(exchange: Any) -> None:
    """Work with a trade-only key. ccxt's ``load_markets`` asks ``capital/config/getall``
    for currencies, which needs withdraw-read permission (700007 without it); the markets
    carry every precision trading needs, so currencies are built from them instead."""
    exchange.has = {**exchange.has, "fetchCurrencies": False}
