"""The venue implementation shared by MEXC and Bybit: ccxt for REST, ccxt.pro for streams.

Each venue subclass supplies its ccxt classes, limits, error codes and the few calls that
differ (how to look an order up by client order id). Everything else — rate limits,
timing, error translation, idempotent order placement, conversion to domain values,
health — is here, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, TypeVar

from dexcex.config.models import VenueSettings
from dexcex.domain import (
    CexMarket,
    CexTrade,
    Clock,
    DexcexError,
    InvalidInput,
    NotFound,
    OrderBook,
    RateLimited,
    Rejected,
    SourceHealth,
    SourceKind,
    TradingMode,
    VenueId,
)
from dexcex.edge.health import HealthTracker
from dexcex.edge.ratelimit import RateLimit, RateLimiter
from dexcex.edge.rawtap import RawTap
from dexcex.venues.base import Balance, KeyPermissions, MarketRules
from dexcex.venues.ccxt_orders import CcxtOrders
from dexcex.venues.ccxt_parse import (
    balances_from_ccxt,
    book_from_ccxt,
    rules_from_ccxt,
    trade_from_ccxt,
)
from dexcex.venues.errors import VenueCodes, translate

__all__ = ["CcxtVenue"]

T = TypeVar("T")
# A class blocked for longer than this (an IP ban) fails a call at once, unsent.
BLOCKED_FAIL_FAST_S = 5.0


class CcxtVenue(CcxtOrders, ABC):
    id: ClassVar[VenueId]
    codes: ClassVar[VenueCodes]
    limits: ClassVar[tuple[RateLimit, ...]]
    costs: ClassVar[Mapping[str, Mapping[str, float]]]
    rate_limit_class: ClassVar[str] = "ip"
    # Markets per websocket connection (None: one connection for all). MEXC refuses more
    # than 30 subscriptions on one connection, and a market takes two (depth, deals).
    ws_markets_per_connection: ClassVar[int | None] = None

    def __init__(
        self,
        settings: VenueSettings,
        markets: list[CexMarket],
        clock: Clock,
        *,
        book_depth: int = 50,
        mode: TradingMode = TradingMode.LIVE,
    ) -> None:
        self.settings = settings
        self.markets = [m for m in markets if m.venue is self.id]
        self.clock = clock
        self.book_depth = book_depth
        self.mode = mode
        self.tracker = HealthTracker(self.id.value, SourceKind.CEX_VENUE, clock.now_ms)
        self.limiter = RateLimiter(self.limits)
        self.rules: dict[str, MarketRules] = {}
        self.rest = self._make_rest(self._ccxt_config())
        self.pro = self._make_pro(self._ccxt_config())
        self.pro.dexcex_tracker = self.tracker
        self._pros: list[Any] = [self.pro]
        self._pro_of: dict[str, Any] = {}
        per = self.ws_markets_per_connection
        for i, m in enumerate(self.markets):
            k = i // per if per else 0
            while len(self._pros) <= k:
                extra = self._make_pro(self._ccxt_config())
                extra.dexcex_tracker = self.tracker
                self._pros.append(extra)
            self._pro_of[m.symbol] = self._pros[k]
        self._trade_seen: dict[str, set[str]] = {}

    # --- to be provided by each venue --------------------------------------------------------

    @abstractmethod
    def _make_rest(self, config: dict[str, Any]) -> Any: ...

    @abstractmethod
    def _make_pro(self, config: dict[str, Any]) -> Any: ...

    @abstractmethod
    async def key_permissions(self) -> KeyPermissions:
        """What the configured API key may do (the doctor's check)."""

    @abstractmethod
    def _lookup_params(self, client_order_id: str) -> dict[str, Any]:
        """ccxt params of ``fetch_order(None, symbol, params)`` by client order id."""

    def set_raw_tap(self, tap: RawTap | None) -> None:
        """Hand every websocket frame to ``tap`` before it is parsed (raw recording)."""
        for pro in self._pros:
            pro.dexcex_raw_tap = tap

    def pro_for(self, symbol: str) -> Any:
        """The ccxt.pro instance (one websocket connection) that streams ``symbol``."""
        return self._pro_of.get(symbol, self.pro)

    def book_sequence(self, symbol: str) -> int:
        """The venue's update id of the latest applied book update (0 if unknown)."""
        return 0

    def force_resync(self, symbol: str, reason: str) -> bool:
        """Drop the local book of ``symbol`` and rebuild it from a fresh snapshot (counted
        as a resync); False when there is no book to resync yet."""
        return False

    # --- plumbing ----------------------------------------------------------------------------

    def _ccxt_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "timeout": int(self.settings.timeout_s * 1000),
            "enableRateLimit": self.settings.ccxt_throttle,
            # Sign with the venue's clock, not ours: ccxt asks the server's time when the
            # markets load and offsets every timestamp, so a host clock that is off by
            # more than recvWindow (Bybit 10002, MEXC 700003) still trades.
            "options": {"adjustForTimeDifference": True},
        }
        if self.settings.has_keys:
            assert self.settings.api_key is not None and self.settings.api_secret is not None
            cfg["apiKey"] = self.settings.api_key.get_secret_value()
            cfg["secret"] = self.settings.api_secret.get_secret_value()
        return cfg

    async def _call(
        self,
        op: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        client_order_id: str | None = None,
        **kwargs: Any,
    ) -> T:
        costs = self.costs.get(op, {self.rate_limit_class: 1})
        banned = self.limiter.blocked_for(costs)
        if banned > BLOCKED_FAIL_FAST_S:
            # A long block (an IP ban): fail now, send nothing — asking again every
            # second only prolongs a ban.
            raise RateLimited(
                f"{self.id}: {op} not sent: blocked for {banned:.0f} s more", retry_after_s=banned
            )
        await self.limiter.acquire(costs)
        started = time.perf_counter()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:  # translated below, in one place
            err = translate(
                exc,
                venue=self.id.value,
                codes=self.codes,
                placing_order=op == "create_order",
                client_order_id=client_order_id,
            )
            if isinstance(err, RateLimited):
                self._on_rate_limited(exc, err, costs)
            elif not isinstance(err, (NotFound, Rejected)):
                self.tracker.on_error(f"{op}: {err}")
            raise err from exc
        self.tracker.on_rest((time.perf_counter() - started) * 1000)
        return result

    def _on_rate_limited(
        self, exc: BaseException, err: RateLimited, costs: Mapping[str, float]
    ) -> None:
        self.tracker.on_rate_limited(err.retry_after_s)
        wait = err.retry_after_s or 1.0
        if getattr(exc, "dexcex_code", None) in self.codes.endpoint_limit:
            # one endpoint's per-key limit: the other endpoints go on
            for name in costs:
                if name != self.rate_limit_class:
                    self.limiter.block(name, wait)
        else:
            self.limiter.block(self.rate_limit_class, wait)

    # --- markets and data --------------------------------------------------------------------

    async def load_markets(self) -> dict[str, MarketRules]:
        if self.settings.has_keys:
            # before anything signed: Bybit's load_markets signs a currency query before
            # ccxt's own time adjustment (which runs in fetch_markets)
            await self._call("fetch_time", self.rest.load_time_difference)
        # shielded: ccxt shares one loading task between callers, and a caller's timeout
        # cancelling it would cancel it for every other stream and the reconciler too
        loaded = await self._call("load_markets", lambda: asyncio.shield(self.rest.load_markets()))
        for pro in self._pros:
            pro.set_markets(self.rest.markets, self.rest.currencies)
        rules: dict[str, MarketRules] = {}
        for m in self.markets:
            if m.symbol not in loaded:
                self.tracker.reject("unknown_market", f"{m.symbol} not listed on {self.id}")
                continue
            rules[m.symbol] = rules_from_ccxt(
                loaded[m.symbol], self.settings.taker_fee_bps, self.settings.maker_fee_bps
            )
        self.rules = rules
        return rules

    async def clock_skew_ms(self) -> int:
        """How far the venue's clock is ahead of ours (ms), measured once now; the
        offset ccxt signs with is updated to it."""
        before = time.time() * 1000
        server = await self._call("fetch_time", self.rest.fetch_time)
        after = time.time() * 1000
        if server is None:
            raise InvalidInput(f"{self.id}: server time missing from the answer")
        skew = int(server - (before + after) / 2)
        self.rest.options["timeDifference"] = int(after - server)
        return skew

    async def fetch_order_book(self, symbol: str, limit: int = 50) -> OrderBook:
        raw = await self._call("fetch_order_book", self.rest.fetch_order_book, symbol, limit)
        seq = int(raw.get("nonce") or 0)
        return book_from_ccxt(raw, self.id, symbol, seq, self.clock.now_ms(), limit)

    async def _watch(self, fn: Callable[[str], Awaitable[T]], symbol: str) -> T:
        """One ccxt.pro watch call: a failure means the stream is down until it returns."""
        try:
            raw = await fn(symbol)
        except Exception as exc:
            err = translate(exc, venue=self.id.value, codes=self.codes)
            self.tracker.on_disconnect(str(err)[:200])
            raise err from exc
        self.tracker.on_connect()
        return raw

    async def watch_order_book(self, symbol: str) -> OrderBook:
        raw = await self._watch(self.pro_for(symbol).watch_order_book, symbol)
        now = self.clock.now_ms()
        self.tracker.on_message(raw.get("timestamp"))
        return book_from_ccxt(
            raw, self.id, symbol, self.book_sequence(symbol), now, self.book_depth
        )

    def local_book(self, symbol: str) -> OrderBook | None:
        """The book as maintained locally right now (snapshot + every delta applied so
        far), or None before the first snapshot."""
        raw = self.pro_for(symbol).orderbooks.get(symbol)
        if raw is None or (raw.get("nonce") is None and not raw.get("bids")):
            return None
        try:
            return book_from_ccxt(
                raw,
                self.id,
                symbol,
                self.book_sequence(symbol),
                self.clock.now_ms(),
                self.book_depth,
            )
        except InvalidInput:
            return None

    async def watch_trades(self, symbol: str) -> list[CexTrade]:
        raw = await self._watch(self.pro_for(symbol).watch_trades, symbol)
        now = self.clock.now_ms()
        out: list[CexTrade] = []
        for t in raw:
            try:
                trade = trade_from_ccxt(t, self.id, now)
            except InvalidInput as exc:
                self.tracker.reject("bad_trade", str(exc))
                continue
            out.append(trade)
            self.tracker.on_message(trade.ts_event)
        return out

    async def fetch_balance(self) -> dict[str, Balance]:
        return balances_from_ccxt(await self._call("fetch_balance", self.rest.fetch_balance))

    # --- health and shutdown -----------------------------------------------------------------

    def health(self) -> SourceHealth:
        return self.tracker.snapshot()

    async def close(self) -> None:
        for ex in (*self._pros, self.rest):
            with contextlib.suppress(DexcexError, OSError, RuntimeError):  # best effort
                await ex.close()
