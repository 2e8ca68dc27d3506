"""The root settings object and its sources, highest priority first:

1. ``DEXCEX_*`` environment variables (``__`` separates nesting levels:
   ``DEXCEX_VENUES__MEXC__TAKER_FEE_BPS=5``);
2. secret files named by ``DEXCEX_<PATH>_FILE`` variables
   (``DEXCEX_VENUES__MEXC__API_SECRET_FILE=/run/secrets/mexc``);
3. the user's TOML file layered on the packaged ``default.toml`` (see ``loader``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from dexcex.config.core_settings import CoreSettings
from dexcex.config.models import (
    AccuracyConfig,
    AlertSettings,
    ApiSettings,
    AssetConfig,
    BusSettings,
    ExecutionSettings,
    LiveSettings,
    LogSettings,
    PipelineSettings,
    SourcesSettings,
    StoreSettings,
    VenuesSettings,
    default_data_dir,
)
from dexcex.domain import Asset

__all__ = ["ENV_PREFIX", "SECRET_FILE_SUFFIX", "Settings"]

ENV_PREFIX = "DEXCEX_"
SECRET_FILE_SUFFIX = "_FILE"  # noqa: S105 - a suffix, not a secret
# Variables with our prefix that configure the loader or the tests, not a settings field.
_NOT_FIELDS = frozenset({"DEXCEX_CONFIG", "DEXCEX_TEST_POSTGRES_URL"})


class _SecretFilesSource(PydanticBaseSettingsSource):
    """Reads ``DEXCEX_A__B_FILE=/path`` into ``{"a": {"b": <file content>}}``."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, path in os.environ.items():
            upper = name.upper()
            if not (upper.startswith(ENV_PREFIX) and upper.endswith(SECRET_FILE_SUFFIX)):
                continue
            if upper in _NOT_FIELDS:
                continue
            keys = upper[len(ENV_PREFIX) : -len(SECRET_FILE_SUFFIX)].lower().split("__")
            value = Path(path).read_text(encoding="utf-8").strip()
            node = out
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = value
        return out


class _EnvWithoutFileRefs(PydanticBaseSettingsSource):
    """The environment source, minus ``*_FILE`` references (the secret-file source's job)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return _drop_file_refs(self._inner())


def _drop_file_refs(data: dict[str, Any]) -> dict[str, Any]:
    suffix = SECRET_FILE_SUFFIX.lower()
    return {
        k: _drop_file_refs(v) if isinstance(v, dict) else v
        for k, v in data.items()
        if not k.lower().endswith(suffix)
    }


class Settings(BaseSettings):
    """Everything configurable. Build it with ``dexcex.config.load_settings``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    profile: Literal["dev", "demo", "prod"] = "dev"
    data_dir: Path = Field(default_factory=default_data_dir)
    assets: list[AssetConfig] = Field(default_factory=list)
    venues: VenuesSettings = Field(default_factory=VenuesSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    core: CoreSettings = Field(default_factory=CoreSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    accuracy: AccuracyConfig = Field(default_factory=AccuracyConfig)
    bus: BusSettings = Field(default_factory=BusSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The loader passes the merged TOML files as init arguments: lowest priority.
        return (
            _EnvWithoutFileRefs(settings_cls, env_settings),
            _SecretFilesSource(settings_cls),
            init_settings,
        )

    def domain_assets(self) -> list[Asset]:
        return [a.to_domain() for a in self.assets]

    def database_url(self) -> str:
        if self.store.url:
            return self.store.url
        return f"sqlite:///{self.data_dir / 'dexcex.sqlite3'}"

    def recordings_dir(self) -> Path:
        return self.pipeline.record_dir or self.data_dir / "recordings"
