"""One recording through each virtual-time shell — replay, evaluate, and paper trading
over the recording — gives byte-identical signals: one engine, one reorder window, one
core, whatever the shell. (The live shell is the same engine, its clock moved by the same
stamps: ``tests/e2e/test_live_record_replay.py``.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from dexcex.config import Settings
from dexcex.roots.evaluate import evaluate_replay
from dexcex.roots.replay import replay_files
from dexcex.store import Database


def test_replay_evaluate_and_paper_give_byte_identical_signals(
    recording: Path, tmp_path: Path
) -> None:
    enc = msgspec.json.encode
    replayed = asyncio.run(replay_files([recording], Settings(), keep_outputs=True))
    evaluated = evaluate_replay([recording], Settings())
    trading = Settings().model_copy(
        update={"execution": Settings().execution.model_copy(update={"auto_paper": True})}
    )
    db = Database.open(f"sqlite:///{tmp_path / 'paper.sqlite3'}", migrate=True)
    try:
        papered = asyncio.run(replay_files([recording], trading, db=db, keep_outputs=True))
        traded = db.orders.recent(500)
    finally:
        db.close()
    a = [enc(o.signal) for o in replayed.outputs]
    assert len(a) > 5
    assert [enc(o.signal) for o in evaluated.outputs] == a
    assert [enc(o.signal) for o in papered.outputs] == a
    assert traded, "the paper shell traded nothing: it was not a paper run"
