"""DexScreener's keyless polling REST: pairs, token pairs, search.

``/latest/dex/pairs/{chain}/{ids}`` and ``/latest/dex/search`` answer
``{"schemaVersion", "pairs"}`` (``pairs: null`` for unknown pairs); ``/tokens/v1`` and
``/token-pairs/v1`` answer a bare array (``[]`` for unknown tokens). At most 30
addresses per call; over the per-minute budget the answer is ``too_many``. A polled API
cannot corrupt a push: a malformed-frame fault corrupts the next polled answers, a stale
fault freezes them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dexcex.sim.servers.common import TokenBucket, json_response
from dexcex.sim.servers.dexscreener.frames import pair_json, quote_is_base, too_many
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import PoolView

__all__ = ["DexScreenerRest"]

_MAX_ADDRESSES = 30


def _split(raw: str) -> list[str] | None:
    items = [a for a in raw.split(",") if a]
    return items if 0 < len(items) <= _MAX_ADDRESSES else None


class DexScreenerRest:
    def __init__(self, world: ServerWorld) -> None:
        self.world = world
        self.bucket = TokenBucket(world.scenario.dexscreener_rate_per_min, 60.0)
        self.malformed_pending = 0
        self._frozen: Any = None

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/latest/dex/pairs/{chain}/{pairs}", self.pairs)
        r.add_get("/latest/dex/search", self.search)
        r.add_get("/latest/dex/tokens/{tokens}", self.tokens_legacy)
        r.add_get("/tokens/v1/{chain}/{tokens}", self.tokens)
        r.add_get("/token-pairs/v1/{chain}/{token}", self.token_pairs)

    def _gate(self) -> web.Response | None:
        wait = self.bucket.take()
        return too_many(max(1, round(wait))) if wait else None

    def _answer(self, data: Any) -> web.Response:
        if self.malformed_pending:
            self.malformed_pending -= 1
            return web.Response(
                text='{"schemaVersion":"1.0.0","pairs":[{"chainId":',
                content_type="application/json",
            )
        if self.world.faults.is_stale("dexscreener"):
            self._frozen = self._frozen or data
            return json_response(self._frozen)
        self._frozen = None
        return json_response(data)

    def _pair(self, v: PoolView) -> dict[str, Any]:
        inverted = self.world.scenario.realism.inverted_pairs and quote_is_base(v)
        return pair_json(v, self.world.market_now(), inverted=inverted)

    def _find_pair(self, chain: str, pair_id: str) -> PoolView | None:
        v = self.world.pool_views.get(pair_id) or self.world.pool_views.get(pair_id.lower())
        return v if v is not None and v.pool.chain == chain else None

    def _token_views(self, chain: str | None, token: str) -> list[PoolView]:
        views = self.world.token_pools.get(token) or self.world.token_pools.get(token.lower()) or []
        return [v for v in views if chain is None or v.pool.chain == chain]

    async def pairs(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        chain = request.match_info["chain"]
        ids = _split(request.match_info["pairs"])
        if ids is None:
            return json_response({"schemaVersion": "1.0.0", "pairs": None})
        views = [v for i in ids if (v := self._find_pair(chain, i)) is not None]
        return self._answer(
            {"schemaVersion": "1.0.0", "pairs": [self._pair(v) for v in views] or None}
        )

    async def tokens(self, request: web.Request) -> web.Response:
        if (resp := self._gate()) is not None:
            return resp
        tokens = _split(request.match_info["tokens"]) or []
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
        tokens = _split(request.match_info["tokens"]) or []
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
