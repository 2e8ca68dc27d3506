"""Birdeye I/O: REST (httpx, keep-alive) and the websocket stream of swaps and prices.

``stream(chain, emit)`` runs one websocket until it closes (the pipeline's supervisor
reconnects); ``poll_liquidity(chain, emit)`` makes one round of liquidity requests.
Every frame that cannot be turned into a domain event is counted and logged by reason;
a swap seen twice (same transaction and legs: ``swap_id``) is dropped as a duplicate;
several swaps in one transaction are each kept.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import msgspec
import websockets

from dexcex.config.models import BirdeyeSettings
from dexcex.domain import (
    AuthError,
    Chain,
    Clock,
    DexcexError,
    InvalidInput,
    MarketEvent,
    NotFound,
    Rejected,
    SourceHealth,
    SourceKind,
    TemporarilyUnavailable,
)
from dexcex.edge.health import HealthTracker
from dexcex.edge.http import JsonHttp
from dexcex.edge.ratelimit import RateLimiter
from dexcex.edge.rawtap import RawTap
from dexcex.sources.birdeye.constants import (
    MAX_ADDRESSES_PER_QUERY,
    WS_ORIGIN,
    WS_SUBPROTOCOL,
    limits_for,
)
from dexcex.sources.birdeye.parse import (
    frame_type,
    parse_market_data,
    parse_price_frame,
    parse_txs_frame,
)
from dexcex.sources.index import AssetIndex

__all__ = ["BirdeyeSource"]

Emit = Callable[[MarketEvent], None]
_SEEN_TX = 8192


class BirdeyeSource:
    name = "birdeye"

    def __init__(self, settings: BirdeyeSettings, index: AssetIndex, clock: Clock) -> None:
        if settings.api_key is None or not settings.api_key.get_secret_value():
            raise AuthError("birdeye: set DEXCEX_SOURCES__BIRDEYE__API_KEY (or disable the source)")
        self.settings = settings
        self.index = index
        self.clock = clock
        # Swaps only arrive when someone trades: a quiet token is not a dead feed.
        self.tracker = HealthTracker(
            "birdeye", SourceKind.DEX_SOURCE, clock.now_ms, stale_after_ms=60_000
        )
        self._key = settings.api_key.get_secret_value()
        self.http = JsonHttp(
            "birdeye",
            settings.rest_url,
            self.tracker,
            RateLimiter(limits_for(settings.plan)),
            headers={"X-API-KEY": self._key, "accept": "application/json"},
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.raw_tap: RawTap | None = None

    def chains(self) -> list[Chain]:
        return sorted({c for (c, _) in self.index.tokens}, key=lambda c: c.value)

    # --- websocket ---------------------------------------------------------------------------

    def subscriptions(self, chain: Chain) -> list[dict[str, Any]]:
        """The SUBSCRIBE_TXS / SUBSCRIBE_PRICE messages for the watched tokens of ``chain``."""
        tokens = self.index.tokens_on(chain)[:MAX_ADDRESSES_PER_QUERY]
        if not tokens:
            return []
        txs = " OR ".join(f"address = {t}" for t in tokens)
        price = " OR ".join(
            f"(address = {t} AND chartType = 1m AND currency = usd)" for t in tokens
        )
        return [
            {
                "type": "SUBSCRIBE_TXS",
                "data": {"queryType": "complex", "query": txs, "txsType": "swap"},
            },
            {"type": "SUBSCRIBE_PRICE", "data": {"queryType": "complex", "query": price}},
        ]

    async def stream(self, chain: Chain, emit: Emit) -> None:
        """Connect, subscribe and emit events until the connection ends (then raise)."""
        subs = self.subscriptions(chain)
        if not subs:
            return
        url = f"{self.settings.ws_url.rstrip('/')}/{chain.value}?x-api-key={self._key}"
        try:
            async with websockets.connect(
                url,
                subprotocols=[websockets.Subprotocol(WS_SUBPROTOCOL)],
                origin=websockets.Origin(WS_ORIGIN),
                ping_interval=20,
                ping_timeout=20,
                max_size=4 << 20,
                open_timeout=10,
            ) as ws:
                self.tracker.on_connect()
                for sub in subs:
                    await ws.send(_json(sub))
                async for raw in ws:
                    self.handle_frame(chain, raw, emit)
        except websockets.InvalidStatus as exc:
            code = exc.response.status_code
            self.tracker.on_disconnect(f"HTTP {code}")
            if code in (401, 403):
                raise AuthError(f"birdeye websocket refused the key (HTTP {code})") from exc
            raise TemporarilyUnavailable(f"birdeye websocket: HTTP {code}") from exc
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            self.tracker.on_disconnect(type(exc).__name__)
            raise TemporarilyUnavailable(
                f"birdeye websocket {chain}: {type(exc).__name__}: {exc}"
            ) from exc
        self.tracker.on_disconnect("closed by server")
        raise TemporarilyUnavailable(f"birdeye websocket {chain}: closed by the server")

    def handle_frame(self, chain: Chain, raw: str | bytes, emit: Emit) -> None:
        """One frame → at most one event; anything wrong is a counted rejection."""
        now = self.clock.now_ms()
        if self.raw_tap is not None:
            self.raw_tap(f"birdeye:ws:{chain.value}", raw)
        try:
            kind, obj = frame_type(raw)
            if kind == "TXS_DATA":
                swap = parse_txs_frame(obj, chain, self.index, now)
                if swap.tx_id in self._seen:
                    self.tracker.reject("duplicate_tx", swap.tx_id[:24])
                    return
                self._seen[swap.tx_id] = None
                if len(self._seen) > _SEEN_TX:
                    self._seen.popitem(last=False)
                self.tracker.on_message(swap.ts_event)
                emit(swap)
            elif kind == "PRICE_DATA":
                price = parse_price_frame(obj, chain, self.index, now)
                self.tracker.on_message()
                emit(price)
            elif kind == "ERROR":
                self.tracker.on_error(str(obj.get("data"))[:200])
            # WELCOME and any future frame type: nothing to do
        except InvalidInput as exc:
            self.tracker.reject(exc.reason, str(exc))

    # --- REST --------------------------------------------------------------------------------

    async def poll_liquidity(self, chain: Chain, emit: Emit) -> int:
        """One request per watched token of ``chain``; returns how many events were emitted."""
        n = 0
        for token in self.index.tokens_on(chain):
            try:
                obj = await self.http.get(
                    "/defi/v3/token/market-data",
                    {"address": token},
                    headers={"x-chain": chain.value},
                )
            except (Rejected, NotFound, InvalidInput) as exc:
                self.tracker.reject("token_unknown_upstream", f"{token}: {exc}")
                continue  # one token's answer does not stop the round
            try:
                liq = parse_market_data(obj, chain, self.index, self.clock.now_ms())
            except InvalidInput as exc:
                self.tracker.reject(exc.reason, str(exc))
                continue
            emit(liq)
            n += 1
        return n

    def health(self) -> SourceHealth:
        return self.tracker.snapshot()

    async def close(self) -> None:
        with contextlib.suppress(DexcexError, OSError):
            await self.http.close()


def _json(obj: Any) -> str:
    return msgspec.json.encode(obj).decode()
