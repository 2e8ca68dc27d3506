"""Health, latency, rejections and alerts of every source and venue (the trackers
themselves live at the edge: ``dexcex.edge.health``)."""
