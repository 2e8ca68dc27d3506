"""Birdeye DeFi REST: prices, transactions (paged), market data, overview, OHLCV.

``{"success": true, "data": …}`` envelope; the chain comes from the ``x-chain`` header.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from dexcex.sim.market.events import DexSwapEv
from dexcex.sim.servers.birdeye.auth import BirdeyeAuth
from dexcex.sim.servers.birdeye.frames import err, iso, price_obj, tx_item, tx_parts
from dexcex.sim.servers.common import json_response
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import PoolView

__all__ = ["BirdeyeRest"]

_FRAMES = {"1m": 1, "5m": 5, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "8h": 480, "24h": 1440}
_OHLCV = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1H": 60,
    "2H": 120,
    "4H": 240,
    "6H": 360,
    "8H": 480,
    "12H": 720,
    "1D": 1440,
}


def _ok(data: Any) -> web.Response:
    return json_response({"success": True, "data": data})


class BirdeyeRest:
    def __init__(self, world: ServerWorld, auth: BirdeyeAuth) -> None:
        self.world = world
        self.auth = auth

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/defi/price", self.price)
        r.add_get("/defi/multi_price", self.multi_price)
        r.add_post("/defi/multi_price", self.multi_price)
        r.add_get("/defi/txs/token", self.txs_token)
        r.add_get("/defi/txs/pair", self.txs_pair)
        r.add_get("/defi/v3/token/market-data", self.market_data)
        r.add_get("/defi/token_overview", self.token_overview)
        r.add_get("/defi/ohlcv", self.ohlcv)

    def _pools(self, chain: str, address: str) -> list[PoolView]:
        return [v for v in self.world.token_pools.get(address, []) if v.pool.chain == chain]

    def _token(self, request: web.Request) -> tuple[str, list[PoolView]] | web.Response:
        """The gate, then the pools of the ``address`` token (400 when it is unknown)."""
        chain = self.auth.rest(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        views = self._pools(chain, addr)
        if not views:
            return err(400, "Not found token")
        return addr, views

    async def price(self, request: web.Request) -> web.Response:
        chain = self.auth.rest(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        if not addr:
            return err(400, "address is required")
        views = self._pools(chain, addr)
        if not views:
            return err(400, "Not found token")
        with_liq = request.query.get("include_liquidity", "false").lower() == "true"
        return _ok(price_obj(views, with_liq, self.world.market_now()))

    async def multi_price(self, request: web.Request) -> web.Response:
        chain = self.auth.rest(request)
        if isinstance(chain, web.Response):
            return chain
        raw = request.query.get("list_address", "")
        if request.method == "POST":
            try:
                body = msgspec.json.decode(await request.read())
                raw = str(body.get("list_address", "")) if isinstance(body, dict) else ""
            except msgspec.DecodeError:
                return err(400, "invalid body")
        addrs = [a for a in raw.split(",") if a]
        if not addrs or len(addrs) > 100:
            return err(400, "list_address must hold 1..100 addresses")
        with_liq = request.query.get("include_liquidity", "false").lower() == "true"
        now = self.world.market_now()
        data: dict[str, Any] = {}
        for a in addrs:
            views = self._pools(chain, a)
            data[a] = price_obj(views, with_liq, now) if views else None
        return _ok(data)

    def _page(
        self, request: web.Request, items: list[DexSwapEv]
    ) -> tuple[list[DexSwapEv], bool] | web.Response:
        try:
            offset = int(request.query.get("offset", "0"))
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            return err(400, "offset/limit must be integers")
        if not (0 <= offset <= 9999 and 1 <= limit <= 50 and offset + limit <= 10000):
            return err(400, "offset 0..9999, limit 1..50, offset+limit <= 10000")
        if request.query.get("sort_type", "desc") == "desc":
            items = items[::-1]
        return items[offset : offset + limit], offset + limit < len(items)

    async def txs_token(self, request: web.Request) -> web.Response:
        got = self._token(request)
        if isinstance(got, web.Response):
            return got
        views = got[1]
        swaps = sorted((ev for v in views for ev in v.swaps), key=lambda e: e.t)
        page = self._page(request, swaps)
        if isinstance(page, web.Response):
            return page
        items, more = page
        by_pool = {v.pool.address: v for v in views}
        multi = self.world.scenario.realism.multi_swap_tx
        txs = [tx_item(p, by_pool[e.pool], pair=False) for e in items for p in tx_parts(e, multi)]
        return _ok({"items": txs, "hasNext": more})

    async def txs_pair(self, request: web.Request) -> web.Response:
        chain = self.auth.rest(request)
        if isinstance(chain, web.Response):
            return chain
        view = self.world.pool_views.get(request.query.get("address", ""))
        if view is None or view.pool.chain != chain:
            return err(400, "Not found pair")
        page = self._page(request, list(view.swaps))
        if isinstance(page, web.Response):
            return page
        items, more = page
        multi = self.world.scenario.realism.multi_swap_tx
        txs = [tx_item(p, view, pair=True) for e in items for p in tx_parts(e, multi)]
        return _ok({"items": txs, "hasNext": more})

    async def market_data(self, request: web.Request) -> web.Response:
        got = self._token(request)
        if isinstance(got, web.Response):
            return got
        addr, views = got
        price = views[0].pool.price_usd
        supply = 1_000_000_000.0
        return _ok(
            {
                "address": addr,
                "price": price,
                "liquidity": sum(v.pool.liquidity_usd for v in views),
                "total_supply": supply,
                "circulating_supply": supply * 0.9,
                "fdv": supply * price,
                "market_cap": supply * 0.9 * price,
                "holder": 150_000,
                "is_scaled_ui_token": False,
                "multiplier": None,
            }
        )

    async def token_overview(self, request: web.Request) -> web.Response:
        got = self._token(request)
        if isinstance(got, web.Response):
            return got
        addr, views = got
        now = self.world.market_now()
        main = views[0]
        data: dict[str, Any] = {
            "address": addr,
            "decimals": main.decimals,
            "symbol": main.symbol,
            "name": main.symbol,
            "liquidity": sum(v.pool.liquidity_usd for v in views),
            "price": main.pool.price_usd,
            "lastTradeUnixTime": main.last_trade_ms // 1000,
            "lastTradeHumanTime": iso(main.last_trade_ms or now),
            "totalSupply": 1e9,
            "circulatingSupply": 9e8,
            "holder": 150_000,
            "marketCap": 9e8 * main.pool.price_usd,
            "fdv": 1e9 * main.pool.price_usd,
        }
        for frame, minutes in _FRAMES.items():
            data.update(_window_stats(views, frame, minutes, now))
        return _ok(data)

    async def ohlcv(self, request: web.Request) -> web.Response:
        chain = self.auth.rest(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        kind = request.query.get("type", "15m")
        views = self._pools(chain, addr)
        if not views or kind not in _OHLCV:
            return err(400, "invalid address or type")
        try:
            t0, t1 = int(request.query["time_from"]), int(request.query["time_to"])
        except (KeyError, ValueError):
            return err(400, "time_from and time_to (unix seconds) are required")
        step = _OHLCV[kind]
        groups: dict[int, list[Any]] = {}
        for b in views[0].buckets.buckets:
            start = (b.minute // step) * step * 60
            if t0 <= start <= t1:
                groups.setdefault(start, []).append(b)
        items = [
            {
                "o": g[0].o,
                "h": max(b.h for b in g),
                "l": min(b.l for b in g),
                "c": g[-1].c,
                "v": sum(b.v_base for b in g),
                "unixTime": start,
                "address": addr,
                "type": kind,
                "currency": "usd",
            }
            for start, g in sorted(groups.items())
        ]
        return _ok({"isScaledUiToken": False, "items": items})


def _window_stats(views: list[PoolView], frame: str, minutes: int, now: int) -> dict[str, Any]:
    """The ``token_overview`` fields of one rolling window (``30m``, ``24h`` …)."""
    main = views[0]
    bs = [b for v in views for b in v.buckets.window(now, minutes)]
    past = main.buckets.price_at(now - minutes * 60_000) or main.pool.price_usd
    buy_usd = sum(b.buy_quote for b in bs)
    sell_usd = sum(b.sell_quote for b in bs)
    return {
        f"history{frame}Price": past,
        f"priceChange{frame}Percent": (main.pool.price_usd / past - 1) * 100,
        f"uniqueWallet{frame}": len(set().union(*(b.wallets for b in bs))) if bs else 0,
        f"trade{frame}": sum(b.buys + b.sells for b in bs),
        f"buy{frame}": sum(b.buys for b in bs),
        f"sell{frame}": sum(b.sells for b in bs),
        f"v{frame}": sum(b.v_base for b in bs),
        f"v{frame}USD": buy_usd + sell_usd,
        f"vBuy{frame}USD": buy_usd,
        f"vSell{frame}USD": sell_usd,
    }
