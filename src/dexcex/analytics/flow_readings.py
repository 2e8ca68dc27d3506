"""What the order-flow trackers (``analytics.orderflow``) read out: the flow over one
window, and the state of one tracker after an update."""

from __future__ import annotations

import msgspec

__all__ = ["OrderFlowReading", "WindowFlow"]


class WindowFlow(msgspec.Struct, frozen=True, array_like=True):
    """Flow over one window. Buys and sells exclude *reverting* trades (those pulling a
    DEX price that had drifted from the CEX mid back towards it — arbitrage); their USD
    volume is ``reverting_usd``."""

    span_s: int
    buy_usd: float
    sell_usd: float
    buy_base: float
    sell_base: float
    buys: int
    sells: int
    imbalance: float
    large_share: float
    reverting_usd: float


class OrderFlowReading(msgspec.Struct, frozen=True):
    """The state of one tracker (a pool, or an asset with all its pools) after an update.

    Where the source gives traders (None where it does not), on the trigger window:
    ``distinct_buyers`` counts different buyer wallets; ``buy_concentration`` and
    ``sell_concentration`` are ``1 − distinct wallets ÷ trades`` of each side — near 0
    when every trade comes from a new wallet (a crowd), towards 1 when a few wallets
    trade again and again (someone working an order).
    """

    key: str
    ts: int
    windows: tuple[WindowFlow, ...]
    trigger_span_s: int
    imbalance_z: float
    intensity: float
    triggered: bool
    direction: int  # +1 buy pressure, -1 sell pressure, 0 none
    distinct_buyers: int | None
    buy_concentration: float | None
    sell_concentration: float | None
    baseline_usd_per_s: float

    def window(self, span_s: int) -> WindowFlow:
        for w in self.windows:
            if w.span_s == span_s:
                return w
        raise KeyError(span_s)
