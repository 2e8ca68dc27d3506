"""MEXC spot v3 public REST (``/api/v3``): time, markets, depth, trades, tickers.

Public endpoints weigh against one IP bucket of 500 per 10 s (429 + ``Retry-After``
when it runs dry). ``load_markets`` also asks the contract API for swap markets; the
simulator lists none.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dexcex.sim.servers.common import TokenBucket, json_response
from dexcex.sim.servers.mexc.frames import err, symbol_info, ticker_json
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import CexView

__all__ = ["MexcMarketRest"]


class MexcMarketRest:
    def __init__(self, world: ServerWorld, views: dict[str, CexView]) -> None:
        self.world = world
        self.ex = world.exchanges["mexc"]
        self.views = views
        self.ip_bucket = TokenBucket(500, 10.0)  # MEXC: 500 weight / 10 s per IP

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/api/v3/ping", self.ping)
        r.add_get("/api/v3/time", self.server_time)
        r.add_get("/api/v3/exchangeInfo", self.exchange_info)
        r.add_get("/api/v3/depth", self.depth)
        r.add_get("/api/v3/trades", self.trades)
        r.add_get("/api/v3/aggTrades", self.agg_trades)
        r.add_get("/api/v3/ticker/24hr", self.ticker_24h)
        r.add_get("/api/v3/ticker/price", self.ticker_price)
        r.add_get("/api/v3/ticker/bookTicker", self.book_ticker)
        r.add_get("/api/v1/contract/detail", self.contract_detail)

    def _limit(self, weight: float) -> web.Response | None:
        wait = self.ip_bucket.take(weight)
        if wait:
            return err(429, 429, "Too Many Requests", {"Retry-After": str(max(1, round(wait)))})
        return None

    def _symbol(self, request: web.Request) -> str | web.Response:
        sym = request.query.get("symbol", "")
        if sym not in self.views:
            return err(400, -1121, "Invalid symbol.")
        return sym

    async def ping(self, _request: web.Request) -> web.Response:
        return json_response({})

    async def server_time(self, _request: web.Request) -> web.Response:
        return json_response({"serverTime": self.world.venue_now()})

    async def contract_detail(self, _request: web.Request) -> web.Response:
        return json_response({"success": True, "code": 0, "data": []})

    async def exchange_info(self, request: web.Request) -> web.Response:
        if (resp := self._limit(10)) is not None:
            return resp
        wanted = request.query.get("symbol") or request.query.get("symbols")
        syms = [s for s in (wanted.split(",") if wanted else self.views) if s in self.views]
        return json_response(
            {
                "timezone": "CST",
                "serverTime": self.world.venue_now(),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [symbol_info(self.views[s].spec, self.ex) for s in syms],
            }
        )

    async def depth(self, request: web.Request) -> web.Response:
        if (resp := self._limit(1)) is not None:
            return resp
        sym = self._symbol(request)
        if isinstance(sym, web.Response):
            return sym
        try:
            limit = min(5000, max(1, int(request.query.get("limit", "100"))))
        except ValueError:
            return err(400, 700004, "Parameter 'limit' is invalid")
        book = self.ex.books[sym]
        spec = book.spec
        bids, asks = book.snapshot(limit)
        return json_response(
            {
                "lastUpdateId": book.version,
                "bids": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in bids],
                "asks": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in asks],
                "timestamp": self.world.market_now(),
            }
        )

    def _recent(self, request: web.Request, cap: int) -> tuple[CexView, list[Any]] | web.Response:
        sym = self._symbol(request)
        if isinstance(sym, web.Response):
            return sym
        try:
            limit = min(cap, max(1, int(request.query.get("limit", "500"))))
        except ValueError:
            return err(400, 700004, "Parameter 'limit' is invalid")
        view = self.views[sym]
        return view, list(view.trades)[-limit:]

    async def trades(self, request: web.Request) -> web.Response:
        if (resp := self._limit(5)) is not None:
            return resp
        got = self._recent(request, 1000)
        if isinstance(got, web.Response):
            return got
        view, trades = got
        spec = view.spec
        return json_response(
            [
                {
                    "id": None,
                    "price": spec.fmt_price(t.price),
                    "qty": spec.fmt_qty(t.size),
                    "quoteQty": f"{t.price * t.size:.8f}",
                    "time": t.t,
                    "isBuyerMaker": t.side == "sell",
                    "isBestMatch": True,
                    "tradeType": "BID" if t.side == "buy" else "ASK",
                }
                for t in reversed(trades)
            ]
        )

    async def agg_trades(self, request: web.Request) -> web.Response:
        if (resp := self._limit(1)) is not None:
            return resp
        got = self._recent(request, 1000)
        if isinstance(got, web.Response):
            return got
        view, trades = got
        spec = view.spec
        start = int(request.query.get("startTime", "0") or 0)
        return json_response(
            [
                {
                    "a": None,
                    "f": None,
                    "l": None,
                    "p": spec.fmt_price(t.price),
                    "q": spec.fmt_qty(t.size),
                    "T": t.t,
                    "m": t.side == "sell",
                    "M": True,
                }
                for t in trades
                if t.t >= start
            ]
        )

    def _ticker(self, sym: str) -> dict[str, Any]:
        return ticker_json(self.views[sym], self.ex, self.world.market_now())

    async def ticker_24h(self, request: web.Request) -> web.Response:
        if "symbol" in request.query:
            sym = self._symbol(request)
            if isinstance(sym, web.Response):
                return sym
            return json_response(self._ticker(sym))
        return json_response([self._ticker(s) for s in self.views])

    async def ticker_price(self, request: web.Request) -> web.Response:
        def one(s: str) -> dict[str, str]:
            return {"symbol": s, "price": self._ticker(s)["lastPrice"]}

        if "symbol" in request.query:
            sym = self._symbol(request)
            return sym if isinstance(sym, web.Response) else json_response(one(sym))
        return json_response([one(s) for s in self.views])

    async def book_ticker(self, request: web.Request) -> web.Response:
        def one(s: str) -> dict[str, str]:
            spec = self.views[s].spec
            bid, bq, ask, aq = self.ex.books[s].best()
            return {
                "symbol": s,
                "bidPrice": spec.fmt_price(bid),
                "bidQty": spec.fmt_qty(bq),
                "askPrice": spec.fmt_price(ask),
                "askQty": spec.fmt_qty(aq),
            }

        if "symbol" in request.query:
            sym = self._symbol(request)
            return sym if isinstance(sym, web.Response) else json_response(one(sym))
        return json_response([one(s) for s in self.views])
