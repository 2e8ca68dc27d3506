"""Run every benchmark module (``bench_*.py``) in this folder and print its figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks.targets import MISSED


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    if not names:
        print("no benchmarks yet")
        return 0
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        module.run()
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
    if MISSED:
        print(f"\nbudgets NOT MET: {'; '.join(MISSED)}", flush=True)
        return 1
    print("\nevery budget met", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
