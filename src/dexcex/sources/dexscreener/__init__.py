"""DexScreener: polled pair snapshots on solana, ethereum, bsc and polygon."""
