"""A detector that finds edges in noise is a defect.

On the realistic scenario with ``p_move = 0`` (bursts, decoys and wallets as usual, but
no CEX move ever follows), ``evaluate``'s verdict must be "no edge" in at least 95 % of
20 seeds. The verdict alone would pass on costs (the net mean is negative without any
edge), so the test also holds the cost-neutral part to account: the permutation null
compares each signal with random-timing twins that pay the same costs, and its p-value
must not fall below 0.05 more often than chance allows (at most 3 of 20; P ≈ 1.6 % for a
calibrated test). Worlds are small (30 virtual minutes, 3 assets) to stay fast;
``make evaluate-null`` runs the long version.
"""

from __future__ import annotations

import os

from dexcex.config.core_settings import CoreSettings
from dexcex.evaluation.groups import label_group
from dexcex.evaluation.plan import EvaluationPlan, load_plan
from dexcex.evaluation.simrun import light, run_world
from dexcex.evaluation.verdict import judge
from dexcex.sim.scenario import load_scenario

SEEDS = int(os.environ.get("DEXCEX_NULL_SEEDS", "20"))
MINUTES = float(os.environ.get("DEXCEX_NULL_MINUTES", "30"))


def _plan(group: str) -> EvaluationPlan:
    p = load_plan()
    return p.model_copy(
        update={
            "primary": p.primary.model_copy(update={"group": group}),
            "null": p.null.model_copy(update={"draws": 200}),
            "bootstrap": p.bootstrap.model_copy(update={"reps": 400}),
        }
    )


def test_no_edge_without_moves() -> None:
    shipped, cands = _plan("approved"), _plan("candidates")
    no_edge, no_edge_cands, perm_small, tested = 0, 0, 0, 0
    for seed in range(SEEDS):
        sc = load_scenario("realistic", seed=seed)
        inf = sc.informed.model_copy(update={"p_move": 0.0, "p_move_range": None})
        sc = light(sc.model_copy(update={"informed": inf}), ["wif", "pepe", "bonk"])
        res = run_world(sc, MINUTES, CoreSettings(), cands, seed=seed)
        assert not res.data.moves  # the world really planted nothing
        if res.verdict.null is not None:
            tested += 1
            perm_small += res.verdict.null.p_mean < 0.05
        no_edge_cands += not res.verdict.edge
        # the plan's primary group as shipped (approved signals at 5 m), same world
        g = label_group(res.data, shipped.primary.group, shipped)
        no_edge += not judge(res.data, g, shipped, lookback_s=60, seed=seed).edge
    assert no_edge >= 0.95 * SEEDS
    assert no_edge_cands >= 0.95 * SEEDS
    assert tested >= 0.8 * SEEDS, "too few worlds had enough signals to test"
    assert perm_small <= max(3, int(0.15 * tested))
