"""MEXC wire → validated values: depth pushes, deals, and the version sequence rule.

Pure functions: a decoded push in, a value or ``InvalidInput`` out.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from dexcex.domain import InvalidInput, Side
from dexcex.venues.base import BookUpdate
from dexcex.venues.mexc.schemas import DealsPush, DepthPush
from dexcex.venues.wire import level_list, positive

__all__ = ["ParsedDeal", "parse_deals_push", "parse_depth_push", "sequence_verdict"]


class ParsedDeal(msgspec.Struct, frozen=True):
    price: float
    qty: float
    side: Side
    ts: int


def _int(raw: str, what: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what}: not an integer: {raw!r}") from None


def parse_depth_push(msg: Any) -> BookUpdate:
    """A ``publicAggreDepths`` push (as ccxt decodes it) → the update it carries."""
    try:
        push = msgspec.convert(msg, DepthPush)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"mexc depth push: {exc}") from None
    d = push.publicAggreDepths
    first, last = _int(d.fromVersion, "fromVersion"), _int(d.toVersion, "toVersion")
    if first <= 0 or last < first:
        raise InvalidInput(f"mexc depth push: versions {first}..{last}")
    return BookUpdate(
        symbol=push.symbol,
        snapshot=False,
        first=first,
        last=last,
        bids=level_list(((lv.price, lv.quantity) for lv in d.bids), "bid"),
        asks=level_list(((lv.price, lv.quantity) for lv in d.asks), "ask"),
        ts=_int(push.sendTime, "sendTime") if push.sendTime else 0,
    )


def parse_deals_push(msg: Any) -> tuple[str, list[ParsedDeal], list[str]]:
    """A ``publicAggreDeals`` push → (symbol, valid deals, reasons of the invalid ones)."""
    try:
        push = msgspec.convert(msg, DealsPush)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"mexc deals push: {exc}") from None
    good: list[ParsedDeal] = []
    bad: list[str] = []
    for d in push.publicAggreDeals.deals:
        try:
            if d.tradeType not in (1, 2):
                raise InvalidInput(f"tradeType {d.tradeType}")
            good.append(
                ParsedDeal(
                    positive(d.price, "price"),
                    positive(d.quantity, "quantity"),
                    Side.BUY if d.tradeType == 1 else Side.SELL,
                    _int(d.time, "time"),
                )
            )
        except InvalidInput as exc:
            bad.append(str(exc))
    return push.symbol, good, bad


def sequence_verdict(
    last_applied: int | None, update: BookUpdate
) -> Literal["apply", "old", "gap"]:
    """MEXC's rule: a push applies when ``fromVersion == previous toVersion + 1``; one that
    ends at or before what we have is old (dropped); anything else is a gap."""
    if last_applied is None:
        return "apply"
    if update.last <= last_applied:
        return "old"
    if update.first == last_applied + 1:
        return "apply"
    return "gap"
