"""MEXC spot over ccxt (REST) and ccxt.pro (protobuf websocket)."""
