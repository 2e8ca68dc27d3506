"""Digest of every signal and risk decision the core gives on two fixed inputs, so a change
meant only to make the core faster can be checked to change no output, byte for byte:

- the first 300,000 rows of the shared reference stream (as ``bench_core`` builds them),
  with default settings and with the trigger relaxed;
- an hour of the simulator (default scenario, seed 7: wallets, several pools, liquidity,
  DexScreener flow, prices), converted to recorder files and replayed through the engine.

    python -m benchmarks.signal_digest        # prints one digest per input

Not a ``bench_*`` module: ``make bench`` does not run it.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import tempfile
from pathlib import Path

import msgspec

from benchmarks.bench_core import build_events, relaxed
from dexcex.config import Settings
from dexcex.config.core_settings import CoreSettings
from dexcex.core import Core, CoreOutput
from dexcex.domain import ManualClock

ROWS = 300_000
SIM_MINUTES = 60


def digest(outputs: list[CoreOutput]) -> str:
    h = hashlib.sha256()
    enc = msgspec.json.encode
    for o in outputs:
        h.update(enc(o))
        h.update(b"\n")
    return f"{len(outputs)} outputs, sha256 {h.hexdigest()[:16]}"


def reference(settings: CoreSettings) -> str:
    assets, events = build_events(ROWS)
    clock = ManualClock(0)
    core = Core(assets, settings, clock)
    outs = []
    for ev in events:
        clock.set(ev.ts_event)
        o = core.on_event(ev)
        if o is not None:
            outs.append(o)
    return digest(outs)


def simulated(minutes: int = SIM_MINUTES) -> str:
    from dexcex.pipeline.replay import convert
    from dexcex.roots.replay import replay_files
    from dexcex.sim.scenario import load_scenario
    from dexcex.sim.world import SimWorld

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        log = d / "truth.jsonl.zst"
        world = SimWorld(load_scenario("default").model_copy(update={"seed": 7}), log_path=log)
        world.run_virtual(world.market.now + minutes * 60_000)
        assert world.log is not None
        world.log.close()
        convert([log], d / "events")
        res = asyncio.run(replay_files([d / "events"], Settings(), keep_outputs=True))
        return f"{res.events} events, " + digest(res.outputs)


def main() -> int:
    which = set(sys.argv[1:]) or {"default", "relaxed", "sim"}
    if "default" in which:
        print("reference stream, default settings:", reference(CoreSettings()), flush=True)
    if "relaxed" in which:
        print("reference stream, intensity ≥ 0.5:", reference(relaxed()), flush=True)
    if "sim" in which:
        print(f"simulator, {SIM_MINUTES} min, seed 7:", simulated(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
