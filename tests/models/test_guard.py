"""The automatic-trading gate on its own: who may trade, the limits, drift's pause."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from dexcex.config.models import AlertSettings
from dexcex.domain import ManualClock
from dexcex.models.drift import reference_of
from dexcex.models.guard import AutoGate, Evidence, GateLimits, ModelGrant, evidence_of
from dexcex.monitor.alerts import AlertEngine

NAMES = ["w_usd", "direction"]


class FakeScorer:
    model_id = "m1"
    names = NAMES
    cut = 0.5

    def calibrate(self, r: float) -> float:
        return r

    def vector(self, features: Mapping[str, float], direction: float) -> list[float]:
        return [features["w_usd"], direction]


class Store:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.docs.get(key)

    def put(self, key: str, value: dict[str, Any], ts_ms: int) -> None:
        self.docs[key] = value


def _out(p: float, usd: float = 1.0, sid: str = "s") -> Any:
    sig = SimpleNamespace(id=sid, model_scores={"m1": p}, features={"w_usd": usd}, direction="long")
    return SimpleNamespace(signal=sig)


def _gate(status: str = "active", ok: bool = True, **kw: Any) -> tuple[AutoGate, ManualClock]:
    clock = ManualClock(1_000_000)
    ref = reference_of(NAMES, [[float(i % 100) for i in range(1000)], [1.0, -1.0] * 500])
    grant = ModelGrant(FakeScorer(), status, Evidence(ok, "+1.0 [+0.2, +1.8]"), ref, 0.2)
    lim = GateLimits(1000.0, 100.0, max_orders_per_hour=3, drift_min_signals=50)
    return AutoGate("model", lim, clock.now_ms, model=grant, **kw), clock


def test_an_unpromoted_model_cannot_trade() -> None:
    for status in ("candidate", "shadow", "retired"):
        g, _ = _gate(status)
        assert "is not promoted" in (g.refusal(_out(0.9), False) or "")


def test_no_evidence_no_trade_and_only_the_top_decile() -> None:
    g, _ = _gate(ok=False)
    assert "no walk-forward evidence" in (g.refusal(_out(0.9), False) or "")
    g, _ = _gate()
    assert g.refusal(_out(0.9), False) is None
    assert "below its top-decile cut" in (g.refusal(_out(0.4), False) or "")


def test_the_kill_switch_and_the_order_rate_stop_it() -> None:
    g, clock = _gate()
    assert g.refusal(_out(0.9), True) == "kill switch on"
    for _ in range(3):
        assert g.refusal(_out(0.9), False) is None
    assert "order rate" in (g.refusal(_out(0.9), False) or "")
    clock.advance(3_600_001)
    assert g.refusal(_out(0.9), False) is None


def test_drift_pauses_until_a_person_resumes() -> None:
    store, alerts = Store(), []
    g, _ = _gate(store=store, on_alert=lambda on, msg: alerts.append((on, msg)))
    rng = random.Random(1)
    for i in range(300):  # drawn as the training data was: no drift
        g.observe(_out(0.9, float(rng.randrange(100)), f"a{i}"))
    assert g.paused is None and g.refusal(_out(0.9), False) is None
    for i in range(300):  # the flow is ten times larger from here on
        g.observe(_out(0.9, 1000.0 + i, f"b{i}"))
    assert g.paused and "PSI of w_usd" in g.paused
    assert alerts and alerts[0][0] is True
    assert "paused" in (g.refusal(_out(0.9), False) or "")
    assert store.docs["auto_pause"]["on"] is True
    again, _ = _gate(store=store)  # a restart stays paused
    assert again.paused
    g.resume()
    assert g.refusal(_out(0.9), False) is None and alerts[-1][0] is False
    view = g.drift_view()
    assert view is not None and view[0] == "m1" and not view[3]


def test_a_worse_rolling_brier_pauses() -> None:
    g, _ = _gate()
    for _ in range(60):
        g.outcome(0.9, False)  # confident and wrong: Brier 0.81 against the card's 0.2
    assert g.paused and "rolling Brier" in g.paused


def test_evidence_of_a_card() -> None:
    card = {
        "learner": "lgbm",
        "evidence": {"lgbm": {"value": 2.0, "ci": [0.5, 3.5], "passes": True}},
    }
    assert evidence_of(card).ok
    card["evidence"]["lgbm"]["ci"] = [-0.5, 3.5]
    assert not evidence_of(card).ok
    assert not evidence_of({"learner": "lgbm"}).ok


def test_the_drift_alert() -> None:
    eng = AlertEngine(AlertSettings(), ManualClock(1_000))
    (ev,) = eng.model_drift(True, "drift of model m1: PSI of w_usd 3.1 > 0.25")
    assert ev.status == "firing" and ev.alert.rule == "model_drift"
    assert eng.model_drift(True, "again") == []
    (res,) = eng.model_drift(False, "resumed")
    assert res.status == "resolved"


def test_drift_is_on_the_metrics_page() -> None:
    from prometheus_client import generate_latest

    from dexcex.monitor.metrics import Metrics, MetricSources

    g, _ = _gate()
    rng = random.Random(2)
    for i in range(60):
        g.observe(_out(0.9, float(rng.randrange(100)), f"a{i}"))
        g.outcome(0.9, True)
    m = Metrics()
    m.bind(
        MetricSources(
            execution=SimpleNamespace(
                journal=SimpleNamespace(written_orders=0),
                mode=SimpleNamespace(value="paper"),
                positions=list,
            ),
            drift=g,
        )
    )  # type: ignore[arg-type]
    text = generate_latest(m.registry).decode()
    assert 'dexcex_model_psi{feature="w_usd",model="m1"}' in text
    assert 'dexcex_model_brier{model="m1"} 0.01' in text
    assert "dexcex_auto_paused 0.0" in text


def test_a_resume_from_another_process_is_read(tmp_path: Path) -> None:
    from dexcex.cli.main import main
    from dexcex.store import Database

    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    db = Database.open(url, migrate=True)
    try:
        g, clock = _gate(store=db.state)
        g.pause("drift of model m1: PSI of w_usd 3.0 > 0.25")
        assert "paused" in (g.refusal(_out(0.9), False) or "")
        assert main(["model", "resume", "--db", url]) == 0
        clock.advance(10_001)
        assert g.refusal(_out(0.9), False) is None
    finally:
        db.close()
