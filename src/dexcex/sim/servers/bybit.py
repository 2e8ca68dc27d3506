"""Bybit v5, simulated: REST with the ``retCode/retMsg/result`` envelope and header
signing, and the public spot websocket (``/v5/public/spot``).

Wire format per ``shared/protocols/bybit.md``: business errors are HTTP 200 with a
non-zero ``retCode``; ``X-BAPI-SIGN`` = HMAC-SHA256(timestamp + key + recvWindow +
raw query | raw body); a duplicate ``orderLinkId`` answers 110072. Websocket
``orderbook.{depth}.{symbol}`` sends a snapshot on subscribe, then deltas whose ``u``
rises by one; ``publicTrade`` and ``tickers`` as on the real stream.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from dexcex.sim.exchange import SimOrder, SimReject
from dexcex.sim.market.events import CexBbo, CexBookDelta, CexTradeEv, SimEvent
from dexcex.sim.servers.common import (
    BaseVenueServer,
    WsConn,
    fault_middleware,
    json_response,
    wall_ms,
)

if TYPE_CHECKING:
    from dexcex.sim.world import SimWorld

__all__ = ["BybitServer"]

_dumps = msgspec.json.Encoder().encode
_REJECT = {
    "bad_symbol": (170121, "Invalid symbol."),
    "duplicate_client_id": (110072, "OrderLinkedID is duplicate"),
    "bad_param": (10001, "request parameter error"),
    "min_qty": (170136, "Order quantity is lower than the minimum."),
    "min_cost": (170140, "Order value exceeded lower limit."),
    "insufficient": (170131, "Insufficient balance."),
    "unknown_order": (110001, "Order does not exist"),
    "not_open": (110001, "Order does not exist"),
}
_STATUS = {
    "new": "New",
    "partially_filled": "PartiallyFilled",
    "filled": "Filled",
    "canceled": "Cancelled",
    "partially_canceled": "PartiallyFilledCanceled",
}
_DEPTHS = ("1", "50", "200", "1000")
_TICKER_KEYS = (
    "symbol",
    "lastPrice",
    "highPrice24h",
    "lowPrice24h",
    "prevPrice24h",
    "volume24h",
    "turnover24h",
    "price24hPcnt",
    "usdIndexPrice",
)


class BybitServer(BaseVenueServer):
    name = "bybit"

    def __init__(self, world: SimWorld) -> None:
        super().__init__(world)
        self.ex = world.exchanges["bybit"]
        self.views = {sym: v for (venue, sym), v in world.cex_views.items() if venue == "bybit"}
        self._cross_seq = itertools.count(7_000_000_000, 3)
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "bybit",
                    world.faults,
                    rate_limited=lambda s: web.Response(
                        status=429,
                        text="System level frequency protection. Please retry.",
                        headers={"Retry-After": str(s)},
                    ),
                    server_error=lambda st: web.Response(status=st, text="Bad Gateway"),
                )
            ]
        )
        r = app.router
        r.add_get("/v5/market/time", self.market_time)
        r.add_get("/v5/market/instruments-info", self.instruments)
        r.add_get("/v5/market/orderbook", self.orderbook)
        r.add_get("/v5/market/recent-trade", self.recent_trades)
        r.add_get("/v5/market/tickers", self.tickers)
        r.add_post("/v5/order/create", self.order_create)
        r.add_get("/v5/order/realtime", self.order_realtime)
        r.add_get("/v5/order/history", self.order_history)
        r.add_post("/v5/order/cancel", self.order_cancel)
        r.add_post("/v5/order/cancel-all", self.cancel_all)
        r.add_get("/v5/execution/list", self.executions)
        r.add_get("/v5/account/wallet-balance", self.wallet_balance)
        r.add_get("/v5/user/query-api", self.query_api)
        r.add_get("/v5/account/info", self.account_info)
        r.add_get("/v5/asset/coin/query-info", self.coin_info)
        r.add_get("/v5/public/spot", self.ws)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {
            "bybit_rest": f"http://127.0.0.1:{port}",
            "bybit_ws": f"ws://127.0.0.1:{port}/v5/public/spot",
        }

    # --- envelope and auth -----------------------------------------------------------------

    @staticmethod
    def _env(result: Any, code: int = 0, msg: str = "OK") -> web.Response:
        return json_response(
            {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": wall_ms()}
        )

    def _auth(self, request: web.Request, payload: str) -> str | web.Response:
        h = request.headers
        key = h.get("X-BAPI-API-KEY", "")
        acct = self.ex.accounts.get(key)
        if acct is None:
            return self._env({}, 10003, "API key is invalid.")
        ts, window, sign = (
            h.get("X-BAPI-TIMESTAMP", ""),
            h.get("X-BAPI-RECV-WINDOW", "5000"),
            h.get("X-BAPI-SIGN", ""),
        )
        expected = hmac.new(
            acct.api_secret.encode(), f"{ts}{key}{window}{payload}".encode(), hashlib.sha256
        )
        if not hmac.compare_digest(expected.hexdigest(), sign.lower()):
            return self._env(
                {}, 10004, "Error sign, please check your signature generation algorithm."
            )
        try:
            t, w = int(ts), int(window)
        except ValueError:
            return self._env({}, 10002, "invalid request, please check your server timestamp")
        now = wall_ms()
        if not (now - w <= t < now + 1000):
            return self._env(
                {},
                10002,
                "invalid request, please check your server timestamp or recv_window param",
            )
        return key

    async def _auth_get(self, request: web.Request) -> tuple[str, dict[str, str]] | web.Response:
        key = self._auth(request, request.query_string)
        if isinstance(key, web.Response):
            return key
        return key, dict(parse_qsl(request.query_string, keep_blank_values=True))

    async def _auth_post(self, request: web.Request) -> tuple[str, dict[str, Any]] | web.Response:
        raw = await request.text()
        key = self._auth(request, raw)
        if isinstance(key, web.Response):
            return key
        try:
            body = msgspec.json.decode(raw) if raw else {}
        except msgspec.DecodeError:
            return self._env({}, 10001, "request body is not valid JSON")
        if not isinstance(body, dict):
            return self._env({}, 10001, "request body must be an object")
        return key, body

    # --- market ------------------------------------------------------------------------------

    async def market_time(self, _request: web.Request) -> web.Response:
        now = wall_ms()
        return self._env({"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})

    async def instruments(self, request: web.Request) -> web.Response:
        cat = request.query.get("category", "")
        if cat not in ("spot", "linear", "inverse", "option"):
            return self._env({}, 10001, "params error: category")
        items = []
        if cat == "spot":
            wanted = request.query.get("symbol")
            for sym, view in self.views.items():
                if wanted and sym != wanted:
                    continue
                spec = view.spec
                items.append(
                    {
                        "symbol": sym,
                        "baseCoin": spec.base,
                        "quoteCoin": spec.quote,
                        "innovation": "0",
                        "status": "Trading",
                        "marginTrading": "none",
                        "stTag": "0",
                        "lotSizeFilter": {
                            "basePrecision": spec.fmt_qty(spec.step),
                            "quotePrecision": "0.00000001",
                            "minOrderQty": spec.fmt_qty(spec.min_qty),
                            "maxOrderQty": "100000000000",
                            "minOrderAmt": f"{spec.min_cost:g}",
                            "maxOrderAmt": "2000000",
                        },
                        "priceFilter": {"tickSize": spec.fmt_price(spec.tick)},
                        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.1"},
                    }
                )
        return self._env({"category": cat, "list": items, "nextPageCursor": ""})

    def _sym(self, request: web.Request) -> str | web.Response:
        if request.query.get("category", "spot") != "spot":
            return self._env({"category": request.query.get("category"), "list": []})
        sym = request.query.get("symbol", "")
        if sym not in self.views:
            return self._env({}, 10001, "params error: symbol invalid")
        return sym

    async def orderbook(self, request: web.Request) -> web.Response:
        sym = self._sym(request)
        if isinstance(sym, web.Response):
            return sym
        try:
            limit = min(1000, max(1, int(request.query.get("limit", "1"))))
        except ValueError:
            return self._env({}, 10001, "params error: limit")
        book = self.ex.books[sym]
        spec = book.spec
        bids, asks = book.snapshot(limit)
        now = self.world.market.now
        return self._env(
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
        return self._env(
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

    def _ticker(self, sym: str) -> dict[str, Any]:
        view = self.views[sym]
        spec = view.spec
        day = view.buckets.window(self.world.market.now, 1440)
        bid, bq, ask, aq = self.ex.books[sym].best()
        last = view.trades[-1].price if view.trades else (bid + ask) / 2
        prev = day[0].o if day else last
        return {
            "symbol": sym,
            "bid1Price": spec.fmt_price(bid),
            "bid1Size": spec.fmt_qty(bq),
            "ask1Price": spec.fmt_price(ask),
            "ask1Size": spec.fmt_qty(aq),
            "lastPrice": spec.fmt_price(last),
            "prevPrice24h": spec.fmt_price(prev),
            "price24hPcnt": f"{last / prev - 1:.4f}",
            "highPrice24h": spec.fmt_price(max([b.h for b in day], default=last)),
            "lowPrice24h": spec.fmt_price(min([b.l for b in day], default=last)),
            "turnover24h": f"{sum(b.v_quote for b in day):.4f}",
            "volume24h": spec.fmt_qty(sum(b.v_base for b in day)),
            "usdIndexPrice": spec.fmt_price(last),
        }

    async def tickers(self, request: web.Request) -> web.Response:
        if request.query.get("category", "spot") != "spot":
            return self._env({"category": request.query.get("category"), "list": []})
        wanted = request.query.get("symbol")
        if wanted and wanted not in self.views:
            return self._env({}, 10001, "params error: symbol invalid")
        syms = [wanted] if wanted else list(self.views)
        return self._env({"category": "spot", "list": [self._ticker(s) for s in syms]})

    # --- trading ---------------------------------------------------------------------------

    def _order_json(self, o: SimOrder) -> dict[str, Any]:
        spec = self.views[o.symbol].spec
        return {
            "orderId": o.id,
            "orderLinkId": o.client_id,
            "symbol": o.symbol,
            "price": spec.fmt_price(o.price or 0.0),
            "qty": spec.fmt_qty(o.qty) if o.qty else f"{o.quote_qty or 0:.8f}",
            "side": "Buy" if o.side == "buy" else "Sell",
            "isLeverage": "0",
            "positionIdx": 0,
            "orderStatus": _STATUS[o.status],
            "cancelType": "UNKNOWN",
            "rejectReason": "EC_NoError",
            "avgPrice": f"{o.avg_price:.10g}" if o.avg_price else "",
            "leavesQty": spec.fmt_qty(max(0.0, o.qty - o.executed)) if o.is_open else "0",
            "leavesValue": "0",
            "cumExecQty": spec.fmt_qty(o.executed),
            "cumExecValue": f"{o.cum_quote:.8f}",
            "cumExecFee": f"{o.fee:.8f}",
            "timeInForce": o.tif,
            "orderType": "Limit" if o.type == "limit" else "Market",
            "stopOrderType": "",
            "triggerPrice": "0",
            "createdTime": str(o.time),
            "updatedTime": str(o.update_time),
        }

    async def order_create(self, request: web.Request) -> web.Response:
        auth = await self._auth_post(request)
        if isinstance(auth, web.Response):
            return auth
        key, b = auth
        if b.get("category") != "spot":
            return self._env({}, 10001, "params error: category")
        side = str(b.get("side", "")).lower()
        otype = str(b.get("orderType", "")).lower()
        tif = str(b.get("timeInForce", "GTC"))
        link = b.get("orderLinkId") or None
        if link is not None and (len(str(link)) > 36):
            return self._env({}, 10001, "params error: orderLinkId too long")
        try:
            amount = float(b.get("qty", ""))
            price = float(b["price"]) if b.get("price") not in (None, "") else None
        except (TypeError, ValueError):
            return self._env({}, 10001, "params error: qty or price")
        qty: float | None = amount
        quote_qty = None
        if otype == "market" and side == "buy" and b.get("marketUnit", "quoteCoin") == "quoteCoin":
            qty, quote_qty = None, amount  # spot market buys are by quote value by default
        try:
            o = self.ex.place(
                key,
                str(b.get("symbol", "")),
                side,
                otype,
                qty,
                price if otype == "limit" else None,
                quote_qty,
                link,
                "IOC" if tif == "IOC" else "FOK" if tif == "FOK" else "GTC",
            )
        except SimReject as exc:
            code, msg = _REJECT.get(exc.reason, (10001, str(exc)))
            return self._env({}, code, msg)
        return self._env({"orderId": o.id, "orderLinkId": o.client_id})

    async def order_realtime(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        if isinstance(auth, web.Response):
            return auth
        key, q = auth
        sym = q.get("symbol")
        if q.get("orderId") or q.get("orderLinkId"):
            o = self.ex.get(key, q.get("orderId"), q.get("orderLinkId"))
            orders = [o] if o is not None and (not sym or o.symbol == sym) else []
        elif q.get("openOnly", "0") == "1":
            orders = [o for o in self.ex.orders.values() if o.account == key and not o.is_open]
            orders = [o for o in orders if not sym or o.symbol == sym][-500:]
        else:
            orders = self.ex.open_orders(key, sym)
        return self._env(
            {
                "category": "spot",
                "nextPageCursor": "",
                "list": [self._order_json(o) for o in orders],
            }
        )

    async def order_history(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        if isinstance(auth, web.Response):
            return auth
        key, q = auth
        sym = q.get("symbol")
        orders = [
            o for o in self.ex.orders.values() if o.account == key and (not sym or o.symbol == sym)
        ]
        if q.get("orderId") or q.get("orderLinkId"):
            o = self.ex.get(key, q.get("orderId"), q.get("orderLinkId"))
            orders = [o] if o else []
        return self._env(
            {
                "category": "spot",
                "nextPageCursor": "",
                "list": [self._order_json(o) for o in orders[-50:]],
            }
        )

    async def order_cancel(self, request: web.Request) -> web.Response:
        auth = await self._auth_post(request)
        if isinstance(auth, web.Response):
            return auth
        key, b = auth
        try:
            o = self.ex.cancel(key, b.get("orderId"), b.get("orderLinkId"))
        except SimReject as exc:
            code, msg = _REJECT.get(exc.reason, (10001, str(exc)))
            return self._env({}, code, msg)
        return self._env({"orderId": o.id, "orderLinkId": o.client_id})

    async def cancel_all(self, request: web.Request) -> web.Response:
        auth = await self._auth_post(request)
        if isinstance(auth, web.Response):
            return auth
        key, b = auth
        done = [self.ex.cancel(key, o.id, None) for o in self.ex.open_orders(key, b.get("symbol"))]
        return self._env(
            {"list": [{"orderId": o.id, "orderLinkId": o.client_id} for o in done], "success": "1"}
        )

    async def executions(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        if isinstance(auth, web.Response):
            return auth
        key, q = auth
        sym = q.get("symbol", "")
        items = []
        for o, f in self.ex.my_trades(key, sym) if sym in self.views else []:
            spec = self.views[o.symbol].spec
            items.append(
                {
                    "symbol": o.symbol,
                    "orderId": o.id,
                    "orderLinkId": o.client_id,
                    "side": "Buy" if o.side == "buy" else "Sell",
                    "orderPrice": spec.fmt_price(o.price or 0),
                    "orderQty": spec.fmt_qty(o.qty),
                    "orderType": "Limit" if o.type == "limit" else "Market",
                    "execFee": f"{f.fee:.8f}",
                    "execId": f.trade_id,
                    "execPrice": spec.fmt_price(f.price),
                    "execQty": spec.fmt_qty(f.qty),
                    "execType": "Trade",
                    "execValue": f"{f.price * f.qty:.8f}",
                    "execTime": str(f.time),
                    "isMaker": f.maker,
                    "feeRate": f"{self.ex.maker_fee if f.maker else self.ex.taker_fee:g}",
                }
            )
        return self._env({"category": "spot", "list": items, "nextPageCursor": ""})

    async def wallet_balance(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        if isinstance(auth, web.Response):
            return auth
        acct = self.ex.accounts[auth[0]]
        coins = []
        for c in sorted(set(acct.free) | set(acct.locked)):
            free, locked = acct.free.get(c, 0.0), acct.locked.get(c, 0.0)
            total = free + locked
            coins.append(
                {
                    "coin": c,
                    "equity": f"{total:.8f}",
                    "walletBalance": f"{total:.8f}",
                    "locked": f"{locked:.8f}",
                    "usdValue": "0",
                    "borrowAmount": "0",
                    "availableToWithdraw": f"{free:.8f}",
                    "accruedInterest": "0",
                    "totalOrderIM": "0",
                    "totalPositionIM": "0",
                    "totalPositionMM": "0",
                    "unrealisedPnl": "0",
                    "cumRealisedPnl": "0",
                    "bonus": "0",
                    "collateralSwitch": True,
                    "marginCollateral": True,
                    "spotBorrow": "0",
                    "spotHedgingQty": "0",
                }
            )
        return self._env({"list": [{"accountType": "UNIFIED", "totalEquity": "0", "coin": coins}]})

    async def query_api(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        if isinstance(auth, web.Response):
            return auth
        return self._env(
            {
                "id": "1",
                "apiKey": auth[0],
                "readOnly": 0,
                "unified": 0,
                "uta": 1,
                "permissions": {"Spot": ["SpotTrade"]},
            }
        )

    async def account_info(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        if isinstance(auth, web.Response):
            return auth
        return self._env(
            {"unifiedMarginStatus": 6, "marginMode": "REGULAR_MARGIN", "isMasterTrader": False}
        )

    async def coin_info(self, request: web.Request) -> web.Response:
        auth = await self._auth_get(request)
        return auth if isinstance(auth, web.Response) else self._env({"rows": []})

    # --- websocket -------------------------------------------------------------------------

    async def ws(self, request: web.Request) -> web.StreamResponse:
        return await self.hub.serve(request, self._on_text)

    def _on_text(self, conn: WsConn, text: str) -> None:
        conn_id = conn.state.setdefault("conn_id", str(uuid.uuid4()))
        try:
            msg = msgspec.json.decode(text)
        except msgspec.DecodeError:
            conn.send(
                _dumps(
                    {
                        "success": False,
                        "ret_msg": "error:invalid json",
                        "conn_id": conn_id,
                        "op": "",
                    }
                ).decode()
            )
            return
        if not isinstance(msg, dict):
            return
        op, req_id = msg.get("op"), msg.get("req_id", "")
        if op == "ping":
            conn.send(
                _dumps(
                    {
                        "success": True,
                        "ret_msg": "pong",
                        "conn_id": conn_id,
                        "req_id": req_id,
                        "op": "ping",
                    }
                ).decode()
            )
            return
        args = [a for a in msg.get("args", []) if isinstance(a, str)]
        if op == "subscribe":
            bad = [a for a in args if not self._valid_topic(a)]
            ok = not bad and len(args) <= 10
            conn.send(
                _dumps(
                    {
                        "success": ok,
                        "ret_msg": "" if ok else f"error:handler not found,topic:{','.join(bad)}",
                        "conn_id": conn_id,
                        "req_id": req_id,
                        "op": "subscribe",
                    }
                ).decode()
            )
            if ok:
                for a in args:
                    self.hub.subscribe(conn, a)
                    if a.startswith("orderbook."):
                        conn.send(self._book_snapshot(a))
        elif op == "unsubscribe":
            for a in args:
                self.hub.unsubscribe(conn, a)
            conn.send(
                _dumps(
                    {
                        "success": True,
                        "ret_msg": "",
                        "conn_id": conn_id,
                        "req_id": req_id,
                        "op": "unsubscribe",
                    }
                ).decode()
            )

    def _valid_topic(self, topic: str) -> bool:
        parts = topic.split(".")
        if len(parts) == 3 and parts[0] == "orderbook":
            return parts[1] in _DEPTHS and parts[2] in self.views
        return len(parts) == 2 and parts[0] in ("publicTrade", "tickers") and parts[1] in self.views

    def _book_snapshot(self, topic: str) -> str:
        _, depth, sym = topic.split(".")
        book = self.ex.books[sym]
        spec = book.spec
        bids, asks = book.snapshot(int(depth))
        now = self.world.market.now
        return _dumps(
            {
                "topic": topic,
                "type": "snapshot",
                "ts": now,
                "data": {
                    "s": sym,
                    "b": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in bids],
                    "a": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in asks],
                    "u": book.version,
                    "seq": next(self._cross_seq),
                },
                "cts": now,
            }
        ).decode()

    def publish(self, ev: SimEvent, what: str) -> None:
        if not isinstance(ev, (CexBookDelta, CexTradeEv, CexBbo)) or ev.venue != "bybit":
            return
        faults = self.world.faults
        if faults.is_down("bybit") or faults.is_stale("bybit"):
            return
        if isinstance(ev, CexBookDelta) and faults.take_gap("bybit", ev.symbol, ev.t, what):
            return
        variant = faults.take_malformed("bybit", ev.t, what)
        dup = faults.take_duplicate("bybit", ev.t, what)
        spec = self.views[ev.symbol].spec
        for topic, frame in self._frames(ev, spec, variant):
            self.hub.publish(topic, frame)
            if dup:
                self.hub.publish(topic, frame)

    def _frames(
        self, ev: CexBookDelta | CexTradeEv | CexBbo, spec: Any, variant: str | None
    ) -> list[tuple[str, str]]:
        """(topic, frame) for every subscribed topic this event feeds."""
        fp, fq = spec.fmt_price, spec.fmt_qty
        messages: list[tuple[str, dict[str, Any]]] = []
        if isinstance(ev, CexBookDelta):
            data = {
                "s": ev.symbol,
                "b": [[fp(p), fq(q)] for p, q in ev.bids],
                "a": [[fp(p), fq(q)] for p, q in ev.asks],
                "u": ev.last,
            }
            for depth in ("50", "200", "1000"):
                topic = f"orderbook.{depth}.{ev.symbol}"
                messages.append(
                    (
                        topic,
                        {"topic": topic, "type": "delta", "ts": ev.t, "data": data, "cts": ev.t},
                    )
                )
        elif isinstance(ev, CexTradeEv):
            topic = f"publicTrade.{ev.symbol}"
            trade = {
                "i": str(ev.trade_id),
                "T": ev.t,
                "p": fp(ev.price),
                "v": fq(ev.size),
                "S": "Buy" if ev.side == "buy" else "Sell",
                "s": ev.symbol,
                "BT": False,
                "RPI": False,
                "seq": ev.trade_id,
            }
            messages.append(
                (topic, {"topic": topic, "type": "snapshot", "ts": ev.t, "data": [trade]})
            )
        else:
            topic = f"orderbook.1.{ev.symbol}"
            top = {
                "s": ev.symbol,
                "b": [[fp(ev.bid), fq(ev.bid_size)]],
                "a": [[fp(ev.ask), fq(ev.ask_size)]],
                "u": ev.t // 100,
            }
            messages.append(
                (topic, {"topic": topic, "type": "snapshot", "ts": ev.t, "data": top, "cts": ev.t})
            )
            topic = f"tickers.{ev.symbol}"
            if self.hub.has(topic):
                ticker = {k: v for k, v in self._ticker(ev.symbol).items() if k in _TICKER_KEYS}
                messages.append(
                    (topic, {"topic": topic, "ts": ev.t, "type": "snapshot", "data": ticker})
                )
        out: list[tuple[str, str]] = []
        for topic, msg in messages:
            if not self.hub.has(topic):
                continue
            if variant:
                out.append((topic, self._malformed(variant, topic)))
                continue
            if topic.startswith("orderbook."):
                msg["data"] = {**msg["data"], "seq": next(self._cross_seq)}
            elif topic.startswith("tickers."):
                msg["cs"] = next(self._cross_seq)
            out.append((topic, _dumps(msg).decode()))
        return out

    @staticmethod
    def _malformed(variant: str, topic: str) -> str:
        if variant == "bad_json":
            return '{"topic":"' + topic + '","type":"delta","data":{"b":[["1.0"'
        if variant == "wrong_types":
            return _dumps(
                {
                    "topic": topic,
                    "type": "delta",
                    "ts": "yesterday",
                    "data": {"s": 42, "b": [["abc", None]], "a": "x", "u": "?"},
                }
            ).decode()
        if variant == "missing_fields":
            return _dumps({"topic": topic, "type": "delta"}).decode()
        return "\udcff not utf-8 \x00".encode("utf-8", "surrogateescape").decode("latin-1")
