"""Deterministic, realistic-looking identifiers (addresses, tx hashes) from a counter."""

from __future__ import annotations

import hashlib

__all__ = ["address", "tx_hash"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58(data: bytes, length: int) -> str:
    n = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, 58)
        chars.append(_B58[r])
    return "".join(chars)


def address(chain: str, label: str) -> str:
    """A wallet address for ``label``: base58 on Solana, 0x-hex on EVM chains."""
    d = hashlib.blake2b(label.encode(), digest_size=32).digest()
    return _b58(d, 44) if chain == "solana" else "0x" + d[:20].hex()


def tx_hash(chain: str, label: str) -> str:
    """A transaction id: an 88-char base58 signature on Solana, 0x + 64 hex on EVM."""
    d = hashlib.blake2b(label.encode(), digest_size=64).digest()
    return _b58(d, 88) if chain == "solana" else "0x" + d[:32].hex()
