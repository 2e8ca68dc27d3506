"""MEXC spot v3, simulated: REST (``/api/v3``) and the protobuf market-data websocket.

Wire format per ``shared/protocols/mexc.md``: parameters in the query string (ccxt puts
them there even for POST/DELETE), HMAC-SHA256 over the raw query (minus
``&signature=``) plus body, ``recvWindow`` checked against the wall clock, errors as
``{"code", "msg"}``. Websocket ``/ws``: JSON control messages, binary
``PushDataV3ApiWrapper`` frames for data on the ``spot@public.aggre.*.v3.api.pb@100ms@SYM``
channels; depth pushes carry ``fromVersion``/``toVersion`` consecutive with the REST
snapshot's ``lastUpdateId``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as pb  # the classes ccxt decodes with

from dexcex.sim.exchange import SimOrder, SimReject
from dexcex.sim.market.events import CexBbo, CexBookDelta, CexTradeEv, SimEvent
from dexcex.sim.servers.common import (
    BaseVenueServer,
    TokenBucket,
    WsConn,
    fault_middleware,
    json_response,
    wall_ms,
)
from dexcex.sim.servers.mexc_frames import (
    BOOK_TICKER,
    DEALS,
    DEPTH,
    book_ticker_frame,
    deals_frame,
    depth_frame,
)

if TYPE_CHECKING:
    from dexcex.sim.world import SimWorld

__all__ = ["MexcServer"]

_DEALS, _DEPTH, _BOOK_TICKER = DEALS, DEPTH, BOOK_TICKER
_MAX_SUBS = 30
_dumps = msgspec.json.Encoder().encode

# Business errors: HTTP status and MEXC code per rejection reason.
_REJECT = {
    "bad_symbol": (400, -1121, "Invalid symbol."),
    "duplicate_client_id": (400, -2010, "Duplicate newClientOrderId"),  # simulated code
    "bad_param": (400, 700004, "Mandatory parameter missing or illegal"),
    "min_qty": (400, 30002, "Minimum transaction volume cannot be less than"),
    "min_cost": (400, 30002, "Minimum transaction volume cannot be less than"),
    "insufficient": (400, 30004, "Insufficient position"),
    "unknown_order": (400, -2011, "Order does not exist"),
    "not_open": (400, -2011, "Order cancelled or filled"),
}
_STATUS = {
    "new": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "partially_canceled": "PARTIALLY_CANCELED",
}


def _err(status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"code": code, "msg": msg}, status=status, headers=headers)


class MexcServer(BaseVenueServer):
    name = "mexc"

    def __init__(self, world: SimWorld) -> None:
        super().__init__(world)
        self.ex = world.exchanges["mexc"]
        self.views = {sym: v for (venue, sym), v in world.cex_views.items() if venue == "mexc"}
        self.ip_bucket = TokenBucket(500, 10.0)  # MEXC: 500 weight / 10 s per IP
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "mexc",
                    world.faults,
                    rate_limited=lambda s: _err(
                        429, 429, "Too Many Requests", {"Retry-After": str(s)}
                    ),
                    server_error=lambda st: web.Response(status=st, text="Service Unavailable"),
                )
            ]
        )
        r = app.router
        r.add_get("/api/v3/ping", self.ping)
        r.add_get("/api/v3/time", self.server_time)
        r.add_get("/api/v3/exchangeInfo", self.exchange_info)
        r.add_get("/api/v3/depth", self.depth)
        r.add_get("/api/v3/trades", self.trades)
        r.add_get("/api/v3/aggTrades", self.agg_trades)
        r.add_get("/api/v3/ticker/24hr", self.ticker_24h)
        r.add_get("/api/v3/ticker/price", self.ticker_price)
        r.add_get("/api/v3/ticker/bookTicker", self.book_ticker)
        r.add_post("/api/v3/order", self.order_create)
        r.add_post("/api/v3/order/test", self.order_test)
        r.add_get("/api/v3/order", self.order_get)
        r.add_delete("/api/v3/order", self.order_cancel)
        r.add_get("/api/v3/openOrders", self.open_orders)
        r.add_delete("/api/v3/openOrders", self.cancel_all)
        r.add_get("/api/v3/account", self.account)
        r.add_get("/api/v3/myTrades", self.my_trades)
        r.add_get("/api/v3/capital/config/getall", self.capital_config)
        r.add_get("/api/v1/contract/detail", self.contract_detail)
        r.add_get("/ws", self.ws)
        self.serve(app)

    # --- lifecycle ---------------------------------------------------------------------------

    def url_map(self, port: int) -> dict[str, str]:
        return {"mexc_rest": f"http://127.0.0.1:{port}", "mexc_ws": f"ws://127.0.0.1:{port}/ws"}

    # --- helpers -------------------------------------------------------------------------------

    def _ok(self, data: Any) -> web.Response:
        return json_response(data)

    def _limit(self, weight: float) -> web.Response | None:
        wait = self.ip_bucket.take(weight)
        if wait:
            return _err(429, 429, "Too Many Requests", {"Retry-After": str(max(1, round(wait)))})
        return None

    def _symbol(self, request: web.Request) -> str | web.Response:
        sym = request.query.get("symbol", "")
        if sym not in self.views:
            return _err(400, -1121, "Invalid symbol.")
        return sym

    def _auth(self, request: web.Request, body: str) -> tuple[str, dict[str, str]] | web.Response:
        key = request.headers.get("X-MEXC-APIKEY", "")
        acct = self.ex.accounts.get(key)
        if acct is None:
            return _err(400, 700001, "Api key info invalid")
        raw = request.query_string
        sig_at = raw.rfind("&signature=")
        if sig_at < 0:
            if raw.startswith("signature="):
                sig_at = -1
            else:
                return _err(400, 700002, "Signature for this request is not valid.")
        payload, given = (raw[:sig_at], raw[sig_at + 11 :]) if sig_at >= 0 else ("", raw[10:])
        expected = hmac.new(acct.api_secret.encode(), (payload + body).encode(), hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), given.lower()):
            return _err(400, 700002, "Signature for this request is not valid.")
        params = dict(parse_qsl(payload, keep_blank_values=True))
        if body:
            for k, v in parse_qsl(body, keep_blank_values=True):
                params.setdefault(k, v)
        try:
            ts = int(params.get("timestamp", ""))
            window = int(params.get("recvWindow", "5000"))
        except ValueError:
            return _err(400, 700004, "Mandatory parameter 'timestamp' was not sent or is invalid")
        if window > 60000:
            return _err(400, 700005, "recvWindow must less than 60000")
        now = wall_ms()
        if not (ts < now + 1000 and now - ts <= window):
            return _err(400, 700003, "Timestamp for this request is outside of the recvWindow.")
        return key, params

    # --- market data -----------------------------------------------------------------------

    async def ping(self, _request: web.Request) -> web.Response:
        return self._ok({})

    async def server_time(self, _request: web.Request) -> web.Response:
        return self._ok({"serverTime": wall_ms()})

    async def contract_detail(self, _request: web.Request) -> web.Response:
        # ccxt's load_markets always asks for swap markets too; we list none.
        return self._ok({"success": True, "code": 0, "data": []})

    def _symbol_info(self, sym: str) -> dict[str, Any]:
        spec = self.views[sym].spec
        return {
            "symbol": sym,
            "status": "1",
            "baseAsset": spec.base,
            "baseAssetPrecision": spec.amount_dp,
            "quoteAsset": spec.quote,
            "quotePrecision": spec.price_dp,
            "quoteAssetPrecision": spec.price_dp,
            "baseCommissionPrecision": spec.amount_dp,
            "quoteCommissionPrecision": spec.price_dp,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "quoteAmountPrecision": f"{spec.min_cost:g}",
            "baseSizePrecision": spec.fmt_qty(spec.min_qty),
            "permissions": ["SPOT"],
            "filters": [],
            "maxQuoteAmount": "2000000",
            "makerCommission": f"{self.ex.maker_fee:g}",
            "takerCommission": f"{self.ex.taker_fee:g}",
            "quoteAmountPrecisionMarket": f"{spec.min_cost:g}",
            "maxQuoteAmountMarket": "100000",
            "fullName": spec.base,
            "tradeSideType": 1,
        }

    async def exchange_info(self, request: web.Request) -> web.Response:
        if (resp := self._limit(10)) is not None:
            return resp
        wanted = request.query.get("symbol") or request.query.get("symbols")
        syms = [s for s in (wanted.split(",") if wanted else self.views) if s in self.views]
        return self._ok(
            {
                "timezone": "CST",
                "serverTime": wall_ms(),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": [self._symbol_info(s) for s in syms],
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
            return _err(400, 700004, "Parameter 'limit' is invalid")
        book = self.ex.books[sym]
        spec = book.spec
        bids, asks = book.snapshot(limit)
        return self._ok(
            {
                "lastUpdateId": book.version,
                "bids": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in bids],
                "asks": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in asks],
                "timestamp": self.world.market.now,
            }
        )

    def _recent(
        self, request: web.Request, cap: int
    ) -> tuple[str, list[CexTradeEv]] | web.Response:
        sym = self._symbol(request)
        if isinstance(sym, web.Response):
            return sym
        try:
            limit = min(cap, max(1, int(request.query.get("limit", "500"))))
        except ValueError:
            return _err(400, 700004, "Parameter 'limit' is invalid")
        return sym, list(self.views[sym].trades)[-limit:]

    async def trades(self, request: web.Request) -> web.Response:
        if (resp := self._limit(5)) is not None:
            return resp
        got = self._recent(request, 1000)
        if isinstance(got, web.Response):
            return got
        sym, trades = got
        spec = self.views[sym].spec
        return self._ok(
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
        sym, trades = got
        spec = self.views[sym].spec
        start = int(request.query.get("startTime", "0") or 0)
        return self._ok(
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
        view = self.views[sym]
        spec = view.spec
        now = self.world.market.now
        day = view.buckets.window(now, 1440)
        bid, bq, ask, aq = self.ex.books[sym].best()
        last = view.trades[-1].price if view.trades else (bid + ask) / 2
        open_ = day[0].o if day else last
        return {
            "symbol": sym,
            "priceChange": spec.fmt_price(last - open_),
            "priceChangePercent": f"{(last / open_ - 1):.4f}",
            "prevClosePrice": spec.fmt_price(open_),
            "lastPrice": spec.fmt_price(last),
            "bidPrice": spec.fmt_price(bid),
            "bidQty": spec.fmt_qty(bq),
            "askPrice": spec.fmt_price(ask),
            "askQty": spec.fmt_qty(aq),
            "openPrice": spec.fmt_price(open_),
            "highPrice": spec.fmt_price(max([b.h for b in day], default=last)),
            "lowPrice": spec.fmt_price(min([b.l for b in day], default=last)),
            "volume": spec.fmt_qty(sum(b.v_base for b in day)),
            "quoteVolume": f"{sum(b.v_quote for b in day):.2f}",
            "openTime": now - 86_400_000,
            "closeTime": now,
            "count": None,
        }

    async def ticker_24h(self, request: web.Request) -> web.Response:
        if "symbol" in request.query:
            sym = self._symbol(request)
            if isinstance(sym, web.Response):
                return sym
            return self._ok(self._ticker(sym))
        return self._ok([self._ticker(s) for s in self.views])

    async def ticker_price(self, request: web.Request) -> web.Response:
        def one(s: str) -> dict[str, str]:
            t = self._ticker(s)
            return {"symbol": s, "price": t["lastPrice"]}

        if "symbol" in request.query:
            sym = self._symbol(request)
            return sym if isinstance(sym, web.Response) else self._ok(one(sym))
        return self._ok([one(s) for s in self.views])

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
            return sym if isinstance(sym, web.Response) else self._ok(one(sym))
        return self._ok([one(s) for s in self.views])

    # --- trading ---------------------------------------------------------------------------

    def _order_json(self, o: SimOrder, *, full: bool = True) -> dict[str, Any]:
        spec = self.views[o.symbol].spec
        out: dict[str, Any] = {
            "symbol": o.symbol,
            "orderId": o.id,
            "orderListId": -1,
            "price": spec.fmt_price(o.price or 0.0),
            "origQty": spec.fmt_qty(o.qty),
            "type": o.type.upper(),
            "side": o.side.upper(),
            "transactTime": o.time,
        }
        if full:
            out.update(
                {
                    "clientOrderId": o.client_id or None,
                    "executedQty": spec.fmt_qty(o.executed),
                    "cummulativeQuoteQty": f"{o.cum_quote:.8f}",
                    "status": _STATUS[o.status],
                    "timeInForce": o.tif,
                    "stopPrice": "0",
                    "time": o.time,
                    "updateTime": o.update_time,
                    "isWorking": o.is_open,
                    "origQuoteOrderQty": f"{o.quote_qty or 0:.8f}",
                }
            )
        return out

    async def _body(self, request: web.Request) -> str:
        return (await request.text()) if request.can_read_body else ""

    async def order_create(self, request: web.Request) -> web.Response:
        return await self._create(request, test=False)

    async def order_test(self, request: web.Request) -> web.Response:
        return await self._create(request, test=True)

    async def _create(self, request: web.Request, *, test: bool) -> web.Response:
        auth = self._auth(request, await self._body(request))
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        sym = p.get("symbol", "")
        type_map = {
            "LIMIT": ("limit", "GTC"),
            "MARKET": ("market", "GTC"),
            "LIMIT_MAKER": ("limit", "GTC"),
            "IMMEDIATE_OR_CANCEL": ("limit", "IOC"),
            "FILL_OR_KILL": ("limit", "FOK"),
        }
        typ = type_map.get(p.get("type", "").upper())
        side = p.get("side", "").upper()
        if typ is None or side not in ("BUY", "SELL"):
            return _err(400, 700004, "Mandatory parameter 'side' or 'type' is invalid")
        try:
            qty = float(p["quantity"]) if p.get("quantity") else None
            price = float(p["price"]) if p.get("price") else None
            quote_qty = float(p["quoteOrderQty"]) if p.get("quoteOrderQty") else None
        except ValueError:
            return _err(400, 700004, "Parameter 'quantity' or 'price' is invalid")
        if test:
            return self._ok({})
        try:
            o = self.ex.place(
                key,
                sym,
                side.lower(),
                typ[0],
                qty,
                price if typ[0] == "limit" else None,
                quote_qty,
                p.get("newClientOrderId") or None,
                typ[1],
            )
        except SimReject as exc:
            status, code, msg = _REJECT.get(exc.reason, (400, 400, str(exc)))
            return _err(status, code, msg)
        return self._ok(self._order_json(o, full=False))

    async def order_get(self, request: web.Request) -> web.Response:
        auth = self._auth(request, "")
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        if not p.get("orderId") and not p.get("origClientOrderId"):
            return _err(400, 700004, "Mandatory parameter 'orderId' or 'origClientOrderId'")
        o = self.ex.get(key, p.get("orderId"), p.get("origClientOrderId"))
        if o is None or o.symbol != p.get("symbol"):
            return _err(400, -2011, "Order does not exist.")
        return self._ok(self._order_json(o))

    async def order_cancel(self, request: web.Request) -> web.Response:
        auth = self._auth(request, await self._body(request))
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        try:
            o = self.ex.cancel(key, p.get("orderId"), p.get("origClientOrderId"))
        except SimReject as exc:
            status, code, msg = _REJECT.get(exc.reason, (400, 400, str(exc)))
            return _err(status, code, msg)
        out = self._order_json(o)
        out["origClientOrderId"] = o.client_id or None
        return self._ok(out)

    async def open_orders(self, request: web.Request) -> web.Response:
        auth = self._auth(request, "")
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        return self._ok([self._order_json(o) for o in self.ex.open_orders(key, p.get("symbol"))])

    async def cancel_all(self, request: web.Request) -> web.Response:
        auth = self._auth(request, await self._body(request))
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        out = []
        for o in self.ex.open_orders(key, p.get("symbol")):
            out.append(self._order_json(self.ex.cancel(key, o.id, None)))
        return self._ok(out)

    async def account(self, request: web.Request) -> web.Response:
        auth = self._auth(request, "")
        if isinstance(auth, web.Response):
            return auth
        acct = self.ex.accounts[auth[0]]
        assets = sorted(set(acct.free) | set(acct.locked))
        return self._ok(
            {
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "updateTime": None,
                "accountType": "SPOT",
                "balances": [
                    {
                        "asset": a,
                        "free": f"{acct.free.get(a, 0.0):.8f}",
                        "locked": f"{acct.locked.get(a, 0.0):.8f}",
                    }
                    for a in assets
                ],
                "permissions": ["SPOT"],
            }
        )

    async def my_trades(self, request: web.Request) -> web.Response:
        auth = self._auth(request, "")
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        sym = p.get("symbol", "")
        if sym not in self.views:
            return _err(400, -1121, "Invalid symbol.")
        spec = self.views[sym].spec
        return self._ok(
            [
                {
                    "symbol": sym,
                    "id": f.trade_id,
                    "orderId": o.id,
                    "orderListId": -1,
                    "price": spec.fmt_price(f.price),
                    "qty": spec.fmt_qty(f.qty),
                    "quoteQty": f"{f.price * f.qty:.8f}",
                    "commission": f"{f.fee:.8f}",
                    "commissionAsset": spec.quote,
                    "time": f.time,
                    "isBuyer": o.side == "buy",
                    "isMaker": f.maker,
                    "isBestMatch": True,
                    "isSelfTrade": False,
                    "clientOrderId": o.client_id or None,
                }
                for o, f in self.ex.my_trades(key, sym)
            ]
        )

    async def capital_config(self, request: web.Request) -> web.Response:
        auth = self._auth(request, "")
        return auth if isinstance(auth, web.Response) else self._ok([])

    # --- websocket -------------------------------------------------------------------------

    async def ws(self, request: web.Request) -> web.StreamResponse:
        return await self.hub.serve(request, self._on_text)

    def _on_text(self, conn: WsConn, text: str) -> None:
        try:
            msg = msgspec.json.decode(text)
        except msgspec.DecodeError:
            conn.send(
                _dumps({"id": 0, "code": 0, "msg": "Not Subscribed successfully! [] "}).decode()
            )
            return
        if not isinstance(msg, dict):
            return
        method = str(msg.get("method", "")).upper()
        if method == "PING":
            conn.send(_dumps({"id": 0, "code": 0, "msg": "PONG"}).decode())
            return
        params = [p for p in msg.get("params", []) if isinstance(p, str)]
        if method == "SUBSCRIPTION":
            ok = []
            for ch in params:
                parts = ch.split("@")
                valid = (
                    len(parts) == 4
                    and "@".join(parts[:2]) in (_DEALS, _DEPTH, _BOOK_TICKER)
                    and parts[2] in ("100ms", "10ms")
                    and parts[3] in self.views
                    and len(conn.subs) < _MAX_SUBS
                )
                if valid:
                    self.hub.subscribe(conn, f"{parts[0]}@{parts[1]}@{parts[3]}")
                    ok.append(ch)
            reply = ",".join(ok) if ok else f"Not Subscribed successfully! [{','.join(params)}]."
            conn.send(_dumps({"id": msg.get("id", 0), "code": 0, "msg": reply}).decode())
        elif method == "UNSUBSCRIPTION":
            for ch in params:
                parts = ch.split("@")
                if len(parts) == 4:
                    self.hub.unsubscribe(conn, f"{parts[0]}@{parts[1]}@{parts[3]}")
            conn.send(_dumps({"id": msg.get("id", 0), "code": 0, "msg": ",".join(params)}).decode())

    def publish(self, ev: SimEvent, what: str) -> None:
        if not isinstance(ev, (CexBookDelta, CexTradeEv, CexBbo)) or ev.venue != "mexc":
            return
        faults = self.world.faults
        if faults.is_down("mexc") or faults.is_stale("mexc"):
            return
        if isinstance(ev, CexBookDelta):
            channel = f"{_DEPTH}@{ev.symbol}"
            if faults.take_gap("mexc", ev.symbol, ev.t, what):
                return
        elif isinstance(ev, CexTradeEv):
            channel = f"{_DEALS}@{ev.symbol}"
        else:
            channel = f"{_BOOK_TICKER}@{ev.symbol}"
        variant = faults.take_malformed("mexc", ev.t, what)
        dup = faults.take_duplicate("mexc", ev.t, what)
        if not self.hub.has(channel):
            return
        frame = self._malformed(variant, ev) if variant else self._encode(ev)
        self.hub.publish(channel, frame)
        if dup:
            self.hub.publish(channel, frame)

    def _encode(self, ev: CexBookDelta | CexTradeEv | CexBbo) -> bytes:
        spec = self.views[ev.symbol].spec
        fp, fq = spec.fmt_price, spec.fmt_qty
        if isinstance(ev, CexBookDelta):
            return depth_frame(
                ev.symbol,
                [(fp(p), fq(q)) for p, q in ev.bids],
                [(fp(p), fq(q)) for p, q in ev.asks],
                ev.first,
                ev.last,
                ev.t,
            )
        if isinstance(ev, CexTradeEv):
            side = 1 if ev.side == "buy" else 2
            return deals_frame(ev.symbol, [(fp(ev.price), fq(ev.size), side, ev.t)], ev.t)
        return book_ticker_frame(
            ev.symbol, fp(ev.bid), fq(ev.bid_size), fp(ev.ask), fq(ev.ask_size), ev.t
        )

    def _malformed(self, variant: str, ev: CexBookDelta | CexTradeEv | CexBbo) -> str | bytes:
        if variant == "bad_json":
            return '{"c":"spot@public.aggre.deals.v3.api.pb@100ms@' + ev.symbol + '","d":{'
        if variant == "bad_encoding":
            return b"\x0a\xff\xff\xff\xff\x0f" + time.time_ns().to_bytes(8, "big")[:3]
        msg = pb.PushDataV3ApiWrapper()
        msg.symbol = ev.symbol
        msg.sendTime = ev.t
        if isinstance(ev, CexTradeEv) or variant == "wrong_types":
            msg.channel = f"{_DEALS}@100ms@{ev.symbol}"
            deal = msg.publicAggreDeals.deals.add()
            if variant == "wrong_types":
                deal.price, deal.quantity = "abc", "-1e999"
                deal.tradeType = 7
            deal.time = ev.t
        else:  # missing_fields: a depth push without versions
            msg.channel = f"{_DEPTH}@100ms@{ev.symbol}"
            lv = msg.publicAggreDepths.asks.add()
            lv.price = "1"
        return bytes(msg.SerializeToString())
