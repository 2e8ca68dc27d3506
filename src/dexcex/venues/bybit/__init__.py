"""Bybit spot (v5) over ccxt (REST) and ccxt.pro (websocket)."""
