"""Every venue adapter, by id — the only place that names them all."""

from __future__ import annotations

from dexcex.config import Settings
from dexcex.domain import Clock, TradingMode, VenueId
from dexcex.venues.bybit.client import BybitVenue
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.mexc.client import MexcVenue

__all__ = ["VENUES", "make_venue"]

VENUES: dict[VenueId, type[CcxtVenue]] = {VenueId.MEXC: MexcVenue, VenueId.BYBIT: BybitVenue}


def make_venue(
    venue: VenueId, settings: Settings, clock: Clock, mode: TradingMode = TradingMode.LIVE
) -> CcxtVenue:
    markets = [m for a in settings.domain_assets() for m in a.cex if m.venue is venue]
    return VENUES[venue](settings.venues.get(venue), markets, clock, mode=mode)
