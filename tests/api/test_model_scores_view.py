"""/api/signals/{id} shows the rule's probability and each served model's side by side."""

from __future__ import annotations

import msgspec

from dexcex.api.views import signal_detail_from_row
from dexcex.store.signal_store import signal_to_row
from tests.factories import make_signal


def test_the_detail_shows_the_rule_and_the_models() -> None:
    sig = msgspec.structs.replace(make_signal(1), model_scores={"lgbm-5m-x": 0.61})
    row = signal_to_row(sig)
    d = signal_detail_from_row(row)
    assert d.model_scores == {"rule": sig.confidence, "lgbm-5m-x": 0.61}
    plain = signal_detail_from_row(signal_to_row(make_signal(2)))
    assert plain.model_scores == {"rule": make_signal(2).confidence}
    assert row["model_scores"] == {"lgbm-5m-x": 0.61}
