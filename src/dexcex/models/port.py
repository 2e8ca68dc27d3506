"""What the core needs of a model: a pure scorer (no I/O, no clock). Loading is the
composition root's; the core only calls ``score``. Light: no ML library imported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = ["Scorer"]


class Scorer(Protocol):
    @property
    def model_id(self) -> str: ...

    @property
    def role(self) -> str: ...  # active | shadow

    def score(self, features: Mapping[str, float], direction: float) -> float:
        """The calibrated probability of the target for one signal."""
        ...
