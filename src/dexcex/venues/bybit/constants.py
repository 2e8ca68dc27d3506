"""Bybit endpoints, limits and ccxt wiring, as data."""

from __future__ import annotations

from typing import Any

__all__ = ["REST_URL", "WS_URL", "apply_base_urls", "spot_only_options"]

REST_URL = "https://api.bybit.com"
WS_URL = "wss://stream.bybit.com/v5/public/spot"


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
