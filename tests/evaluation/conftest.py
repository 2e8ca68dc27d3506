from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.sim.scenario import load_scenario
from dexcex.sim.world import SimWorld


@pytest.fixture(scope="session")
def sim_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulated hour of the default scenario (seed 7) with its ground truth."""
    path = tmp_path_factory.mktemp("sim") / "truth.jsonl.zst"
    world = SimWorld(load_scenario("default").model_copy(update={"seed": 7}), log_path=path)
    world.run_virtual(world.market.now + 3_600_000)
    assert world.log is not None
    world.log.close()
    return path
