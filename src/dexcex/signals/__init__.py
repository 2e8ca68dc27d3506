"""DEX anomalies → scored CEX signals: aggregation, confidence, priority, filtering. Pure."""
