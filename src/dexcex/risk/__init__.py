"""Pre-trade risk: slippage from the live book, DEX risk factors, regime, limits. Pure."""
