"""Checks of one configured venue before a live run (``dexcex doctor``).

Each check is one line: reachable, the venue's clock against ours, what the API key may
do (trade is needed; withdraw is not, and is warned about), the configured markets, the
order size against each market's lot size and minimum notional, and the balance that
order needs. A failed check is a reason not to go live; a warning is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum

import msgspec

from dexcex.domain import DexcexError
from dexcex.venues.base import MarketRules
from dexcex.venues.ccxt_venue import CcxtVenue

__all__ = ["Check", "Level", "check_venue"]

# Signatures carry our timestamp; the venue refuses one outside recvWindow (5 s). ccxt
# offsets by the skew it measured at start, so a skew this large means a host clock
# that drifts: fix it rather than trust the offset all day.
MAX_SKEW_MS = 1000


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Check(msgspec.Struct, frozen=True):
    venue: str
    name: str
    level: Level
    detail: str

    def line(self) -> str:
        return f"{self.level.value.upper():<4} {self.venue:<6} {self.name:<11} {self.detail}"


_Factory = Callable[[str, Level, str], Check]  # one venue's checks are made by one factory


async def check_venue(
    venue: CcxtVenue, order_notional_usd: float, *, keys_needed: bool = True
) -> list[Check]:
    """Every check of one venue, in order; after an unreachable venue there are no more."""
    vid = venue.id.value

    def check(name: str, level: Level, detail: str) -> Check:
        return Check(vid, name, level, detail)

    started = time.perf_counter()
    try:
        skew = await venue.clock_skew_ms()
    except DexcexError as exc:
        return [check("reachable", Level.FAIL, f"{exc}")]
    ms = (time.perf_counter() - started) * 1000
    out = [check("reachable", Level.OK, f"server time in {ms:.0f} ms"), _skew(check, skew)]
    if venue.settings.has_keys:
        out.append(await _permissions(check, venue))
    else:
        level = Level.FAIL if keys_needed else Level.WARN
        out.append(check("key", level, "no API key configured: market data only"))
    try:
        rules = await venue.load_markets()
    except DexcexError as exc:
        return [*out, check("markets", Level.FAIL, f"cannot load markets: {exc}")]
    missing = [m.symbol for m in venue.markets if m.symbol not in rules]
    if missing:
        out.append(check("markets", Level.FAIL, f"not listed: {', '.join(missing)}"))
    else:
        out.append(check("markets", Level.OK, f"{len(rules)} configured markets listed"))
    notional = Decimal(str(order_notional_usd))
    for r in rules.values():
        out.append(await _order_size(check, venue, r, notional))
    if venue.settings.has_keys:
        out.append(await _balance(check, venue, rules, notional))
    return out


def _skew(check: _Factory, skew_ms: int) -> Check:
    detail = f"venue clock {skew_ms / 1000:+.1f} s from this host's"
    if abs(skew_ms) > MAX_SKEW_MS:
        limit = MAX_SKEW_MS / 1000
        return check(
            "time skew", Level.FAIL, f"{detail}: over {limit:.1f} s — sync this host (NTP)"
        )
    return check("time skew", Level.OK, detail)


async def _permissions(check: _Factory, venue: CcxtVenue) -> Check:
    try:
        perms = await venue.key_permissions()
    except DexcexError as exc:
        return check("key", Level.FAIL, f"the key is refused: {exc}")
    if not perms.trade:
        return check("key", Level.FAIL, "the key cannot trade: enable spot trading for it")
    if perms.withdraw:
        return check(
            "key",
            Level.WARN,
            "the key can WITHDRAW: a trading bot needs trade only — remove that permission",
        )
    return check("key", Level.OK, "trade, no withdraw")


async def _order_size(
    check: _Factory, venue: CcxtVenue, rules: MarketRules, notional: Decimal
) -> Check:
    name = f"size {rules.symbol}"
    try:
        book = await venue.fetch_order_book(rules.symbol, 5)
    except DexcexError as exc:
        return check(name, Level.FAIL, f"no book to price the order: {exc}")
    if book.mid is None:
        return check(name, Level.FAIL, "empty book: cannot price the order")
    mid = Decimal(str(book.mid))
    qty = rules.round_qty(notional / mid)
    value = qty * mid
    if qty < rules.min_qty or qty <= 0:
        why = f"{notional} USD is {qty} {rules.base}, under the minimum {rules.min_qty}"
        return check(name, Level.FAIL, why)
    if value < rules.min_notional:
        why = f"{value:.2f} USD after lot rounding, under the minimum {rules.min_notional}"
        return check(name, Level.FAIL, why)
    return check(name, Level.OK, f"{qty} {rules.base} ≈ {value:.2f} {rules.quote}")


async def _balance(
    check: _Factory, venue: CcxtVenue, rules: dict[str, MarketRules], notional: Decimal
) -> Check:
    try:
        balances = await venue.fetch_balance()
    except DexcexError as exc:
        return check("balance", Level.FAIL, f"cannot read balances: {exc}")
    quotes = sorted({r.quote for r in rules.values()}) or ["USDT"]
    short = [q for q in quotes if (b := balances.get(q)) is None or b.free < notional]
    have = ", ".join(f"{q} {balances[q].free:.2f}" for q in quotes if q in balances) or "none"
    if short:
        return check(
            "balance", Level.FAIL, f"{have}: under one order ({notional} {', '.join(short)})"
        )
    return check("balance", Level.OK, f"{have} free")
