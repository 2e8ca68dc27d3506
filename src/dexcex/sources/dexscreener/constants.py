"""DexScreener endpoints and limits, as data."""

from __future__ import annotations

from dexcex.domain import Chain
from dexcex.edge.ratelimit import RateLimit

__all__ = ["CHAIN_IDS", "LIMITS", "MAX_ADDRESSES"]

# 300 requests per minute for the pair/token/search endpoints; we plan for 240 so a
# second tool on the same IP does not push us into 429s.
LIMITS = (RateLimit("rest", 240, 60.0),)
MAX_ADDRESSES = 30  # per call, pairs or tokens
CHAIN_IDS: dict[str, Chain] = {c.value: c for c in Chain}  # DexScreener slugs == ours
