"""On simulator data, where the truth is known: precision and recall of the anomalies."""

from __future__ import annotations

from dataclasses import dataclass

from dexcex.sim.market.events import Burst

__all__ = ["Entry", "detection"]


@dataclass(frozen=True, slots=True)
class Entry:
    """A signal reduced to what detection needs: asset, time (ms) and direction (±1)."""

    asset_id: str
    ts: int
    direction: int


def detection(entries: list[Entry], bursts: list[Burst]) -> dict[str, float | int]:
    """Precision and recall against the simulator's truth.

    A signal is right when it falls inside an informed burst that a CEX move followed —
    after the burst began and before the move started — in the burst's direction. Recall
    is the share of such bursts that got at least one right signal in time.
    """
    followed = [b for b in bursts if b.followed]
    hits: set[int] = set()
    true_pos = 0
    by_asset: dict[str, list[Burst]] = {}
    for b in followed:
        by_asset.setdefault(b.asset_id, []).append(b)
    for e in entries:
        match = next(
            (
                b
                for b in by_asset.get(e.asset_id, ())
                if b.t <= e.ts < b.t + b.lag_ms and e.direction == b.direction
            ),
            None,
        )
        if match is not None:
            true_pos += 1
            hits.add(match.episode)
    decoys = [b for b in bursts if b.kind == "decoy"]
    decoy_hit = sum(
        1
        for b in decoys
        if any(e.asset_id == b.asset_id and b.t <= e.ts <= b.end + 30_000 for e in entries)
    )
    return {
        "signals": len(entries),
        "true_positives": true_pos,
        "precision": true_pos / len(entries) if entries else 0.0,
        "followed_bursts": len(followed),
        "recall": len(hits) / len(followed) if followed else 0.0,
        "decoys": len(decoys),
        "decoys_signalled": decoy_hit,
    }
