"""Birdeye's gate: an API key (``X-API-KEY`` header on REST, ``x-api-key`` query on the
websocket; 401 without one) and a per-key request rate (429 + ``Retry-After``)."""

from __future__ import annotations

from aiohttp import web

from dexcex.sim.servers.birdeye.frames import err
from dexcex.sim.servers.common import TokenBucket

__all__ = ["BirdeyeAuth"]


class BirdeyeAuth:
    def __init__(self, keys: set[str], rate_per_s: float) -> None:
        self.keys = keys
        self.bucket = TokenBucket(rate_per_s, 1.0)

    def rest(self, request: web.Request) -> str | web.Response:
        """Check key and rate; returns the chain of the request (``x-chain``)."""
        key = request.headers.get("X-API-KEY") or request.headers.get("x-api-key")
        if key not in self.keys:
            return err(401, "Unauthorized")
        wait = self.bucket.take()
        if wait:
            return err(429, "Too many requests", {"Retry-After": str(max(1, round(wait)))})
        return request.headers.get("x-chain", "solana")

    def websocket(self, request: web.Request) -> web.Response | None:
        """None when the websocket may open, else the refusal."""
        if request.query.get("x-api-key") not in self.keys:
            return err(401, "Unauthorized")
        return None
