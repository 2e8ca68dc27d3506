"""MEXC endpoints, limits and ccxt wiring, as data."""

from __future__ import annotations

from typing import Any

__all__ = ["REST_URL", "WS_URL", "apply_base_urls"]

REST_URL = "https://api.mexc.com"
WS_URL = "wss://wbs-api.mexc.com/ws"


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
