"""Birdeye: Solana swaps and prices over the websocket, liquidity over REST."""
