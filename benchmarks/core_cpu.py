"""A/B figure for one change to the core: CPU-time events/s (``time.process_time``, so a
busy neighbour costs less than on the wall clock) of ``Core.on_event``, best of 5, and of
the floor around them, on the first 300,000 rows of the reference stream.

    python -m benchmarks.core_cpu [rows]

Not a ``bench_*`` module: ``make bench`` does not run it.
"""

from __future__ import annotations

import sys
import time

import benchmarks.bench_core as bc
from dexcex.config.core_settings import CoreSettings


def main() -> int:
    bc.time.perf_counter = time.process_time  # type: ignore[assignment]
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    assets, events = bc.build_events(rows)
    for name, s in (("default", CoreSettings()), ("relaxed", bc.relaxed())):
        floors = [bc.floor_rate(events)]
        cores: list[float] = []
        for _ in range(5):
            cores.append(bc.core_rate(assets, events, s)[0])
            floors.append(bc.floor_rate(events))
        core, floor = max(cores), max(floors)
        print(
            f"{name}: core {core:,.0f} events/s, floor {floor:,.0f}, ratio {core / floor:.3f} "
            "(CPU time)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
