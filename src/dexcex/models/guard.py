"""Who may trade by itself: ``execution.auto = off | rules | model``.

``rules``: every signal the rule passed and risk approved (paper; live also needs
``live.enabled`` and ``live.auto_execute``). ``model``: of those, the ones the active
model ranks in its top decile — and only while all of these hold:

* the model is promoted (status ``active`` in the registry);
* its card shows walk-forward evidence: the primary metric's (out-of-sample top-decile
  net return after costs) CI above zero;
* the risk limits are in force: exposure and daily-loss limits set, the kill switch
  off, and at most ``auto_max_orders_per_hour`` automatic orders in the last hour;
* drift has not paused it (``models.drift``): past ``drift_psi`` on any feature, or a
  rolling Brier worse than the card's by ``drift_brier_margin``, an alert fires and
  automatic trading stops until a person resumes it (persisted, like the kill switch).

A click is never gated here: a person can always trade a signal risk approved.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from dexcex.models.drift import DriftMonitor, DriftState
from dexcex.models.features import direction_sign

__all__ = ["AutoGate", "Evidence", "GateLimits", "evidence_of"]

_PAUSE_KEY = "auto_pause"
_KEEP = 20_000  # scored signals waiting for their label


@dataclass(frozen=True)
class Evidence:
    ok: bool
    text: str


def evidence_of(card: Mapping[str, Any]) -> Evidence:
    """Whether ``card`` shows walk-forward evidence for its own learner."""
    ev = (card.get("evidence") or {}).get(card.get("learner"))
    if not ev or ev.get("value") is None:
        return Evidence(False, "no walk-forward evidence on the card")
    ci = ev.get("ci")
    text = f"{ev['value']:+.2f}" + (f" [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else " [no CI]")
    return Evidence(bool(ev.get("passes")) and ci is not None and ci[0] > 0, text)


class StateStore(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any], ts_ms: int) -> None: ...


class Scored(Protocol):
    """What the gate needs of a served model (``serving.ModelScorer``)."""

    model_id: str
    names: list[str]
    cut: float

    def calibrate(self, r: float) -> float: ...

    def vector(self, features: Mapping[str, float], direction: float) -> list[float]: ...


@dataclass(frozen=True)
class GateLimits:
    max_exposure_usd: float
    max_daily_loss_usd: float
    max_orders_per_hour: int = 60
    drift_psi: float = 0.25
    drift_brier_margin: float = 0.05
    drift_min_signals: int = 200
    drift_window: int = 500
    drift_features: tuple[str, ...] = ()  # name prefixes whose PSI is watched (empty: all)


@dataclass(frozen=True)
class ModelGrant:
    """The active model as the registry and its card describe it."""

    scorer: Scored
    status: str
    evidence: Evidence
    reference: dict[str, Any]
    reference_brier: float | None
    horizon: str = "5m"


class AutoGate:
    def __init__(
        self,
        mode: str,
        limits: GateLimits,
        now_ms: Callable[[], int],
        *,
        model: ModelGrant | None = None,
        store: StateStore | None = None,
        on_alert: Callable[[bool, str], None] | None = None,
    ) -> None:
        if mode not in ("off", "rules", "model"):
            raise ValueError(f"execution.auto = {mode!r}: off, rules or model")
        self.mode = mode
        self.limits = limits
        self.now_ms = now_ms
        self.model = model
        self.store = store
        self.on_alert = on_alert
        self.drift: DriftMonitor | None = None
        self._reset_drift()
        self._orders: deque[int] = deque()
        self._scored: OrderedDict[str, float] = OrderedDict()  # signal → p, until labelled
        self.paused: str | None = None
        self._next_read = 0
        if store is not None:
            doc = store.get(_PAUSE_KEY) or {}
            self.paused = doc.get("reason") if doc.get("on") else None

    # --- the question execution asks ---------------------------------------------------------

    def refusal(self, out: Any, kill_on: bool) -> str | None:
        """Why ``out`` (an approved ``CoreOutput``) may not be traded automatically."""
        if self.mode == "off":
            return "automatic trading is off"
        if self.paused and not self._resumed_elsewhere():
            return f"automatic trading paused: {self.paused}"
        why = self._limits(kill_on)
        if why is None and self.mode == "model":
            why = self._model(out)
        if why is None:
            self._orders.append(self.now_ms())
        return why

    def _resumed_elsewhere(self) -> bool:
        """A person may resume from another process (``dexcex model resume``): the stored
        state is read again, at most every ten seconds."""
        now = self.now_ms()
        if self.store is None or now < self._next_read:
            return False
        self._next_read = now + 10_000
        doc = self.store.get(_PAUSE_KEY) or {}
        if doc.get("on"):
            return False
        self.paused = None
        self._reset_drift()
        if self.on_alert is not None:
            self.on_alert(False, "automatic trading resumed")
        return True

    def _limits(self, kill_on: bool) -> str | None:
        lim = self.limits
        if kill_on:
            return "kill switch on"
        if not (lim.max_exposure_usd > 0 and lim.max_daily_loss_usd > 0):
            return "risk limits not in force (exposure and daily loss must be set)"
        now = self.now_ms()
        while self._orders and self._orders[0] <= now - 3_600_000:
            self._orders.popleft()
        if len(self._orders) >= lim.max_orders_per_hour:
            return f"order rate: {len(self._orders)} automatic orders in the last hour"
        return None

    def _model(self, out: Any) -> str | None:
        m = self.model
        if m is None:
            return "no active model"
        mid = m.scorer.model_id
        if m.status != "active":
            return f"model {mid} is not promoted (status {m.status})"
        if not m.evidence.ok:
            return f"model {mid}: its card shows no walk-forward evidence ({m.evidence.text})"
        p = out.signal.model_scores.get(mid)
        if p is None:  # the CEX-only baseline's signals have no DEX features to score
            return f"model {mid} trades only the DEX signals it scores"
        if p < m.scorer.calibrate(m.scorer.cut):
            return f"model {mid}: {p:.3f} is below its top-decile cut"
        return None

    # --- drift -------------------------------------------------------------------------------

    def observe(self, out: Any) -> None:
        """Every stored signal: its model vector into the drift window."""
        m, d = self.model, self.drift
        if m is None or d is None or m.scorer.model_id not in out.signal.model_scores:
            return
        s = out.signal
        d.observe(m.scorer.vector(s.features, direction_sign(s.direction)))
        self._scored[s.id] = s.model_scores[m.scorer.model_id]
        while len(self._scored) > _KEEP:
            self._scored.popitem(last=False)
        self._check()

    def on_outcomes(self, updates: list[Any]) -> None:
        """The labeler's updates: each known label of a scored signal, into the Brier."""
        if self.model is None:
            return
        col = f"label_{self.model.horizon}"
        for u in updates:
            label = u.values.get(col)
            p = self._scored.get(u.signal_id)
            if label is not None and p is not None:
                del self._scored[u.signal_id]
                self.outcome(p, bool(label))

    def outcome(self, p: float, label: bool) -> None:
        if self.drift is not None:
            self.drift.outcome(p, label)
            self._check()

    def _check(self) -> None:
        assert self.drift is not None and self.model is not None
        st = self.drift.state()
        why = drift_reason(st, self.limits, self.model.reference_brier)
        if why is not None and not self.paused:
            self.pause(f"drift of model {self.model.scorer.model_id}: {why}")

    def drift_view(self) -> tuple[str, dict[str, float], float | None, bool] | None:
        """For /metrics: the active model's PSI per feature, rolling Brier, paused."""
        if self.model is None or self.drift is None:
            return None
        st = self.drift.state()
        return self.model.scorer.model_id, st.psi, st.brier, self.paused is not None

    def pause(self, reason: str) -> None:
        self.paused = reason
        self._persist(True, reason)
        if self.on_alert is not None:
            self.on_alert(True, reason)

    def resume(self) -> None:
        """A person says go on (``dexcex model resume``, or the API)."""
        if self.paused and self.on_alert is not None:
            self.on_alert(False, "automatic trading resumed")
        self.paused = None
        self._reset_drift()
        self._persist(False, "")

    def _reset_drift(self) -> None:
        """A fresh window: what drifted before the resume is not held against it."""
        if self.model is not None:
            ref = self.model.reference
            watch = self.limits.drift_features
            if watch:
                ref = {n: r for n, r in ref.items() if n.startswith(watch)}
            self.drift = DriftMonitor(list(self.model.scorer.names), ref, self.limits.drift_window)

    def _persist(self, on: bool, reason: str) -> None:
        if self.store is not None:
            self.store.put(_PAUSE_KEY, {"on": on, "reason": reason}, self.now_ms())


def drift_reason(st: DriftState, lim: GateLimits, ref_brier: float | None) -> str | None:
    if st.signals >= lim.drift_min_signals:
        worst = max(st.psi.items(), key=lambda kv: kv[1], default=None)
        if worst is not None and worst[1] > lim.drift_psi:
            return f"PSI of {worst[0]} {worst[1]:.2f} > {lim.drift_psi:g}"
    brier, margin = st.brier, lim.drift_brier_margin
    enough = st.outcomes >= lim.drift_min_signals
    if brier is not None and ref_brier is not None and enough and brier > ref_brier + margin:
        return f"rolling Brier {brier:.3f} > the card's {ref_brier:.3f} + {margin:g}"
    return None
