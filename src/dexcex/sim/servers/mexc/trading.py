"""MEXC spot v3 signed REST: orders, open orders, account, own trades, capital config.

Parameters come from the query string (ccxt puts them there even for POST and DELETE)
and, when present, the form body.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dexcex.sim.exchange import SimOrder, SimReject
from dexcex.sim.servers.common import json_response
from dexcex.sim.servers.mexc.auth import MexcAuth
from dexcex.sim.servers.mexc.frames import err, order_json, reject
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import CexView

__all__ = ["MexcTrading"]

# MEXC order type → (simulated type, time in force)
_TYPES = {
    "LIMIT": ("limit", "GTC"),
    "MARKET": ("market", "GTC"),
    "LIMIT_MAKER": ("limit", "GTC"),
    "IMMEDIATE_OR_CANCEL": ("limit", "IOC"),
    "FILL_OR_KILL": ("limit", "FOK"),
}


async def _body(request: web.Request) -> str:
    return (await request.text()) if request.can_read_body else ""


class MexcTrading:
    def __init__(self, world: ServerWorld, views: dict[str, CexView], auth: MexcAuth) -> None:
        self.world = world
        self.ex = world.exchanges["mexc"]
        self.views = views
        self.auth = auth
        self._created: dict[str, int] = {}  # order id → venue time of its create

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_post("/api/v3/order", self.order_create)
        r.add_post("/api/v3/order/test", self.order_test)
        r.add_get("/api/v3/order", self.order_get)
        r.add_delete("/api/v3/order", self.order_cancel)
        r.add_get("/api/v3/openOrders", self.open_orders)
        r.add_delete("/api/v3/openOrders", self.cancel_all)
        r.add_get("/api/v3/account", self.account)
        r.add_get("/api/v3/myTrades", self.my_trades)
        r.add_get("/api/v3/capital/config/getall", self.capital_config)

    def _json(self, o: SimOrder, *, full: bool = True) -> dict[str, Any]:
        return order_json(o, self.views[o.symbol].spec, full=full)

    async def order_create(self, request: web.Request) -> web.Response:
        return await self._create(request, test=False)

    async def order_test(self, request: web.Request) -> web.Response:
        return await self._create(request, test=True)

    async def _create(self, request: web.Request, *, test: bool) -> web.Response:
        auth = self.auth.check(request, await _body(request))
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        typ = _TYPES.get(p.get("type", "").upper())
        side = p.get("side", "").upper()
        if typ is None or side not in ("BUY", "SELL"):
            return err(400, 700004, "Mandatory parameter 'side' or 'type' is invalid")
        try:
            qty = float(p["quantity"]) if p.get("quantity") else None
            price = float(p["price"]) if p.get("price") else None
            quote_qty = float(p["quoteOrderQty"]) if p.get("quoteOrderQty") else None
        except ValueError:
            return err(400, 700004, "Parameter 'quantity' or 'price' is invalid")
        if test:
            return json_response({})
        try:
            o = self.ex.place(
                key,
                p.get("symbol", ""),
                side.lower(),
                typ[0],
                qty,
                price if typ[0] == "limit" else None,
                quote_qty,
                p.get("newClientOrderId") or None,
                typ[1],
            )
        except SimReject as exc:
            return reject(exc)
        self._created[o.id] = self.world.venue_now()
        return json_response(self._json(o, full=False))

    async def order_get(self, request: web.Request) -> web.Response:
        auth = self.auth.check(request, "")
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        if not p.get("orderId") and not p.get("origClientOrderId"):
            return err(400, 700004, "Mandatory parameter 'orderId' or 'origClientOrderId'")
        o = self.ex.get(key, p.get("orderId"), p.get("origClientOrderId"))
        if o is None or o.symbol != p.get("symbol"):
            return err(400, -2011, "Order does not exist.")
        if self._just_created(o):
            # MEXC's order query lags its matching engine: a fresh order "does not exist"
            # for a moment (ccxt issue #21614).
            return err(400, -2013, "Order does not exist.")
        return json_response(self._json(o))

    def _just_created(self, o: SimOrder) -> bool:
        window = self.world.scenario.realism.unknown_after_create_ms
        at = self._created.get(o.id)
        return at is not None and self.world.venue_now() - at < window

    async def order_cancel(self, request: web.Request) -> web.Response:
        auth = self.auth.check(request, await _body(request))
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        try:
            o = self.ex.cancel(key, p.get("orderId"), p.get("origClientOrderId"))
        except SimReject as exc:
            return reject(exc)
        out = self._json(o)
        out["origClientOrderId"] = o.client_id or None
        return json_response(out)

    async def open_orders(self, request: web.Request) -> web.Response:
        auth = self.auth.check(request, "")
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        return json_response([self._json(o) for o in self.ex.open_orders(key, p.get("symbol"))])

    async def cancel_all(self, request: web.Request) -> web.Response:
        auth = self.auth.check(request, await _body(request))
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        out = [
            self._json(self.ex.cancel(key, o.id, None))
            for o in self.ex.open_orders(key, p.get("symbol"))
        ]
        return json_response(out)

    async def account(self, request: web.Request) -> web.Response:
        auth = self.auth.check(request, "")
        if isinstance(auth, web.Response):
            return auth
        acct = self.ex.accounts[auth[0]]
        assets = sorted(set(acct.free) | set(acct.locked))
        return json_response(
            {
                "canTrade": "trade" in acct.permissions,
                "canWithdraw": "withdraw" in acct.permissions,
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
        auth = self.auth.check(request, "")
        if isinstance(auth, web.Response):
            return auth
        key, p = auth
        sym = p.get("symbol", "")
        if sym not in self.views:
            return err(400, -1121, "Invalid symbol.")
        spec = self.views[sym].spec
        return json_response(
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
        auth = self.auth.check(request, "")
        if isinstance(auth, web.Response):
            return auth
        # The currency list is a wallet endpoint: it needs withdraw-read permission.
        gated = self.world.scenario.realism.permission_gate
        if gated and "withdraw" not in self.ex.accounts[auth[0]].permissions:
            return err(400, 700007, "No permission to access the endpoint.")
        return json_response([])
