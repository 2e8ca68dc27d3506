"""JSON over HTTP for the adapters (httpx, keep-alive), with every failure translated
into the project's error tree in one place, and rate limits honoured."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import msgspec

from dexcex.domain import (
    AuthError,
    InvalidInput,
    NotFound,
    RateLimited,
    Rejected,
    TemporarilyUnavailable,
)
from dexcex.edge.health import HealthTracker
from dexcex.edge.ratelimit import RateLimiter
from dexcex.edge.rawtap import RawTap

__all__ = ["JsonHttp"]

# Back-off when a 429 comes without Retry-After (DexScreener behind Cloudflare does that).
FALLBACK_BACKOFF_S = (3.0, 6.0, 12.0, 24.0)


class JsonHttp:
    def __init__(
        self,
        name: str,
        base_url: str,
        tracker: HealthTracker,
        limiter: RateLimiter,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.name = name
        self.tracker = tracker
        self.limiter = limiter
        self._consecutive_429 = 0
        self.raw_tap: RawTap | None = None
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=dict(headers or {}),
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
        )

    async def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cost: str = "rest",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return await self.request("GET", path, params=params, cost=cost, headers=headers)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        cost: str = "rest",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        await self.limiter.acquire({cost: 1})
        started = time.perf_counter()
        try:
            r = await self.client.request(method, path, params=params, json=json, headers=headers)
        except httpx.TimeoutException as exc:
            self.tracker.on_error(f"timeout {path}")
            raise TemporarilyUnavailable(f"{self.name} {path}: timeout") from exc
        except httpx.HTTPError as exc:
            self.tracker.on_error(f"{type(exc).__name__} {path}")
            raise TemporarilyUnavailable(
                f"{self.name} {path}: {type(exc).__name__}: {exc}"
            ) from exc
        self.tracker.on_rest((time.perf_counter() - started) * 1000)
        return self._decode(r, path, cost)

    def _decode(self, r: httpx.Response, path: str, cost: str) -> Any:
        status = r.status_code
        if status == 429:
            retry = _retry_after(r.headers.get("Retry-After"))
            if retry is None:
                retry = FALLBACK_BACKOFF_S[min(self._consecutive_429, len(FALLBACK_BACKOFF_S) - 1)]
            self._consecutive_429 += 1
            self.tracker.on_rate_limited(retry)
            self.limiter.block(cost, retry)
            raise RateLimited(f"{self.name} {path}: 429", retry_after_s=retry)
        self._consecutive_429 = 0
        if status >= 500:
            self.tracker.on_error(f"HTTP {status} {path}")
            raise TemporarilyUnavailable(f"{self.name} {path}: HTTP {status}")
        if status in (401, 403):
            raise AuthError(f"{self.name} {path}: HTTP {status} (check the API key and plan)")
        if status == 404:
            raise NotFound(f"{self.name} {path}: HTTP 404")
        try:
            if self.raw_tap is not None:
                self.raw_tap(f"{self.name}:{path}", r.content)
            body = msgspec.json.decode(r.content)
        except msgspec.DecodeError:
            self.tracker.reject("bad_json", f"{path}: {r.content[:80]!r}")
            raise InvalidInput(
                f"{self.name} {path}: HTTP {status} with a body that is not JSON"
            ) from None
        if status >= 400:
            raise Rejected(
                f"{self.name} {path}: HTTP {status}: {str(body)[:200]}", reason="bad_request"
            )
        return body

    async def close(self) -> None:
        await self.client.aclose()


def _retry_after(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
