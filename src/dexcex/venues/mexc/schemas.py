"""MEXC wire structures, with MEXC's own field names.

Websocket pushes are protobuf (``PushDataV3ApiWrapper``); ccxt decodes them with
``MessageToDict``, so 64-bit integers arrive as strings and names are camelCase. These
structs describe that decoded form and validate it field by field.
"""

from __future__ import annotations

import msgspec

__all__ = ["AggreDeals", "AggreDepths", "Deal", "DealsPush", "DepthLevel", "DepthPush"]


class DepthLevel(msgspec.Struct, frozen=True):
    price: str
    quantity: str


class AggreDepths(msgspec.Struct, frozen=True):
    fromVersion: str  # noqa: N815 - MEXC's field names
    toVersion: str  # noqa: N815
    asks: list[DepthLevel] = []
    bids: list[DepthLevel] = []
    eventType: str = ""  # noqa: N815


class DepthPush(msgspec.Struct, frozen=True):
    channel: str
    symbol: str
    publicAggreDepths: AggreDepths  # noqa: N815
    sendTime: str | None = None  # noqa: N815


class Deal(msgspec.Struct, frozen=True):
    price: str
    quantity: str
    tradeType: int  # noqa: N815 - 1 = taker buy, 2 = taker sell
    time: str


class AggreDeals(msgspec.Struct, frozen=True):
    deals: list[Deal]
    eventType: str = ""  # noqa: N815


class DealsPush(msgspec.Struct, frozen=True):
    channel: str
    symbol: str
    publicAggreDeals: AggreDeals  # noqa: N815
    sendTime: str | None = None  # noqa: N815
