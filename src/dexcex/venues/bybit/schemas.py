"""Bybit v5 public websocket structures, with Bybit's own field names."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["BookData", "BookMessage", "TradeItem", "TradeMessage"]


class BookData(msgspec.Struct, frozen=True):
    s: str
    u: int
    b: list[tuple[str, str]] = []
    a: list[tuple[str, str]] = []
    seq: int | None = None


class BookMessage(msgspec.Struct, frozen=True):
    topic: str
    type: Literal["snapshot", "delta"]
    ts: int
    data: BookData
    cts: int | None = None


class TradeItem(msgspec.Struct, frozen=True):
    T: int
    s: str
    S: Literal["Buy", "Sell"]
    v: str
    p: str
    i: str
    BT: bool = False


class TradeMessage(msgspec.Struct, frozen=True):
    topic: str
    type: str
    ts: int
    data: list[TradeItem]
