"""The confidence logistic's shipped weights: read from the output of ``dexcex fit-rule``
packaged in ``config/rule_fit/`` (``weights.toml``, with ``provenance.json`` beside it),
never typed in by hand. ``make rule-weights`` regenerates both from the command recorded
in the provenance; ``tests/models/test_rule_defaults.py`` holds them to it.

Read once, here in the configuration: the pure core is handed the values
(``ScoreWeights``) and reads no file.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from dexcex.domain import ConfigError

__all__ = ["FIT_DIR", "fitted_provenance", "fitted_weights"]

FIT_DIR = "rule_fit"  # under the dexcex.config package
_FIELDS = ("bias", "orderflow", "liquidity", "volume_price", "smart_money", "concentration", "lead")


@cache
def fitted_weights() -> dict[str, float]:
    """The packaged ``[core.signals.weights]`` of ``rule_fit/weights.toml``."""
    path = resources.files("dexcex.config") / FIT_DIR / "weights.toml"
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
        table = doc["core"]["signals"]["weights"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"dexcex/config/{FIT_DIR}/weights.toml: unreadable ({exc})") from None
    missing = [f for f in _FIELDS if f not in table]
    if missing:
        raise ConfigError(f"dexcex/config/{FIT_DIR}/weights.toml: no {', '.join(missing)}")
    return {f: float(table[f]) for f in _FIELDS}


def fitted_provenance() -> dict[str, Any]:
    """Where the packaged weights come from (``rule_fit/provenance.json``)."""
    path = resources.files("dexcex.config") / FIT_DIR / "provenance.json"
    doc: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return doc
