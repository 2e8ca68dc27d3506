"""Where the core's time goes: ``Core.on_event`` over the first 300,000 rows of the
reference stream (as ``bench_core`` builds them), under pyinstrument (a dev dependency),
printed as pyinstrument's call tree with each function's share of the run ([self]: in
the function itself).

    python -m benchmarks.profile_core [relaxed|default] [rows]

Not a ``bench_*`` module: ``make bench`` does not run it. The profiler slows the run, so
its events/s are not the benchmark's; the shares are what it is for.
"""

from __future__ import annotations

import sys
import time

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer

from benchmarks.bench_core import build_events, relaxed
from dexcex.config.core_settings import CoreSettings
from dexcex.core import Core
from dexcex.domain import ManualClock


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "relaxed"
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
    settings = relaxed() if which == "relaxed" else CoreSettings()
    assets, events = build_events(rows)
    clock = ManualClock(0)
    core = Core(assets, settings, clock)
    on_event, set_clock = core.on_event, clock.set
    profiler = Profiler(interval=0.001)  # 1 ms: finer samples slow the run more than they add
    started = time.perf_counter()
    with profiler:
        for ev in events:
            set_clock(ev.ts_event)
            on_event(ev)
    took = time.perf_counter() - started
    print(f"{len(events):,} events, settings {which}, {took:.1f} s under the profiler")
    text = profiler.output(ConsoleRenderer(time="percent_of_total", unicode=True))
    print("\n".join(text.splitlines()[:60]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
