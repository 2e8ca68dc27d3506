"""The composition roots' part of serving: the registry's active and shadow models
loaded (their files checked), handed to the core as pure scorers, and the automatic-
trading gate put in front of execution. Nothing here runs per signal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dexcex.config import Settings
from dexcex.logs import get_logger
from dexcex.models.guard import AutoGate, GateLimits, ModelGrant, evidence_of
from dexcex.models.registry import ModelRefused, load_payload
from dexcex.models.serving import ModelScorer, scorer_of

__all__ = ["Served", "attach_models", "gate_limits"]

_log = get_logger("dexcex.models")


@dataclass
class Served:
    scorers: list[ModelScorer] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one line each
    gate: AutoGate | None = None


def gate_limits(s: Settings) -> GateLimits:
    e, r = s.execution, s.core.risk
    return GateLimits(
        max_exposure_usd=r.max_exposure_usd,
        max_daily_loss_usd=r.max_daily_loss_usd,
        max_orders_per_hour=e.auto_max_orders_per_hour,
        drift_psi=e.drift_psi,
        drift_brier_margin=e.drift_brier_margin,
        drift_min_signals=e.drift_min_signals,
        drift_window=e.drift_window,
        drift_features=tuple(e.drift_features),
    )


def attach_models(
    settings: Settings,
    core: object,
    execution: object | None,
    db: object | None,
    now_ms: Callable[[], int],
    on_alert: Callable[[bool, str], None] | None = None,
) -> Served:
    """Load the active and shadow models into ``core.scorers`` and set ``execution.gate``
    (``core``, ``execution`` and ``db``: the root's Core, ExecutionService, Database)."""

    served = Served()
    models = getattr(db, "models", None)
    grant: ModelGrant | None = None
    for status in ("active", "shadow"):
        for rec in models.with_status(status) if models is not None else []:
            try:
                payload = load_payload(Path(rec.path), rec.sha256)
                sc = scorer_of(payload, status)
            except ModelRefused as exc:
                served.refused.append(str(exc))
                _log.error("model not loaded", model=rec.id, why=str(exc))
                continue
            served.scorers.append(sc)
            if status == "active" and grant is None:
                grant = ModelGrant(
                    sc,
                    rec.status,
                    evidence_of(rec.card),
                    payload["reference"],
                    payload.get("reference_brier"),
                    str(payload["horizon"]),
                )
    core.scorers = list(served.scorers)  # type: ignore[attr-defined]
    mode = settings.execution.auto_mode()
    if execution is not None and mode != "off":
        served.gate = AutoGate(
            mode,
            gate_limits(settings),
            now_ms,
            model=grant,
            store=getattr(db, "state", None),
            on_alert=on_alert,
        )
        execution.gate = served.gate  # type: ignore[attr-defined]
        _tee_outcomes(execution, served.gate)
    return served


def _tee_outcomes(execution: object, gate: AutoGate) -> None:
    """The labeler's outcomes also go to the gate (the rolling Brier of the model)."""
    labeler = getattr(execution, "labeler", None)
    if labeler is None:
        return
    sink = labeler.sink

    def both(updates: list[Any]) -> None:
        sink(updates)
        gate.on_outcomes(updates)

    labeler.sink = both
