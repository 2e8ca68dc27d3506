"""Birdeye wire → domain events. Pure: a frame in, a domain value or ``InvalidInput`` out.

Side convention: our ``DexSwap.side`` is the taker side of the *watched* token. Birdeye's
own ``side`` is relative to the subscribed address and absent (or ``"swap"``) for pair
and complex subscriptions, so the side is derived from the legs: the owner received the
token (it is in ``to``) → buy; the owner paid with it (``from``) → sell.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import msgspec

from dexcex.domain import Chain, DexPrice, DexSwap, InvalidInput, PoolLiquidity, Side
from dexcex.domain.errors import DomainValidationError
from dexcex.sources.birdeye.schemas import MarketData, PriceFrame, TxsData, TxsFrame
from dexcex.sources.index import AssetIndex

__all__ = [
    "frame_type",
    "parse_market_data",
    "parse_price_frame",
    "parse_txs_frame",
    "swap_id",
]

_decoder = msgspec.json.Decoder()


def frame_type(raw: str | bytes) -> tuple[str, Any]:
    """Decode a websocket frame; returns (type, object). Unknown types are for the caller
    to ignore (Birdeye may add frame types), undecodable frames raise InvalidInput."""
    try:
        obj = _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"birdeye frame: not JSON ({exc})", "bad_json") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise InvalidInput("birdeye frame: no type", "bad_frame")
    return obj["type"], obj


def _finite(x: float | None, what: str, *, positive: bool = True) -> float:
    if x is None or not math.isfinite(x) or (x <= 0 if positive else x < 0):
        raise InvalidInput(f"birdeye: {what} = {x!r}", "absurd_value")
    return x


def swap_id(d: TxsData) -> str:
    """One swap's id: its transaction hash and a digest of its legs. One transaction may
    hold several swaps (split routes, arbitrage): the hash alone would make the second a
    "duplicate"; the same swap sent twice still has one id."""
    legs = f"{d.poolId}|{d.from_.address}|{d.from_.uiAmount!r}|{d.to.address}|{d.to.uiAmount!r}"
    return f"{d.txHash}:{hashlib.blake2b(legs.encode(), digest_size=4).hexdigest()}"


def parse_txs_frame(obj: Any, chain: Chain, index: AssetIndex, ts_recv: int) -> DexSwap:
    try:
        frame = msgspec.convert(obj, TxsFrame)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"birdeye TXS_DATA: {exc}", "bad_txs") from None
    d = frame.data
    got_token = index.asset_of_token(chain, d.to.address)
    paid_token = index.asset_of_token(chain, d.from_.address)
    if (got_token is None) == (paid_token is None):
        raise InvalidInput(
            f"birdeye TXS_DATA {d.txHash[:16]}: not exactly one watched token", "unwatched"
        )
    side = Side.BUY if got_token is not None else Side.SELL
    asset_id = got_token or paid_token
    assert asset_id is not None
    token_leg, other_leg = (d.to, d.from_) if side is Side.BUY else (d.from_, d.to)
    base = _finite(abs(token_leg.uiAmount), "token amount")
    quote = _finite(abs(other_leg.uiAmount), "quote amount")
    if d.volumeUSD is not None:
        usd = _finite(d.volumeUSD, "volumeUSD", positive=False)
    else:
        usd = quote * _finite(other_leg.price or other_leg.nearestPrice, "quote price")
    price = d.tokenPrice if d.tokenPrice and d.tokenPrice > 0 else usd / base
    pool = index.pool(chain, d.poolId) if d.poolId else None
    try:
        return DexSwap(
            asset_id=asset_id,
            chain=chain,
            dex=pool.dex if pool else (d.source or "unknown"),
            pool=pool.address if pool else (d.poolId or f"token:{token_leg.address}"),
            tx_id=swap_id(d),
            trader=d.owner or None,
            side=side,
            base_amount=base,
            quote_amount=quote,
            usd_value=usd,
            price_native=quote / base,
            price_usd=_finite(price, "price"),
            ts_event=d.blockUnixTime * 1000,
            ts_recv=ts_recv,
            source="birdeye",
        )
    except DomainValidationError as exc:
        raise InvalidInput(f"birdeye TXS_DATA: {exc}", "bad_txs") from None


def parse_price_frame(obj: Any, chain: Chain, index: AssetIndex, ts_recv: int) -> DexPrice:
    """A PRICE_DATA candle update → the token's latest price (as of when it arrived; the
    frame's ``unixTime`` is the candle's open, not the price's time)."""
    try:
        frame = msgspec.convert(obj, PriceFrame)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"birdeye PRICE_DATA: {exc}", "bad_price") from None
    asset_id = index.asset_of_token(chain, frame.data.address)
    if asset_id is None:
        raise InvalidInput(f"birdeye PRICE_DATA: {frame.data.address} is not watched", "unwatched")
    try:
        return DexPrice(
            asset_id,
            chain,
            frame.data.address,
            _finite(frame.data.c, "close"),
            ts_recv,
            ts_recv,
            "birdeye",
        )
    except DomainValidationError as exc:
        raise InvalidInput(f"birdeye PRICE_DATA: {exc}", "bad_price") from None


def parse_market_data(obj: Any, chain: Chain, index: AssetIndex, ts_recv: int) -> PoolLiquidity:
    """/defi/v3/token/market-data → the token's liquidity summed over all its pools
    (Birdeye gives no per-pool reserves here: ``pool`` is the token address)."""
    if not isinstance(obj, dict) or obj.get("success") is not True:
        raise InvalidInput(
            f"birdeye market-data: unsuccessful answer {str(obj)[:120]}", "bad_market_data"
        )
    try:
        md = msgspec.convert(obj.get("data"), MarketData)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"birdeye market-data: {exc}", "bad_market_data") from None
    asset_id = index.asset_of_token(chain, md.address)
    if asset_id is None:
        raise InvalidInput(f"birdeye market-data: {md.address} is not watched", "unwatched")
    try:
        return PoolLiquidity(
            asset_id,
            chain,
            "all",
            md.address,
            _finite(md.liquidity, "liquidity", positive=False),
            None,
            None,
            ts_recv,
            ts_recv,
            "birdeye",
        )
    except DomainValidationError as exc:
        raise InvalidInput(f"birdeye market-data: {exc}", "bad_market_data") from None
