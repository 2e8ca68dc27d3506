"""Bybit v5 signed REST: order create / query / cancel, executions, wallet, key info.

``orderLinkId`` is the client order id: a duplicate answers 110072.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dexcex.sim.exchange import SimOrder, SimReject
from dexcex.sim.servers.bybit.auth import BybitAuth
from dexcex.sim.servers.bybit.frames import (
    env,
    execution_json,
    order_json,
    reject,
    wallet_coins,
)
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import CexView

__all__ = ["BybitTrading"]


class BybitTrading:
    def __init__(self, world: ServerWorld, views: dict[str, CexView], auth: BybitAuth) -> None:
        self.world = world
        self.ex = world.exchanges["bybit"]
        self.views = views
        self.auth = auth

    def routes(self, r: web.UrlDispatcher) -> None:
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

    def _list(self, orders: list[SimOrder]) -> web.Response:
        return env(
            {
                "category": "spot",
                "nextPageCursor": "",
                "list": [order_json(o, self.views[o.symbol].spec) for o in orders],
            }
        )

    def _one(self, key: str, q: dict[str, str]) -> SimOrder | None:
        # "orderId has priority over orderLinkId" (Bybit v5, Get Open & Closed Orders):
        # an orderId of "None" finds nothing, however right the orderLinkId.
        first = self.world.scenario.realism.order_id_priority
        return self.ex.get(key, q.get("orderId"), q.get("orderLinkId"), order_id_first=first)

    async def order_create(self, request: web.Request) -> web.Response:
        auth = await self.auth.post(request)
        if isinstance(auth, web.Response):
            return auth
        key, b = auth
        if b.get("category") != "spot":
            return env({}, 10001, "params error: category")
        side = str(b.get("side", "")).lower()
        otype = str(b.get("orderType", "")).lower()
        tif = str(b.get("timeInForce", "GTC"))
        link = b.get("orderLinkId") or None
        if link is not None and (len(str(link)) > 36):
            return env({}, 10001, "params error: orderLinkId too long")
        try:
            amount = float(b.get("qty", ""))
            price = float(b["price"]) if b.get("price") not in (None, "") else None
        except (TypeError, ValueError):
            return env({}, 10001, "params error: qty or price")
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
            return reject(exc)
        return env({"orderId": o.id, "orderLinkId": o.client_id})

    async def order_realtime(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        if isinstance(auth, web.Response):
            return auth
        key, q = auth
        sym = q.get("symbol")
        if q.get("orderId") or q.get("orderLinkId"):
            o = self._one(key, q)
            orders = [o] if o is not None and (not sym or o.symbol == sym) else []
        elif q.get("openOnly", "0") == "1":
            orders = [o for o in self.ex.orders.values() if o.account == key and not o.is_open]
            orders = [o for o in orders if not sym or o.symbol == sym][-500:]
        else:
            orders = self.ex.open_orders(key, sym)
        return self._list(orders)

    async def order_history(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        if isinstance(auth, web.Response):
            return auth
        key, q = auth
        sym = q.get("symbol")
        orders = [
            o for o in self.ex.orders.values() if o.account == key and (not sym or o.symbol == sym)
        ]
        if q.get("orderId") or q.get("orderLinkId"):
            o = self._one(key, q)
            orders = [o] if o else []
        return self._list(orders[-50:])

    async def order_cancel(self, request: web.Request) -> web.Response:
        auth = await self.auth.post(request)
        if isinstance(auth, web.Response):
            return auth
        key, b = auth
        try:
            o = self.ex.cancel(key, b.get("orderId"), b.get("orderLinkId"))
        except SimReject as exc:
            return reject(exc)
        return env({"orderId": o.id, "orderLinkId": o.client_id})

    async def cancel_all(self, request: web.Request) -> web.Response:
        auth = await self.auth.post(request)
        if isinstance(auth, web.Response):
            return auth
        key, b = auth
        done = [self.ex.cancel(key, o.id, None) for o in self.ex.open_orders(key, b.get("symbol"))]
        return env(
            {"list": [{"orderId": o.id, "orderLinkId": o.client_id} for o in done], "success": "1"}
        )

    async def executions(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        if isinstance(auth, web.Response):
            return auth
        key, q = auth
        sym = q.get("symbol", "")
        items: list[dict[str, Any]] = []
        for o, f in self.ex.my_trades(key, sym) if sym in self.views else []:
            rate = self.ex.maker_fee if f.maker else self.ex.taker_fee
            items.append(execution_json(o, f, self.views[o.symbol].spec, rate))
        return env({"category": "spot", "list": items, "nextPageCursor": ""})

    async def wallet_balance(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        if isinstance(auth, web.Response):
            return auth
        coins = wallet_coins(self.ex.accounts[auth[0]])
        return env({"list": [{"accountType": "UNIFIED", "totalEquity": "0", "coin": coins}]})

    async def query_api(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        if isinstance(auth, web.Response):
            return auth
        perms = self.ex.accounts[auth[0]].permissions
        wallet = ["AccountTransfer", "Withdraw"] if "withdraw" in perms else []
        return env(
            {
                "id": "1",
                "apiKey": auth[0],
                "readOnly": 0 if "trade" in perms else 1,
                "unified": 0,
                "uta": 1,
                "permissions": {
                    "Spot": ["SpotTrade"] if "trade" in perms else [],
                    "Wallet": wallet,
                },
            }
        )

    async def account_info(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        if isinstance(auth, web.Response):
            return auth
        return env(
            {"unifiedMarginStatus": 6, "marginMode": "REGULAR_MARGIN", "isMasterTrader": False}
        )

    async def coin_info(self, request: web.Request) -> web.Response:
        auth = await self.auth.get(request)
        return auth if isinstance(auth, web.Response) else env({"rows": []})
