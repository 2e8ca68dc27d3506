"""DexScreener wire → domain: pool liquidity, price, and flow between two polls.

DexScreener reports rolling windows, not trades. ``FlowDeltas`` differences consecutive
snapshots of the 5-minute window of one pair into a ``DexFlowDelta``: the buys, sells
and USD volume that entered the window minus those that left it since the last poll.
At a 10 s poll that is a 10 s view of flow with a 5-minute memory — far coarser than
Birdeye's per-trade stream, which is why the order-flow analytics prefer Birdeye where
it exists (Solana) and use these deltas on the EVM chains.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from dexcex.domain import DexFlowDelta, DexPrice, InvalidInput, PoolLiquidity
from dexcex.domain.errors import DomainValidationError
from dexcex.sources.dexscreener.constants import CHAIN_IDS
from dexcex.sources.dexscreener.schemas import Pair, PairsEnvelope
from dexcex.sources.index import AssetIndex, PoolRef

__all__ = ["FlowDeltas", "PairSnapshot", "parse_pairs", "snapshot_events"]


class PairSnapshot(msgspec.Struct, frozen=True):
    """What one poll said about one watched pair."""

    ref: PoolRef
    price_usd: float | None
    liquidity_usd: float | None
    base_reserve: float | None
    quote_reserve: float | None
    m5_buys: int
    m5_sells: int
    m5_volume_usd: float
    created_ms: int | None
    ts_recv: int


def _num(raw: str | float | None) -> float | None:
    if raw is None:
        return None
    try:
        x = float(raw)
    except ValueError:
        return None
    return x if math.isfinite(x) and x >= 0 else None


def parse_pairs(
    obj: Any, index: AssetIndex, ts_recv: int
) -> tuple[list[PairSnapshot], list[tuple[str, str]]]:
    """Either envelope (``{"schemaVersion", "pairs"}`` or a bare array) → snapshots of
    the watched pairs, and (reason code, detail) for each entry not used."""
    try:
        pairs: list[Pair] = (
            msgspec.convert(obj, list[Pair])
            if isinstance(obj, list)
            else (msgspec.convert(obj, PairsEnvelope).pairs or [])
        )
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"dexscreener pairs: {exc}", "bad_pairs") from None
    good: list[PairSnapshot] = []
    bad: list[tuple[str, str]] = []
    for p in pairs:
        chain = CHAIN_IDS.get(p.chainId)
        ref = index.pool(chain, p.pairAddress) if chain else None
        if ref is None:
            bad.append(("unwatched_pair", f"unwatched pair {p.chainId}/{p.pairAddress}"))
            continue
        side = _watched_side(p, ref, index)
        if side is None:
            why = f"pair {p.pairAddress}: neither token is the watched {ref.token}"
            bad.append(("token_mismatch", why))
            continue
        good.append(_snapshot(p, ref, inverted=side == "quote", ts_recv=ts_recv))
    return good, bad


def _watched_side(p: Pair, ref: PoolRef, index: AssetIndex) -> str | None:
    """Which side of the pair is the watched token: "base", "quote" or neither (None).
    DexScreener lists some pools with the quote asset (WETH, SOL …) as ``baseToken``,
    and ``priceUsd`` is always the base token's price."""
    if index.asset_of_token(ref.chain, p.baseToken.address) == ref.asset_id:
        return "base"
    if p.quoteToken and index.asset_of_token(ref.chain, p.quoteToken.address) == ref.asset_id:
        return "quote"
    return None


def _snapshot(p: Pair, ref: PoolRef, *, inverted: bool, ts_recv: int) -> PairSnapshot:
    """A pair as seen from the watched token: with ``inverted`` (the token is the quote
    side) its USD price is ``priceUsd / priceNative``, reserves and buys/sells swap."""
    m5 = (p.txns or {}).get("m5", None)
    liq = p.liquidity
    price = _num(p.priceUsd)
    buys, sells = (m5.buys, m5.sells) if m5 else (0, 0)
    base = _num(liq.base) if liq else None
    quote = _num(liq.quote) if liq else None
    if inverted:
        native = _num(p.priceNative)
        price = price / native if price is not None and native else None
        buys, sells, base, quote = sells, buys, quote, base
    if price is not None and price <= 0:
        price = None
    return PairSnapshot(
        ref=ref,
        price_usd=price,
        liquidity_usd=_num(liq.usd) if liq else None,
        base_reserve=base,
        quote_reserve=quote,
        m5_buys=buys,
        m5_sells=sells,
        m5_volume_usd=_num((p.volume or {}).get("m5")) or 0.0,
        created_ms=p.pairCreatedAt,
        ts_recv=ts_recv,
    )


def snapshot_events(s: PairSnapshot) -> list[PoolLiquidity | DexPrice]:
    out: list[PoolLiquidity | DexPrice] = []
    r = s.ref
    try:
        if s.liquidity_usd is not None:
            out.append(
                PoolLiquidity(
                    r.asset_id,
                    r.chain,
                    r.dex,
                    r.address,
                    s.liquidity_usd,
                    s.base_reserve,
                    s.quote_reserve,
                    s.ts_recv,
                    s.ts_recv,
                    "dexscreener",
                    s.created_ms,
                )
            )
        if s.price_usd is not None:
            out.append(
                DexPrice(
                    r.asset_id, r.chain, r.token, s.price_usd, s.ts_recv, s.ts_recv, "dexscreener"
                )
            )
    except DomainValidationError as exc:
        raise InvalidInput(f"dexscreener pair {r.address}: {exc}", "absurd_value") from None
    return out


class FlowDeltas:
    """Consecutive snapshots of each pair → the flow between them (one state per pair)."""

    def __init__(self) -> None:
        self._last: dict[str, PairSnapshot] = {}

    def update(self, s: PairSnapshot) -> DexFlowDelta | None:
        prev = self._last.get(s.ref.address)
        self._last[s.ref.address] = s
        if prev is None or s.ts_recv <= prev.ts_recv:
            return None
        r = s.ref
        return DexFlowDelta(
            asset_id=r.asset_id,
            chain=r.chain,
            dex=r.dex,
            pool=r.address,
            interval_ms=s.ts_recv - prev.ts_recv,
            buys=s.m5_buys - prev.m5_buys,
            sells=s.m5_sells - prev.m5_sells,
            volume_usd=s.m5_volume_usd - prev.m5_volume_usd,
            window_buys=s.m5_buys,
            window_sells=s.m5_sells,
            window_volume_usd=s.m5_volume_usd,
            price_usd=s.price_usd,
            ts_event=s.ts_recv,
            ts_recv=s.ts_recv,
        )
