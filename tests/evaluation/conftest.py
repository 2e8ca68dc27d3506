from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.evaluation.simrun import light
from dexcex.sim.scenario import load_scenario
from dexcex.sim.world import SimWorld


@pytest.fixture(scope="session")
def sim_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulated hour of the realistic scenario (seed 7, made light) with its truth."""
    path = tmp_path_factory.mktemp("sim") / "truth.jsonl.zst"
    sc = light(load_scenario("realistic", seed=7), ["wif", "pepe", "bonk", "popcat"])
    world = SimWorld(sc, log_path=path)
    world.run_virtual(world.market.now + 3_600_000)
    assert world.log is not None
    world.log.close()
    return path
