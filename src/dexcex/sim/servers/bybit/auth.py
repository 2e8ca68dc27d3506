"""Bybit v5 request signing, checked as the venue does: ``X-BAPI-SIGN`` =
HMAC-SHA256(timestamp + key + recvWindow + raw query | raw body), and the window rule
``server - recvWindow <= timestamp < server + 1000`` (10002 outside it)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from dexcex.sim.servers.bybit.frames import env
from dexcex.sim.servers.port import ServerWorld

__all__ = ["BybitAuth"]


class BybitAuth:
    def __init__(self, world: ServerWorld) -> None:
        self.world = world
        self.ex = world.exchanges["bybit"]

    def check(self, request: web.Request, payload: str) -> str | web.Response:
        """The caller's key, or the error Bybit would answer."""
        h = request.headers
        key = h.get("X-BAPI-API-KEY", "")
        acct = self.ex.accounts.get(key)
        if acct is None:
            return env({}, 10003, "API key is invalid.")
        ts, window, sign = (
            h.get("X-BAPI-TIMESTAMP", ""),
            h.get("X-BAPI-RECV-WINDOW", "5000"),
            h.get("X-BAPI-SIGN", ""),
        )
        expected = hmac.new(
            acct.api_secret.encode(), f"{ts}{key}{window}{payload}".encode(), hashlib.sha256
        )
        if not hmac.compare_digest(expected.hexdigest(), sign.lower()):
            return env({}, 10004, "Error sign, please check your signature generation algorithm.")
        try:
            t, w = int(ts), int(window)
        except ValueError:
            return env({}, 10002, "invalid request, please check your server timestamp")
        now = self.world.venue_now()
        if self.world.scenario.realism.recv_window and not (now - w <= t < now + 1000):
            return env(
                {},
                10002,
                "invalid request, please check your server timestamp or recv_window param",
            )
        return key

    async def get(self, request: web.Request) -> tuple[str, dict[str, str]] | web.Response:
        """A signed GET: the key and the query parameters."""
        key = self.check(request, request.query_string)
        if isinstance(key, web.Response):
            return key
        return key, dict(parse_qsl(request.query_string, keep_blank_values=True))

    async def post(self, request: web.Request) -> tuple[str, dict[str, Any]] | web.Response:
        """A signed POST: the key and the JSON body."""
        raw = await request.text()
        key = self.check(request, raw)
        if isinstance(key, web.Response):
            return key
        try:
            body = msgspec.json.decode(raw) if raw else {}
        except msgspec.DecodeError:
            return env({}, 10001, "request body is not valid JSON")
        if not isinstance(body, dict):
            return env({}, 10001, "request body must be an object")
        return key, body
