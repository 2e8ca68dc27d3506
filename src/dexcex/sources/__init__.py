"""DEX data sources (Birdeye, DexScreener): wire → domain, the same shape in each."""
