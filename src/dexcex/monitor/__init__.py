"""Health, latency, rejections and alerts of every source and venue."""

from dexcex.monitor.tracker import HealthTracker, LatencyWindow

__all__ = ["HealthTracker", "LatencyWindow"]
