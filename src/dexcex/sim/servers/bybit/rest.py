"""Bybit v5 public REST: server time, instruments, order book, recent trades, tickers."""

from __future__ import annotations

from aiohttp import web

from dexcex.sim.servers.bybit.frames import env, instrument_json, ticker_json
from dexcex.sim.servers.common import json_response
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import CexView

__all__ = ["BybitMarketRest"]


class BybitMarketRest:
    def __init__(self, world: ServerWorld, views: dict[str, CexView]) -> None:
        self.world = world
        self.ex = world.exchanges["bybit"]
        self.views = views

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/v5/market/time", self.market_time)
        r.add_get("/v5/market/instruments-info", self.instruments)
        r.add_get("/v5/market/orderbook", self.orderbook)
        r.add_get("/v5/market/recent-trade", self.recent_trades)
        r.add_get("/v5/market/tickers", self.tickers)

    async def market_time(self, _request: web.Request) -> web.Response:
        now = self.world.venue_now()
        result = {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}
        return json_response(
            {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now}
        )

    async def instruments(self, request: web.Request) -> web.Response:
        cat = request.query.get("category", "")
        if cat not in ("spot", "linear", "inverse", "option"):
            return env({}, 10001, "params error: category")
        wanted = request.query.get("symbol")
        items = [
            instrument_json(view.spec)
            for sym, view in self.views.items()
            if cat == "spot" and (not wanted or sym == wanted)
        ]
        return env({"category": cat, "list": items, "nextPageCursor": ""})

    def _sym(self, request: web.Request) -> str | web.Response:
        if request.query.get("category", "spot") != "spot":
            return env({"category": request.query.get("category"), "list": []})
        sym = request.query.get("symbol", "")
        if sym not in self.views:
            return env({}, 10001, "params error: symbol invalid")
        return sym

    async def orderbook(self, request: web.Request) -> web.Response:
        sym = self._sym(request)
        if isinstance(sym, web.Response):
            return sym
        try:
            limit = min(1000, max(1, int(request.query.get("limit", "1"))))
        except ValueError:
            return env({}, 10001, "params error: limit")
        book = self.ex.books[sym]
        spec = book.spec
        bids, asks = book.snapshot(limit)
        now = self.world.market_now()
        return env(
            {
                "s": sym,
                "b": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in bids],
                "a": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in asks],
                "ts": now,
                "u": book.version,
                "seq": book.version * 3,
                "cts": now,
            }
        )

    async def recent_trades(self, request: web.Request) -> web.Response:
        sym = self._sym(request)
        if isinstance(sym, web.Response):
            return sym
        limit = min(60, max(1, int(request.query.get("limit", "60") or 60)))
        spec = self.views[sym].spec
        trades = list(self.views[sym].trades)[-limit:]
        return env(
            {
                "category": "spot",
                "list": [
                    {
                        "execId": str(t.trade_id),
                        "symbol": sym,
                        "price": spec.fmt_price(t.price),
                        "size": spec.fmt_qty(t.size),
                        "side": "Buy" if t.side == "buy" else "Sell",
                        "time": str(t.t),
                        "isBlockTrade": False,
                        "isRPITrade": False,
                        "seq": str(t.trade_id),
                    }
                    for t in reversed(trades)
                ],
            }
        )

    async def tickers(self, request: web.Request) -> web.Response:
        if request.query.get("category", "spot") != "spot":
            return env({"category": request.query.get("category"), "list": []})
        wanted = request.query.get("symbol")
        if wanted and wanted not in self.views:
            return env({}, 10001, "params error: symbol invalid")
        syms = [wanted] if wanted else list(self.views)
        now = self.world.market_now()
        return env(
            {
                "category": "spot",
                "list": [ticker_json(self.views[s], self.ex, now) for s in syms],
            }
        )
