"""Birdeye, simulated: DeFi REST and the websocket (``/socket/{chain}``).

Wire format per ``shared/protocols/birdeye.md``: ``X-API-KEY`` and ``x-chain`` headers,
``{"success": true, "data": …}`` envelope, timestamps in *seconds*, floats for amounts.
Websocket: subprotocol ``echo-protocol``, key in the ``x-api-key`` query parameter,
``SUBSCRIBE_TXS`` → ``TXS_DATA`` (per swap: side relative to the token, ``volumeUSD``,
``owner``, ``from``/``to``), ``SUBSCRIBE_PRICE`` → ``PRICE_DATA`` (1-minute candle
updates), ``SUBSCRIBE_NEW_PAIR`` accepted (no new pairs appear in the simulation).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from dexcex.sim.market.events import DexSwapEv, SimEvent
from dexcex.sim.servers.common import (
    BaseVenueServer,
    TokenBucket,
    WsConn,
    fault_middleware,
    json_response,
)
from dexcex.sim.state import PoolView

if TYPE_CHECKING:
    from dexcex.sim.world import SimWorld

__all__ = ["QUOTE_TOKENS", "BirdeyeServer"]

_dumps = msgspec.json.Encoder().encode
# (address, decimals) of the quote tokens the simulated pools trade against, per chain.
QUOTE_TOKENS: dict[tuple[str, str], tuple[str, int]] = {
    ("solana", "SOL"): ("So11111111111111111111111111111111111111112", 9),
    ("solana", "USDC"): ("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", 6),
    ("ethereum", "WETH"): ("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", 18),
    ("bsc", "WBNB"): ("0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c", 18),
    ("polygon", "USDC"): ("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", 6),
}
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
_COND = re.compile(r"(address|pairAddress)\s*=\s*([A-Za-z0-9]+)")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _err(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"success": False, "message": message}, status=status, headers=headers)


class BirdeyeServer(BaseVenueServer):
    name = "birdeye"

    def __init__(self, world: SimWorld) -> None:
        super().__init__(world)
        self.keys = {a.api_key for a in world.scenario.accounts}
        self.bucket = TokenBucket(world.scenario.birdeye_rate_per_s, 1.0)
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "birdeye",
                    world.faults,
                    rate_limited=lambda s: _err(429, "Too many requests", {"Retry-After": str(s)}),
                    server_error=lambda st: _err(st, "Internal server error"),
                )
            ]
        )
        r = app.router
        r.add_get("/defi/price", self.price)
        r.add_get("/defi/multi_price", self.multi_price)
        r.add_post("/defi/multi_price", self.multi_price)
        r.add_get("/defi/txs/token", self.txs_token)
        r.add_get("/defi/txs/pair", self.txs_pair)
        r.add_get("/defi/v3/token/market-data", self.market_data)
        r.add_get("/defi/token_overview", self.token_overview)
        r.add_get("/defi/ohlcv", self.ohlcv)
        r.add_get("/socket/{chain}", self.ws)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {
            "birdeye_rest": f"http://127.0.0.1:{port}",
            "birdeye_ws": f"ws://127.0.0.1:{port}/socket",
        }

    # --- REST ------------------------------------------------------------------------------

    def _gate(self, request: web.Request) -> str | web.Response:
        """Check key and rate; returns the chain of the request."""
        key = request.headers.get("X-API-KEY") or request.headers.get("x-api-key")
        if key not in self.keys:
            return _err(401, "Unauthorized")
        wait = self.bucket.take()
        if wait:
            return _err(429, "Too many requests", {"Retry-After": str(max(1, round(wait)))})
        return request.headers.get("x-chain", "solana")

    def _pools(self, chain: str, address: str) -> list[PoolView]:
        return [v for v in self.world.token_pools.get(address, []) if v.pool.chain == chain]

    def _price_obj(self, views: list[PoolView], with_liq: bool) -> dict[str, Any]:
        main = views[0]
        now = self.world.market.now
        past = main.buckets.price_at(now - 86_400_000) or main.pool.price_usd
        out: dict[str, Any] = {
            "isScaledUiToken": False,
            "value": main.pool.price_usd,
            "updateUnixTime": (main.last_trade_ms or now) // 1000,
            "updateHumanTime": _iso(main.last_trade_ms or now),
            "priceChange24h": (main.pool.price_usd / past - 1) * 100,
            "priceInNative": main.pool.price_native,
        }
        if with_liq:
            out["liquidity"] = sum(v.pool.liquidity_usd for v in views)
        return out

    async def price(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        if not addr:
            return _err(400, "address is required")
        views = self._pools(chain, addr)
        if not views:
            return _err(400, "Not found token")
        with_liq = request.query.get("include_liquidity", "false").lower() == "true"
        return json_response({"data": self._price_obj(views, with_liq), "success": True})

    async def multi_price(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        raw = request.query.get("list_address", "")
        if request.method == "POST":
            try:
                body = msgspec.json.decode(await request.read())
                raw = str(body.get("list_address", "")) if isinstance(body, dict) else ""
            except msgspec.DecodeError:
                return _err(400, "invalid body")
        addrs = [a for a in raw.split(",") if a]
        if not addrs or len(addrs) > 100:
            return _err(400, "list_address must hold 1..100 addresses")
        with_liq = request.query.get("include_liquidity", "false").lower() == "true"
        data: dict[str, Any] = {}
        for a in addrs:
            views = self._pools(chain, a)
            data[a] = self._price_obj(views, with_liq) if views else None
        return json_response({"success": True, "data": data})

    def _side_item(self, ev: DexSwapEv, view: PoolView, give: bool) -> dict[str, Any]:
        """One leg of a swap: ``give`` is what the owner paid (negative change)."""
        quote_addr, quote_dec = QUOTE_TOKENS.get((ev.chain, view.pool.quote_symbol), ("", 9))
        token_leg = (ev.side == "sell") == give
        if token_leg:
            sym, addr, dec, ui, price = (
                view.symbol,
                view.pool.token,
                view.decimals,
                ev.base_amount,
                ev.price_usd,
            )
        else:
            sym, addr, dec, ui, price = (
                view.pool.quote_symbol,
                quote_addr,
                quote_dec,
                ev.quote_amount,
                view.pool.quote_usd,
            )
        raw = round(ui * 10**dec)
        sign = -1 if give else 1
        return {
            "symbol": sym,
            "decimals": dec,
            "address": addr,
            "amount": raw,
            "uiAmount": ui,
            "price": price,
            "nearestPrice": price,
            "changeAmount": sign * raw,
            "uiChangeAmount": sign * ui,
            "isScaledUiToken": False,
            "multiplier": None,
            "type": "transfer",
            "typeSwap": "from" if give else "to",
        }

    def _tx_item(self, ev: DexSwapEv, view: PoolView, *, pair: bool) -> dict[str, Any]:
        frm, to = self._side_item(ev, view, True), self._side_item(ev, view, False)
        item: dict[str, Any] = {
            "txHash": ev.tx,
            "source": ev.dex,
            "blockUnixTime": ev.t // 1000,
            "txType": "swap",
            "owner": ev.owner,
            "from": frm,
            "to": to,
        }
        if pair:
            item["address"] = ev.pool
            return item
        token, quote = (to, frm) if ev.side == "buy" else (frm, to)
        item.update(
            {
                "quote": token,
                "base": quote,
                "basePrice": quote["price"],
                "quotePrice": token["price"],
                "side": ev.side,
                "alias": None,
                "pricePair": ev.price_native,
                "tokenPrice": ev.price_usd,
                "poolId": ev.pool,
            }
        )
        return item

    def _page(
        self, request: web.Request, items: list[DexSwapEv]
    ) -> tuple[list[DexSwapEv], bool] | web.Response:
        try:
            offset = int(request.query.get("offset", "0"))
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            return _err(400, "offset/limit must be integers")
        if not (0 <= offset <= 9999 and 1 <= limit <= 50 and offset + limit <= 10000):
            return _err(400, "offset 0..9999, limit 1..50, offset+limit <= 10000")
        if request.query.get("sort_type", "desc") == "desc":
            items = items[::-1]
        return items[offset : offset + limit], offset + limit < len(items)

    async def txs_token(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        views = self._pools(chain, request.query.get("address", ""))
        if not views:
            return _err(400, "Not found token")
        swaps = sorted((ev for v in views for ev in v.swaps), key=lambda e: e.t)
        page = self._page(request, swaps)
        if isinstance(page, web.Response):
            return page
        items, more = page
        by_pool = {v.pool.address: v for v in views}
        return json_response(
            {
                "success": True,
                "data": {
                    "items": [self._tx_item(e, by_pool[e.pool], pair=False) for e in items],
                    "hasNext": more,
                },
            }
        )

    async def txs_pair(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        view = self.world.pool_views.get(request.query.get("address", ""))
        if view is None or view.pool.chain != chain:
            return _err(400, "Not found pair")
        page = self._page(request, list(view.swaps))
        if isinstance(page, web.Response):
            return page
        items, more = page
        return json_response(
            {
                "success": True,
                "data": {
                    "items": [self._tx_item(e, view, pair=True) for e in items],
                    "hasNext": more,
                },
            }
        )

    async def market_data(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        views = self._pools(chain, addr)
        if not views:
            return _err(400, "Not found token")
        price = views[0].pool.price_usd
        supply = 1_000_000_000.0
        return json_response(
            {
                "success": True,
                "data": {
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
                },
            }
        )

    async def token_overview(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        views = self._pools(chain, addr)
        if not views:
            return _err(400, "Not found token")
        now = self.world.market.now
        main = views[0]
        data: dict[str, Any] = {
            "address": addr,
            "decimals": main.decimals,
            "symbol": main.symbol,
            "name": main.symbol,
            "liquidity": sum(v.pool.liquidity_usd for v in views),
            "price": main.pool.price_usd,
            "lastTradeUnixTime": main.last_trade_ms // 1000,
            "lastTradeHumanTime": _iso(main.last_trade_ms or now),
            "totalSupply": 1e9,
            "circulatingSupply": 9e8,
            "holder": 150_000,
            "marketCap": 9e8 * main.pool.price_usd,
            "fdv": 1e9 * main.pool.price_usd,
        }
        for frame, minutes in _FRAMES.items():
            bs = [b for v in views for b in v.buckets.window(now, minutes)]
            past = main.buckets.price_at(now - minutes * 60_000) or main.pool.price_usd
            buy_usd = sum(b.buy_quote for b in bs)
            sell_usd = sum(b.sell_quote for b in bs)
            data.update(
                {
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
            )
        return json_response({"success": True, "data": data})

    async def ohlcv(self, request: web.Request) -> web.Response:
        chain = self._gate(request)
        if isinstance(chain, web.Response):
            return chain
        addr = request.query.get("address", "")
        kind = request.query.get("type", "15m")
        views = self._pools(chain, addr)
        if not views or kind not in _OHLCV:
            return _err(400, "invalid address or type")
        try:
            t0, t1 = int(request.query["time_from"]), int(request.query["time_to"])
        except (KeyError, ValueError):
            return _err(400, "time_from and time_to (unix seconds) are required")
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
        return json_response({"success": True, "data": {"isScaledUiToken": False, "items": items}})

    # --- websocket -------------------------------------------------------------------------

    async def ws(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("x-api-key") not in self.keys:
            return _err(401, "Unauthorized")
        chain = request.match_info["chain"]

        def opened(conn: WsConn) -> None:
            conn.state["chain"] = chain
            conn.send(_dumps({"type": "WELCOME", "data": None}).decode())

        return await self.hub.serve(
            request, self._on_text, protocols=("echo-protocol",), heartbeat=30.0, on_open=opened
        )

    def _on_text(self, conn: WsConn, text: str) -> None:
        try:
            msg = msgspec.json.decode(text)
        except msgspec.DecodeError:
            conn.send(_dumps({"type": "ERROR", "data": {"message": "invalid json"}}).decode())
            return
        if not isinstance(msg, dict):
            return
        kind, data = msg.get("type"), msg.get("data") or {}
        chain = conn.state["chain"]
        if kind in ("SUBSCRIBE_TXS", "SUBSCRIBE_PRICE"):
            stream = "txs" if kind == "SUBSCRIBE_TXS" else "price"
            for ch in [c for c in conn.subs if c.startswith(f"{stream}:")]:
                self.hub.unsubscribe(conn, ch)  # a new subscription replaces the old one
            targets = self._targets(data)
            if targets is None or len(targets) > 100:
                conn.send(
                    _dumps({"type": "ERROR", "data": {"message": f"bad {kind} query"}}).decode()
                )
                return
            simple = data.get("queryType", "simple") == "simple"
            for field, addr in targets:
                self.hub.subscribe(conn, f"{stream}:{chain}:{field}:{addr}")
            conn.state[f"{stream}_simple"] = simple
        elif kind in ("UNSUBSCRIBE_TXS", "UNSUBSCRIBE_PRICE"):
            prefix = "txs:" if kind == "UNSUBSCRIBE_TXS" else "price:"
            for ch in [c for c in conn.subs if c.startswith(prefix)]:
                self.hub.unsubscribe(conn, ch)
        elif kind == "SUBSCRIBE_NEW_PAIR":
            self.hub.subscribe(conn, f"newpair:{chain}")

    @staticmethod
    def _targets(data: dict[str, Any]) -> list[tuple[str, str]] | None:
        if data.get("queryType", "simple") == "complex":
            found = _COND.findall(str(data.get("query", "")))
            return [("pair" if f == "pairAddress" else "token", a) for f, a in found] or None
        if data.get("pairAddress"):
            return [("pair", str(data["pairAddress"]))]
        if data.get("address"):
            field = "pair" if data.get("currency") == "pair" else "token"
            return [(field, str(data["address"]))]
        return None

    def publish(self, ev: SimEvent, what: str) -> None:
        if not isinstance(ev, DexSwapEv):
            return
        faults = self.world.faults
        if faults.is_down("birdeye") or faults.is_stale("birdeye"):
            return
        variant = faults.take_malformed("birdeye", ev.t, what)
        dup = faults.take_duplicate("birdeye", ev.t, what)
        view = self.world.pool_views[ev.pool]
        for field, addr in (("token", ev.token), ("pair", ev.pool)):
            txs = f"txs:{ev.chain}:{field}:{addr}"
            if self.hub.has(txs):
                for conn in list(self.hub.by_channel[txs]):
                    frame = (
                        self._malformed(variant)
                        if variant
                        else self._txs_frame(
                            ev,
                            view,
                            pair=field == "pair",
                            simple=conn.state.get("txs_simple", True),
                        )
                    )
                    conn.send(frame)
                    if dup:
                        conn.send(frame)
            price = f"price:{ev.chain}:{field}:{addr}"
            if self.hub.has(price):
                frame = self._malformed(variant) if variant else self._price_frame(ev, view, addr)
                self.hub.publish(price, frame)
                if dup:
                    self.hub.publish(price, frame)

    def _txs_frame(self, ev: DexSwapEv, view: PoolView, *, pair: bool, simple: bool) -> str:
        frm, to = self._side_item(ev, view, True), self._side_item(ev, view, False)
        frm["feeInfo"] = to["feeInfo"] = None
        data: dict[str, Any] = {
            "blockUnixTime": ev.t // 1000,
            "owner": ev.owner,
            "source": ev.dex,
            "txHash": ev.tx,
            "alias": None,
            "isTradeOnBe": False,
            "platform": ev.dex,
            "volumeUSD": ev.usd,
            "from": frm,
            "to": to,
            "network": ev.chain,
            "poolId": ev.pool,
            "priceMark": True,
            "tokenPrice": ev.price_usd,
        }
        if not simple:
            data["side"] = "swap"
        elif not pair:
            data.update({"side": ev.side, "tokenAddress": ev.token, "pricePair": ev.price_native})
        return _dumps({"type": "TXS_DATA", "data": data}).decode()

    def _price_frame(self, ev: DexSwapEv, view: PoolView, addr: str) -> str:
        b = view.buckets.buckets[-1]
        return _dumps(
            {
                "type": "PRICE_DATA",
                "data": {
                    "o": b.o,
                    "h": b.h,
                    "l": b.l,
                    "c": b.c,
                    "eventType": "ohlcv",
                    "type": "1m",
                    "unixTime": b.minute * 60,
                    "v": b.v_base,
                    "symbol": view.symbol,
                    "address": addr,
                },
            }
        ).decode()

    @staticmethod
    def _malformed(variant: str) -> str:
        if variant == "bad_json":
            return '{"type":"TXS_DATA","data":{"blockUnixTime":'
        if variant == "wrong_types":
            return _dumps(
                {
                    "type": "TXS_DATA",
                    "data": {
                        "blockUnixTime": "soon",
                        "side": 3,
                        "volumeUSD": "lots",
                        "from": [],
                        "to": None,
                    },
                }
            ).decode()
        if variant == "missing_fields":
            return _dumps({"type": "TXS_DATA", "data": {"owner": "x"}}).decode()
        return '{"type":"TXS_DATA","data":{"blockUnixTime":1,"volumeUSD":NaN}}'
