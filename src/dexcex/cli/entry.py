"""The ``dexcex`` console script: the stop latch first, then everything else.

Importing the commands takes seconds (ccxt, SQLAlchemy, FastAPI…); a SIGTERM in that time
must be a clean stop, not a killed process, so the latch is installed before them.
"""

from __future__ import annotations

from dexcex.stopping import LATCH

__all__ = ["run"]


def run() -> None:
    LATCH.install()
    from dexcex.cli.main import run as main_run

    main_run()
