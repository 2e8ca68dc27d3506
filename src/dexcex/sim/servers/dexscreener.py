"""DexScreener, simulated: the keyless polling REST API.

Wire format per ``shared/protocols/dexscreener.md``: ``/latest/dex/pairs/{chain}/{ids}``
and ``/latest/dex/search`` answer ``{"schemaVersion", "pairs"}`` (``pairs: null`` for
unknown pairs); ``/tokens/v1`` and ``/token-pairs/v1`` answer a bare array (``[]`` for
unknown tokens). Rolling ``txns``/``volume``/``priceChange`` over m5/h1/h6/h24,
``liquidity {usd, base, quote}``, prices as strings, ``pairCreatedAt`` in ms. Over
300 requests a minute the answer is 429 with a non-JSON body (as behind Cloudflare).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.birdeye import QUOTE_TOKENS
from dexcex.sim.servers.common import (
    BaseVenueServer,
    TokenBucket,
    fault_middleware,
    json_response,
)
from dexcex.sim.state import PoolView

if TYPE_CHECKING:
    from dexcex.sim.world import SimWorld

__all__ = ["DexScreenerServer"]

_WINDOWS = {"m5": 5, "h1": 60, "h6": 360, "h24": 1440}
_MAX_ADDRESSES = 30
_LABELS = {"meteora": ["DLMM"], "orca": ["wp"], "raydium": [], "uniswap": ["v3"]}


def _too_many(retry_after: int | None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.Response(
        status=429, text="error code: 1015", content_type="text/plain", headers=headers
    )


class DexScreenerServer(BaseVenueServer):
    name = "dexscreener"

    def __init__(self, world: SimWorld) -> None:
        super().__init__(world)
        self.bucket = TokenBucket(world.scenario.dexscreener_rate_per_min, 60.0)
        self.malformed_pending = 0
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "dexscreener",
                    world.faults,
                    # behind Cloudflare a 429 often has no Retry-After: clients must cope
                    rate_limited=lambda _s: _too_many(None),
                    server_error=lambda st: web.Response(status=st, text="upstream error"),
                )
            ]
        )
        r = app.router
        r.add_get("/latest/dex/pairs/{chain}/{pairs}", self.pairs)
        r.add_get("/latest/dex/search", self.search)
        r.add_get("/latest/dex/tokens/{tokens}", self.tokens_legacy)
        r.add_get("/tokens/v1/{chain}/{tokens}", self.tokens)
        r.add_get("/token-pairs/v1/{chain}/{token}", self.token_pairs)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {"dexscreener_rest": f"http://127.0.0.1:{port}"}

    def disconnect_all(self) -> None:
        return None  # no websocket

    def publish(self, ev: SimEvent, what: str) -> None:
        # Polled, not pushed: a malformed-frame fault corrupts the next polled answers.
        if self.world.faults.take_malformed("dexscreener", getattr(ev, "t", 0), what):
            self.malformed_pending += 1

    # --- helpers ---------------------------------------------------------------------------

    def _gate(self) -> web.Response | None:
        wait = self.bucket.take()
        return _too_many(max(1, round(wait))) if wait else None

    def _answer(self, data: Any) -> web.Response:
        if self.malformed_pending:
            self.malformed_pending -= 1
            return web.Response(
                text='{"schemaVersion":"1.0.0","pairs":[{"chainId":',
                content_type="application/json",
            )
        if self.world.faults.is_stale("dexscreener"):
            self._frozen = getattr(self, "_frozen", None) or data
            return json_response(self._frozen)
        self._frozen = None
        return json_response(data)

    def _pair(self, v: PoolView) -> dict[str, Any]:
        pool = v.pool
        now = self.world.market.now
        txns, volume, change = {}, {}, {}
        for name, minutes in _WINDOWS.items():
            bs = v.buckets.window(now, minutes)
            txns[name] = {"buys": sum(b.buys for b in bs), "sells": sum(b.sells for b in bs)}
            volume[name] = round(sum(b.v_quote for b in bs), 2)
            past = v.buckets.price_at(now - minutes * 60_000) or pool.price_usd
            change[name] = round((pool.price_usd / past - 1) * 100, 2)
        quote_addr, _ = QUOTE_TOKENS.get((pool.chain, pool.quote_symbol), ("", 9))
        price = pool.price_usd
        return {
            "chainId": pool.chain,
            "dexId": pool.dex,
            "url": f"https://dexscreener.com/{pool.chain}/{pool.address.lower()}",
            "pairAddress": pool.address,
            "labels": _LABELS.get(pool.dex, ["v2"]),
            "baseToken": {"address": pool.token, "name": v.symbol, "symbol": v.symbol},
            "quoteToken": {
                "address": quote_addr,
                "name": pool.quote_symbol,
                "symbol": pool.quote_symbol,
            },
            "priceNative": f"{pool.price_native:.10g}",
            "priceUsd": f"{price:.10g}",
            "txns": txns,
            "volume": volume,
            "priceChange": change,
            "liquidity": {
                "usd": round(pool.liquidity_usd, 2),
                "base": round(pool.base, 4),
                "quote": round(pool.quote, 6),
            },
            "fdv": round(price * 1e9),
            "marketCap": round(price * 9e8),
            "pairCreatedAt": pool.created_ms,
            "info": {
                "imageUrl": f"https://dd.dexscreener.com/ds-data/tokens/{pool.chain}/{pool.token}.png",
                "websites": [{"label": "Website", "url": f"https://{v.symbol.lower()}.example"}],
                "socials": [{"type": "twitter", "url": f"https://x.com/{v.symbol.lower()}"}],
            },
            "boosts": {"active": 0},
        }

    def _split(self, raw: str) -> list[str] | None:
        items = [a for a in raw.split(",") if a]
        return items if 0 < len(items) <= _MAX_ADDRESSES else None

    # --- endpoints ---------------------------------------------------------------------------

    async def pairs(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        chain = request.match_info["chain"]
        ids = self._split(request.match_info["pairs"])
        if ids is None:
            return json_response({"schemaVersion": "1.0.0", "pairs": None})
        views = [v for i in ids if (v := self._find_pair(chain, i)) is not None]
        return self._answer(
            {"schemaVersion": "1.0.0", "pairs": [self._pair(v) for v in views] or None}
        )

    def _find_pair(self, chain: str, pair_id: str) -> PoolView | None:
        v = self.world.pool_views.get(pair_id) or self.world.pool_views.get(pair_id.lower())
        return v if v is not None and v.pool.chain == chain else None

    def _token_views(self, chain: str | None, token: str) -> list[PoolView]:
        views = self.world.token_pools.get(token) or self.world.token_pools.get(token.lower()) or []
        return [v for v in views if chain is None or v.pool.chain == chain]

    async def tokens(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        tokens = self._split(request.match_info["tokens"]) or []
        chain = request.match_info["chain"]
        return self._answer([self._pair(v) for t in tokens for v in self._token_views(chain, t)])

    async def token_pairs(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        views = self._token_views(request.match_info["chain"], request.match_info["token"])
        return self._answer([self._pair(v) for v in views])

    async def tokens_legacy(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        tokens = self._split(request.match_info["tokens"]) or []
        pairs = [self._pair(v) for t in tokens for v in self._token_views(None, t)]
        return self._answer({"schemaVersion": "1.0.0", "pairs": pairs or None})

    async def search(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        q = request.query.get("q", "").strip()
        if not q:
            return json_response({"schemaVersion": "1.0.0", "pairs": []})
        ql = q.lower()
        base = ql.split("/")[0]
        hits = [
            v
            for v in self.world.pool_views.values()
            if ql in (v.pool.address.lower(), v.pool.token.lower()) or v.symbol.lower() == base
        ]
        return self._answer({"schemaVersion": "1.0.0", "pairs": [self._pair(v) for v in hits[:30]]})
