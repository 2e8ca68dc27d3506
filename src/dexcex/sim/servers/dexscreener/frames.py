"""DexScreener wire shapes, built from simulator state: the Pair object (rolling
``txns``/``volume``/``priceChange`` over m5/h1/h6/h24, prices as strings, liquidity,
``pairCreatedAt`` in ms) and the Cloudflare-style 429."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from dexcex.sim.state import QUOTE_TOKENS, PoolView

__all__ = ["pair_json", "quote_is_base", "too_many"]

_WINDOWS = {"m5": 5, "h1": 60, "h6": 360, "h24": 1440}
_LABELS = {"meteora": ["DLMM"], "orca": ["wp"], "raydium": [], "uniswap": ["v3"]}


def too_many(retry_after: int | None) -> web.Response:
    """Over the limit, behind Cloudflare: a non-JSON body, ``Retry-After`` optional."""
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.Response(
        status=429, text="error code: 1015", content_type="text/plain", headers=headers
    )


def _windows(v: PoolView, now: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    txns, volume, change = {}, {}, {}
    for name, minutes in _WINDOWS.items():
        bs = v.buckets.window(now, minutes)
        txns[name] = {"buys": sum(b.buys for b in bs), "sells": sum(b.sells for b in bs)}
        volume[name] = round(sum(b.v_quote for b in bs), 2)
        past = v.buckets.price_at(now - minutes * 60_000) or v.pool.price_usd
        change[name] = round((v.pool.price_usd / past - 1) * 100, 2)
    return txns, volume, change


def quote_is_base(v: PoolView) -> bool:
    """Whether DexScreener lists this pool the other way round (about one in three): its
    ``baseToken`` is the quote side (WETH, SOL …) and the watched token is the quote."""
    return int(hashlib.blake2b(v.pool.address.encode(), digest_size=2).hexdigest(), 16) % 3 == 0


def pair_json(v: PoolView, now: int, *, inverted: bool = False) -> dict[str, Any]:
    """One Pair object; ``priceUsd`` is the USD price of ``baseToken`` — with
    ``inverted`` the quote token's, and every base/quote figure swaps sides."""
    pool = v.pool
    txns, volume, change = _windows(v, now)
    quote_addr, _ = QUOTE_TOKENS.get((pool.chain, pool.quote_symbol), ("", 9))
    price = pool.price_usd
    token = {"address": pool.token, "name": v.symbol, "symbol": v.symbol}
    quote = {"address": quote_addr, "name": pool.quote_symbol, "symbol": pool.quote_symbol}
    native, usd, base_res, quote_res = pool.price_native, price, pool.base, pool.quote
    if inverted:
        token, quote = quote, token
        native, usd, base_res, quote_res = 1 / native, pool.quote_usd, quote_res, base_res
        txns = {k: {"buys": t["sells"], "sells": t["buys"]} for k, t in txns.items()}
        change = {k: round((1 / (1 + c / 100) - 1) * 100, 2) for k, c in change.items()}
    return {
        "chainId": pool.chain,
        "dexId": pool.dex,
        "url": f"https://dexscreener.com/{pool.chain}/{pool.address.lower()}",
        "pairAddress": pool.address,
        "labels": _LABELS.get(pool.dex, ["v2"]),
        "baseToken": token,
        "quoteToken": quote,
        "priceNative": f"{native:.10g}",
        "priceUsd": f"{usd:.10g}",
        "txns": txns,
        "volume": volume,
        "priceChange": change,
        "liquidity": {
            "usd": round(pool.liquidity_usd, 2),
            "base": round(base_res, 4),
            "quote": round(quote_res, 6),
        },
        "fdv": round(price * 1e9),
        "marketCap": round(price * 9e8),
        "pairCreatedAt": pool.created_ms,
        "info": {
            "imageUrl": f"https://dd.dexscreener.com/ds-data/tokens/{pool.chain}/{pool.token}.png",
            "websites": [{"label": "Website", "url": f"https://{v.symbol.lower()}.example"}],
            "socials": [{"type": "twitter", "url": f"https://x.com/{v.symbol.lower()}"}],
        },
        "boosts": {"active": 0},
    }
