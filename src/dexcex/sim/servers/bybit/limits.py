"""Bybit's rate limits as the venue enforces them (docs/venues-reality.md):

* per key and endpoint (order create/cancel, order queries): over the limit the answer
  is HTTP 200 with ``retCode`` 10006, and every answer of these endpoints carries
  ``X-Bapi-Limit``, ``X-Bapi-Limit-Status`` (requests left) and
  ``X-Bapi-Limit-Reset-Timestamp`` (ms, when the window resets);
* per IP, 600 REST requests in 5 s: over it, HTTP 403 and an IP ban of at least 10
  minutes, during which every REST request gets 403 (websockets have limits of their
  own: connections per 5 minutes, not simulated).
"""

from __future__ import annotations

import time
from collections import Counter

from aiohttp import web
from aiohttp.typedefs import Middleware

from dexcex.logs import get_logger
from dexcex.sim.servers.bybit.frames import env
from dexcex.sim.servers.common import Handler, TokenBucket
from dexcex.sim.servers.port import ServerWorld

__all__ = ["BybitLimits"]

_log = get_logger("dexcex.sim.bybit")

# Endpoints limited per key, and their share of the configured per-second limit
# (Bybit: spot create/cancel 20/s, order queries 50/s).
_PER_KEY = {
    "/v5/order/create": 1.0,
    "/v5/order/cancel": 1.0,
    "/v5/order/realtime": 2.5,
    "/v5/order/history": 2.5,
}


class BybitLimits:
    def __init__(self, world: ServerWorld) -> None:
        self.world = world
        self.realism = world.scenario.realism
        self._keyed: dict[tuple[str, str], TokenBucket] = {}
        per_5s = self.realism.bybit_ip_limit_per_5s
        self._ip = TokenBucket(per_5s, 5.0) if per_5s else None
        self.banned_until = 0.0  # monotonic seconds
        self.bans = 0
        self.requests = 0  # every REST request that reached the venue, refused or not
        self.by_path: Counter[str] = Counter()

    def middleware(self) -> Middleware:
        @web.middleware
        async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.path.startswith("/v5/public/"):  # websockets: limits of their own
                return await handler(request)
            self.requests += 1
            self.by_path[request.path] += 1
            ban = self._ip_ban()
            if ban is not None:
                return ban
            limited = self._per_key(request)
            if limited is not None:
                return limited
            response = await handler(request)
            if request.path in _PER_KEY and isinstance(response, web.Response):
                response.headers.update(self._headers(request))
            return response

        return limit

    def _ip_ban(self) -> web.Response | None:
        now = time.monotonic()
        if now < self.banned_until:
            return web.Response(status=403, text="access too frequent")
        if self._ip is not None and self._ip.take(1.0) > 0:
            self.banned_until = now + self.realism.bybit_ip_ban_s
            self.bans += 1
            _log.warning(
                "bybit sim: IP banned", requests=self.requests, top=self.by_path.most_common(3)
            )
            return web.Response(status=403, text="access too frequent")
        return None

    def _bucket(self, request: web.Request) -> TokenBucket | None:
        share = _PER_KEY.get(request.path)
        per_s = self.realism.bybit_order_limit_per_s
        if share is None or not per_s:
            return None
        key = (request.headers.get("X-BAPI-API-KEY", ""), request.path)
        if key not in self._keyed:
            self._keyed[key] = TokenBucket(per_s * share, 1.0)
        return self._keyed[key]

    def _per_key(self, request: web.Request) -> web.Response | None:
        bucket = self._bucket(request)
        if bucket is None or bucket.take(1.0) == 0:
            return None
        return env({}, 10006, "Too many visits!", headers=self._headers(request))

    def _headers(self, request: web.Request) -> dict[str, str]:
        bucket = self._bucket(request)
        if bucket is None:
            return {}
        # a fresh token every 1/rate seconds: the window "resets" when the next one is in
        missing = max(0.0, 1.0 - bucket.tokens)
        reset_ms = self.world.venue_now() + int(missing / bucket.rate * 1000)
        return {
            "X-Bapi-Limit": str(int(bucket.capacity)),
            "X-Bapi-Limit-Status": str(max(0, int(bucket.tokens))),
            "X-Bapi-Limit-Reset-Timestamp": str(reset_ms),
        }
