"""The connectors of a run and their supervised streams — what the ``all`` and
``collector`` roles share: both venues (MEXC primary, Bybit failover), Birdeye,
DexScreener, one supervised stream per connection, the REST cross-check of the books and
the router that picks the venue orders go to."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr

from dexcex.config import Settings
from dexcex.domain import (
    AuthError,
    Clock,
    FailoverEvent,
    MarketEvent,
    SourceHealth,
    TradingMode,
    VenueId,
)
from dexcex.edge.health import HealthTracker
from dexcex.logs import get_logger
from dexcex.pipeline.backoff import Backoff
from dexcex.pipeline.recording import RecordWriter
from dexcex.pipeline.streams import BookCheck, book_stream, dex_streams, trade_stream
from dexcex.pipeline.supervisor import Supervisor
from dexcex.sources.birdeye.client import BirdeyeSource
from dexcex.sources.dexscreener.client import DexScreenerSource
from dexcex.sources.index import AssetIndex
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.registry import make_venue
from dexcex.venues.router import VenueRouter

__all__ = ["Connectors", "sim_endpoints"]

_log = get_logger("dexcex.pipeline")


def sim_endpoints(settings: Settings, urls: dict[str, str], key: str, secret: str) -> Settings:
    """The same settings with every connector pointed at a running simulator."""
    venues = settings.venues.model_copy(
        update={
            v.value: settings.venues.get(v).model_copy(
                update={
                    "rest_url": urls[f"{v.value}_rest"],
                    "ws_url": urls[f"{v.value}_ws"],
                    "api_key": SecretStr(key),
                    "api_secret": SecretStr(secret),
                    "ccxt_throttle": False,
                }
            )
            for v in VenueId
        }
    )
    sources = settings.sources.model_copy(
        update={
            "birdeye": settings.sources.birdeye.model_copy(
                update={
                    "rest_url": urls["birdeye_rest"],
                    "ws_url": urls["birdeye_ws"],
                    "api_key": SecretStr(key),
                }
            ),
            "dexscreener": settings.sources.dexscreener.model_copy(
                update={"rest_url": urls["dexscreener_rest"]}
            ),
        }
    )
    return settings.model_copy(update={"venues": venues, "sources": sources})


@dataclass
class Connectors:
    settings: Settings
    clock: Clock
    venues: dict[VenueId, CcxtVenue] = field(default_factory=dict)
    birdeye: BirdeyeSource | None = None
    dexscreener: DexScreenerSource | None = None
    failovers: list[FailoverEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        p = s.pipeline
        self.index = AssetIndex(s.domain_assets())
        mode = TradingMode.LIVE if s.live.enabled else TradingMode.PAPER
        for vid in VenueId:
            if s.venues.get(vid).enabled:
                self.venues[vid] = make_venue(vid, s, self.clock, mode)
        if s.sources.birdeye.enabled:
            try:
                self.birdeye = BirdeyeSource(s.sources.birdeye, self.index, self.clock)
            except AuthError as exc:
                _log.warning("birdeye disabled", reason=str(exc))
        if s.sources.dexscreener.enabled:
            self.dexscreener = DexScreenerSource(s.sources.dexscreener, self.index, self.clock)
        self.supervisor = Supervisor(
            self.clock,
            Backoff(p.backoff_initial_s, p.backoff_max_s),
            down_after=p.down_after_failures,
        )
        self.primary = (
            s.venues.primary if s.venues.primary in self.venues else next(iter(self.venues))
        )
        self.router = (
            VenueRouter(self.venues, self.primary, self.clock, on_switch=self.failovers.append)
            if len(self.venues) == 2
            else None
        )
        self.book_check = BookCheck(
            list(self.venues.values()), self.clock, p.book_check_s, p.book_check_tolerance_bps
        )

    def add_streams(self, publish: Callable[[MarketEvent], None]) -> None:
        """One supervised stream per connection, each publishing what it receives."""
        p = self.settings.pipeline
        for venue in self.venues.values():
            for m in venue.markets:
                self.supervisor.add(book_stream(venue, m.symbol, p.stale_book_s), publish)
                self.supervisor.add(trade_stream(venue, m.symbol, p.stale_trades_s), publish)
        for spec in dex_streams(self.birdeye, self.dexscreener, stale_ws_s=p.stale_dex_ws_s):
            self.supervisor.add(spec, publish)
        if p.book_check_s > 0 and self.venues:
            self.supervisor.add(self.book_check.spec(), publish)

    def tap_raw(self, recorder: RecordWriter) -> None:
        """Every raw wire payload into the recorder's raw files (to debug a connector)."""
        recorder.keep_raw()
        for venue in self.venues.values():
            venue.set_raw_tap(recorder.write_raw)
        if self.birdeye is not None:
            self.birdeye.raw_tap = recorder.write_raw
            self.birdeye.http.raw_tap = recorder.write_raw
        if self.dexscreener is not None:
            self.dexscreener.http.raw_tap = recorder.write_raw

    def trackers(self) -> list[HealthTracker]:
        out = [v.tracker for v in self.venues.values()]
        out += [s.tracker for s in (self.birdeye, self.dexscreener) if s is not None]
        return out

    def health(self) -> list[SourceHealth]:
        """Every connector's and every stream's health, now."""
        out = [v.health() for v in self.venues.values()]
        out += [src.health() for src in (self.birdeye, self.dexscreener) if src is not None]
        return out + self.supervisor.health()

    async def close(self) -> None:
        for venue in self.venues.values():
            with contextlib.suppress(Exception):
                await venue.close()
        for src in (self.birdeye, self.dexscreener):
            if src is not None:
                with contextlib.suppress(Exception):
                    await src.close()
