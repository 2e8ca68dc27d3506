"""CEX venues (MEXC, Bybit) over ccxt: one adapter per venue, the same shape in each."""
