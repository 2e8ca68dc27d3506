"""The pre-trade verdict on one signal: size, estimated cost, regime, and every reason.

Checks, in order, all of them evaluated so the decision lists every reason that applies:
the signal layer filtered it (never approved then); kill switch; signal not executable
(e.g. a short on a spot venue); data — a book with both sides; spread; depth within 1 %
against the order; slippage of the intended size (average fill vs mid, from walking the
live book) and whether the book can fill it; DEX factors — thin pool, young pool,
liquidity drain, extreme holder concentration; regime — extreme volatility, and trading
against a falling broad market for longs; limits — total exposure, per-asset exposure,
daily loss.
"""

from __future__ import annotations

from dexcex.config.core_settings import RiskSettings
from dexcex.domain import (
    Direction,
    OrderBook,
    Regime,
    RiskDecision,
    RiskReason,
    Side,
    Signal,
    SignalStatus,
)
from dexcex.risk.limits import limit_reasons
from dexcex.risk.regime import RegimeState
from dexcex.risk.slippage import walk_book
from dexcex.risk.state import PoolState, PortfolioState

__all__ = ["RiskEngine"]

R = RiskReason
_CONCENTRATION_LIMIT = 0.8
_HOUR_MS = 3_600_000


class _Reasons:
    """Each failed check: its code, and its text with the figures."""

    __slots__ = ("codes", "texts")

    def __init__(self) -> None:
        self.codes: list[RiskReason] = []
        self.texts: list[str] = []

    def add(self, code: RiskReason, text: str) -> None:
        self.codes.append(code)
        self.texts.append(text)


class _BookView:
    """What the book says about the intended order."""

    __slots__ = ("avg", "size", "slip", "worst")

    def __init__(self) -> None:
        self.avg: float | None = None
        self.worst: float | None = None
        self.slip: float | None = None
        self.size = 0.0


class RiskEngine:
    def __init__(self, p: RiskSettings) -> None:
        self.p = p

    def decide(
        self,
        signal: Signal,
        book: OrderBook | None,
        pool: PoolState,
        regime: RegimeState,
        portfolio: PortfolioState,
        now_ms: int,
        notional_usd: float | None = None,
    ) -> RiskDecision:
        p = self.p
        notional = notional_usd if notional_usd is not None else p.order_notional_usd
        reasons = _Reasons()
        flags: list[str] = []
        if p.kill_switch or portfolio.kill_switch:
            reasons.add(R.KILL_SWITCH, "kill switch on")
        if signal.status is SignalStatus.FILTERED:
            reasons.add(R.SIGNAL_FILTERED, f"signal filtered: {signal.status_reason}")
        if not signal.executable:
            if signal.direction is Direction.SHORT:
                reasons.add(R.SHORT_ON_SPOT, "short on a spot-only venue")
            else:
                reasons.add(R.NOT_EXECUTABLE, "not executable here")

        view = self._book_checks(signal, book, notional, reasons)
        self._dex_checks(signal, pool, now_ms, reasons, flags)
        self._regime_checks(signal, regime, reasons, flags)
        self._limit_checks(signal, portfolio, notional, reasons)
        approved = not reasons.texts
        return RiskDecision(
            signal_id=signal.id,
            ts=now_ms,
            approved=approved,
            size_base=view.size if approved else 0.0,
            notional_quote=notional if approved else 0.0,
            est_avg_price=view.avg,
            est_worst_price=view.worst,
            est_slippage_bps=view.slip,
            regime=regime.regime,
            reasons=tuple(reasons.texts) if reasons.texts else ("all checks passed",),
            flags=tuple(flags),
            codes=tuple(reasons.codes),
        )

    def _book_checks(
        self, signal: Signal, book: OrderBook | None, notional: float, reasons: _Reasons
    ) -> _BookView:
        p = self.p
        view = _BookView()
        if book is None or book.mid is None:
            reasons.add(R.NO_BOOK, "no two-sided CEX book")
            return view
        side = signal.direction.entry_side
        spread = book.spread_bps or 0.0
        if spread > p.max_spread_bps:
            reasons.add(R.SPREAD, f"spread {spread:.1f} bps > {p.max_spread_bps:g}")
        bid_depth, ask_depth = book.depth_quote(100)
        depth = ask_depth if side is Side.BUY else bid_depth
        if depth < p.min_depth_multiple * notional:
            reasons.add(R.DEPTH, f"depth within 1 % {depth:,.0f} < {p.min_depth_multiple:g}x order")
        view.size = notional / book.mid
        walk = walk_book(book, side, view.size)
        if walk is not None:
            view.avg, view.worst, view.slip = walk.avg_price, walk.worst_price, walk.slippage_bps
            if not walk.complete:
                reasons.add(
                    R.BOOK_TOO_THIN, f"book fills only {walk.filled:.6g} of {view.size:.6g}"
                )
            if walk.slippage_bps > p.max_slippage_bps:
                reasons.add(
                    R.SLIPPAGE, f"slippage {walk.slippage_bps:.1f} bps > {p.max_slippage_bps:g}"
                )
        return view

    def _dex_checks(
        self, signal: Signal, pool: PoolState, now_ms: int, reasons: _Reasons, flags: list[str]
    ) -> None:
        p = self.p
        if pool.liquidity_usd is not None and pool.liquidity_usd < p.min_pool_liquidity_usd:
            reasons.add(R.THIN_POOL, f"thin pool: {pool.liquidity_usd:,.0f} USD")
        if pool.created_ms is not None and now_ms - pool.created_ms < p.min_pool_age_h * _HOUR_MS:
            reasons.add(R.YOUNG_POOL, f"young pool: {(now_ms - pool.created_ms) / _HOUR_MS:.0f} h")
        if pool.drain:
            flags.append("liquidity_drain")
            if p.block_on_drain and signal.direction.entry_side is Side.BUY:
                reasons.add(
                    R.LIQUIDITY_DRAIN, f"liquidity drain ({pool.drawdown_pct:.0f} % pulled)"
                )
        conc = pool.holder_concentration
        if conc is not None and conc > _CONCENTRATION_LIMIT:
            reasons.add(R.HOLDERS_CONCENTRATED, f"holders concentrated: {conc:.0%}")

    def _regime_checks(
        self, signal: Signal, regime: RegimeState, reasons: _Reasons, flags: list[str]
    ) -> None:
        if regime.regime is Regime.EXTREME and self.p.block_extreme:
            reasons.add(
                R.EXTREME_VOLATILITY, f"extreme volatility ({regime.vol_bps_sqrt_s:.1f} bps/sqrt s)"
            )
        if regime.regime is Regime.UNKNOWN:
            flags.append("regime_unknown")
        falling = regime.market_trend_bps_min < -2 * max(regime.market_vol_bps_sqrt_s, 0.5)
        if signal.direction.entry_side is Side.BUY and falling:
            reasons.add(
                R.MARKET_FALLING,
                f"broad market falling ({regime.market_trend_bps_min:.1f} bps/min)",
            )

    def _limit_checks(
        self, signal: Signal, portfolio: PortfolioState, notional: float, reasons: _Reasons
    ) -> None:
        for code, why in limit_reasons(self.p, portfolio, signal.asset_id, notional):
            reasons.add(code, why)
