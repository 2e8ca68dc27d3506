"""The comparison rule: CEX-only momentum, traded exactly like the DEX signals.

It sees nothing of the DEX. On the active venue's mid, sampled once per second, it
compares the last ``lookback_s`` return with the EWMA spread of such returns; a move of
more than ``k_sigma`` spreads is a signal in the move's direction (origin
``cex_baseline``), at most one per asset per ``cooldown_s``. Its signals go through the
same risk checks, paper execution and labeling, so `dexcex report` can put "DEX-led"
next to "what a plain CEX momentum rule would have done" on the same market and costs.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque

from dexcex.config.core_settings import BaselineSettings
from dexcex.domain import (
    CexContext,
    DexContext,
    Direction,
    FilterReason,
    OrderBook,
    Signal,
    SignalStatus,
)
from dexcex.risk.slippage import walk_book

__all__ = ["CexMomentum"]

_WARMUP = 300  # one-second samples of the return spread before the rule may fire


class _State:
    __slots__ = ("last_s", "last_signal_ms", "mids", "n", "var")

    def __init__(self, lookback: int) -> None:
        self.mids: deque[float] = deque(maxlen=lookback + 1)
        self.last_s = -1
        self.var = 0.0
        self.n = 0
        self.last_signal_ms = -(1 << 62)


class CexMomentum:
    def __init__(self, p: BaselineSettings, taker_fee_bps: float, expiry_s: float) -> None:
        self.p = p
        self.taker_fee_bps = taker_fee_bps
        self.expiry_ms = int(expiry_s * 1000)  # like a DEX signal: not executable after it
        self._state: dict[str, _State] = {}

    def on_book(
        self, asset_id: str, book: OrderBook, spot_only: bool, notional_usd: float, now: int
    ) -> Signal | None:
        """Feed one book; a signal (stamped ``now``) when the rule fires."""
        p = self.p
        mid = book.mid
        if not p.enabled or mid is None:
            return None
        st = self._state.get(asset_id)
        if st is None:
            st = self._state[asset_id] = _State(p.lookback_s)
        sec = book.ts_event // 1000
        if sec <= st.last_s:
            return None
        st.last_s = sec
        st.mids.append(mid)
        if len(st.mids) <= p.lookback_s:
            return None
        r = math.log(mid / st.mids[0]) * 1e4
        sd = math.sqrt(st.var)
        # the spread needs a few minutes of samples before a move can be called unusual
        fire = st.n >= _WARMUP and sd > 0 and abs(r) > p.k_sigma * sd
        st.var = r * r if st.n == 0 else st.var + (r * r - st.var) / 600.0  # ~10 min EWMA
        st.n += 1
        if not fire or book.ts_event - st.last_signal_ms < p.cooldown_s * 1000:
            return None
        st.last_signal_ms = book.ts_event
        direction = Direction.LONG if r > 0 else Direction.SHORT
        return self._signal(asset_id, book, direction, r, sd, spot_only, notional_usd, now)

    def _signal(
        self,
        asset_id: str,
        book: OrderBook,
        direction: Direction,
        ret_bps: float,
        sd: float,
        spot_only: bool,
        notional_usd: float,
        ts: int,
    ) -> Signal:
        assert book.mid is not None and book.best_bid is not None and book.best_ask is not None
        walk = walk_book(book, direction.entry_side, notional_usd / book.mid)
        spread = book.spread_bps or 0.0
        cost = 2 * self.taker_fee_bps + (walk.slippage_bps if walk else 0.0) + spread / 2
        bid_d, ask_d = book.depth_quote(100)
        h = hashlib.blake2b(f"b|{asset_id}|{ts}|{direction.value}".encode(), digest_size=4)
        executable = not (direction is Direction.SHORT and spot_only)
        return Signal(
            id=f"sigb_{ts}_{h.hexdigest()}",
            ts=ts,
            asset_id=asset_id,
            venue=book.venue,
            symbol=book.symbol,
            direction=direction,
            confidence=0.5,
            expected_move_bps=abs(ret_bps),
            priority=0.0,
            status=SignalStatus.NEW,
            executable=executable,
            trigger_ts_event=book.ts_event,
            trigger_ts_recv=book.ts_recv,
            dex=DexContext(None, None, None, 0.0, 0.0, 0.0, 0, 0.0, 0.0, 0.0),
            cex=CexContext(
                book.best_bid, book.best_ask, book.mid, spread, bid_d, ask_d, book.ts_event
            ),
            status_reason=None if executable else "short on a spot-only venue",
            status_code=None if executable else FilterReason.SHORT_ON_SPOT,
            expires_ts=ts + self.expiry_ms,
            origin="cex_baseline",
            features={
                "ret_lookback_bps": ret_bps,
                "sigma_lookback_bps": sd,
                "cost_bps": cost,
            },
        )
