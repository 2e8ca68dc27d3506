"""The evaluation plan: the primary metric and the tests, set before looking.

Read from the packaged ``plan.toml`` or a file given to ``dexcex evaluate --plan``; its
SHA-256 is printed with the verdict, so a reader can check that the plan was not
changed after the data was seen.
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dexcex.domain import Chain, ConfigError

__all__ = ["EvaluationPlan", "load_plan"]

Group = Literal["candidates", "passed", "approved"]
Horizon = Literal["30s", "1m", "5m", "15m", "60m"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Primary(_M):
    group: Group = "approved"
    horizon: Horizon = "5m"
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    min_signals: Annotated[int, Field(ge=2)] = 10


class NullPlan(_M):
    draws: Annotated[int, Field(ge=100, le=100_000)] = 1000
    seed_offset: int = 0


class BootstrapPlan(_M):
    reps: Annotated[int, Field(ge=200, le=100_000)] = 2000
    cluster_ms: Annotated[int, Field(ge=1000)] = 3_600_000
    # fewer independent blocks than this: no p-value (a bootstrap over a handful of
    # blocks underestimates the spread and finds edges in noise)
    min_blocks: Annotated[int, Field(ge=2)] = 8


class SecondaryPlan(_M):
    adjust: Literal["holm", "fdr_bh"] = "holm"


def _blocks() -> dict[Chain, int]:
    return {Chain.SOLANA: 400, Chain.ETHEREUM: 12_000, Chain.BSC: 3_000, Chain.POLYGON: 2_000}


class LatencyPlan(_M):
    execution_ms: Annotated[int, Field(ge=0)] = 250
    block_ms: dict[Chain, Annotated[int, Field(ge=0)]] = Field(default_factory=_blocks)
    poll_ms: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: {"dexscreener": 10_000}
    )

    def for_asset(self, chain: Chain | None, sources: set[str]) -> int:
        """Signal time → earliest trade, ms: block + the slowest poll + execution."""
        block = self.block_ms.get(chain, 0) if chain is not None else 0
        poll = max((self.poll_ms.get(s, 0) for s in sources), default=0)
        return block + poll + self.execution_ms


class EvaluationPlan(_M):
    primary: Primary = Field(default_factory=Primary)
    null: NullPlan = Field(default_factory=NullPlan)
    bootstrap: BootstrapPlan = Field(default_factory=BootstrapPlan)
    secondary: SecondaryPlan = Field(default_factory=SecondaryPlan)
    latency: LatencyPlan = Field(default_factory=LatencyPlan)
    sha256: str = ""  # of the file it was read from


def load_plan(path: Path | None = None) -> EvaluationPlan:
    """The plan in ``path``, or the packaged default."""
    if path is None:
        text = (resources.files("dexcex.evaluation") / "plan.toml").read_text("utf-8")
        where = "plan.toml (packaged)"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the plan ({exc.strerror})") from None
        where = str(path)
    try:
        data = tomllib.loads(text)
        plan = EvaluationPlan.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}: {loc}: {first['msg']}") from None
    return plan.model_copy(update={"sha256": hashlib.sha256(text.encode()).hexdigest()})
