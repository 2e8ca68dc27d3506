"""Turning approved signals into orders: paper fills from the live book, guarded live trading."""
