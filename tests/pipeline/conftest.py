from __future__ import annotations

from pathlib import Path

import pytest

from dexcex.pipeline.replay import convert
from dexcex.sim.scenario import load_scenario
from dexcex.sim.world import SimWorld


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twenty simulated minutes (seed 7), converted to the recorder's format."""
    d = tmp_path_factory.mktemp("rec")
    log = d / "truth.jsonl.zst"
    world = SimWorld(load_scenario("default").model_copy(update={"seed": 7}), log_path=log)
    world.run_virtual(world.market.now + 20 * 60_000)
    assert world.log is not None
    world.log.close()
    n, unreadable, files = convert([log], d / "events")
    assert n > 10_000 and not unreadable and files
    return d / "events"
