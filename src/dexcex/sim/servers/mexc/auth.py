"""MEXC request signing, checked as the venue does: ``X-MEXC-APIKEY``, HMAC-SHA256 hex
over the raw query (minus ``&signature=``) plus the body, and ``timestamp`` within
``recvWindow`` of the server clock (700003 outside it)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from aiohttp import web

from dexcex.sim.servers.mexc.frames import err
from dexcex.sim.servers.port import ServerWorld

__all__ = ["MexcAuth"]

Signed = tuple[str, dict[str, str]]  # api key, every parameter of the request


class MexcAuth:
    def __init__(self, world: ServerWorld) -> None:
        self.world = world
        self.ex = world.exchanges["mexc"]

    def check(self, request: web.Request, body: str) -> Signed | web.Response:
        """The caller's key and parameters, or the error MEXC would answer."""
        key = request.headers.get("X-MEXC-APIKEY", "")
        acct = self.ex.accounts.get(key)
        if acct is None:
            return err(400, 700001, "Api key info invalid")
        split = _split_signature(request.query_string)
        if split is None:
            return err(400, 700002, "Signature for this request is not valid.")
        payload, given = split
        expected = hmac.new(acct.api_secret.encode(), (payload + body).encode(), hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), given.lower()):
            return err(400, 700002, "Signature for this request is not valid.")
        params = dict(parse_qsl(payload, keep_blank_values=True))
        if body:
            for k, v in parse_qsl(body, keep_blank_values=True):
                params.setdefault(k, v)
        try:
            ts = int(params.get("timestamp", ""))
            window = int(params.get("recvWindow", "5000"))
        except ValueError:
            return err(400, 700004, "Mandatory parameter 'timestamp' was not sent or is invalid")
        if window > 60000:
            return err(400, 700005, "recvWindow must less than 60000")
        now = self.world.venue_now()
        inside = ts < now + 1000 and now - ts <= window
        if self.world.scenario.realism.recv_window and not inside:
            return err(400, 700003, "Timestamp for this request is outside of the recvWindow.")
        return key, params


def _split_signature(raw: str) -> tuple[str, str] | None:
    """(signed payload, signature) of a raw query string; None without a signature."""
    sig_at = raw.rfind("&signature=")
    if sig_at >= 0:
        return raw[:sig_at], raw[sig_at + 11 :]
    if raw.startswith("signature="):
        return "", raw[10:]
    return None
